import { jetstream } from "@nats-io/jetstream";
import { firstValueFrom, take, toArray } from "rxjs";
import { describe, expect, it, vi } from "vitest";
import { consumeStream, publishEvents, type ShopEvent, type StreamMsg } from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

const events = (n: number): ShopEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    type: "product_view",
    profileId: `p${i % 7}`,
    ts: new Date(Date.UTC(2026, 10, 23, 10, 0, i)).toISOString(),
    productId: "sku-1",
  }));

describe("consumeStream", () => {
  it("never has more than maxInFlight un-acked messages", async () => {
    await using nats = await startTestNats();
    await publishEvents(nats.nc, events(500));
    const seen: StreamMsg[] = [];
    const sub = consumeStream(nats.nc, {
      stream: "EVENTS",
      durable: "bp",
      startSeq: 1,
      maxInFlight: 50,
    }).subscribe((m) => seen.push(m));
    // Give the server every chance to over-deliver; it must stop at 50 while nothing is acked.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(seen.length).toBe(50);
    seen.at(-1)!.ack(); // AckPolicy.All: acks all 50
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen.length).toBe(100);
    sub.unsubscribe();
  });

  it("starts at the caller's offset, not at the server's ack floor", async () => {
    await using nats = await startTestNats();
    await publishEvents(nats.nc, events(20));
    const first = await firstValueFrom(
      consumeStream(nats.nc, { stream: "EVENTS", durable: "pos", startSeq: 1, maxInFlight: 100 }).pipe(
        take(20),
        toArray(),
      ),
    );
    first.at(-1)!.ack();
    // The caller's own checkpoint says 12 were durable: it must get 13.. again.
    const again = await firstValueFrom(
      consumeStream(nats.nc, { stream: "EVENTS", durable: "pos", startSeq: 13, maxInFlight: 100 }).pipe(
        take(8),
        toArray(),
      ),
    );
    expect(again.map((m) => m.seq)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
  });

  it('with acks "none" keeps the in-flight bound on its side and resumes at the caller\'s offset', async () => {
    await using nats = await startTestNats();
    await publishEvents(nats.nc, events(500));
    const seen: StreamMsg[] = [];
    const opts = { stream: "EVENTS", durable: "none", maxInFlight: 40, acks: "none" } as const;
    const sub = consumeStream(nats.nc, { ...opts, startSeq: 1 }).subscribe((m) => seen.push(m));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen.length).toBe(40);
    seen[4]!.ack(); // frees 5: under a quarter of the window, not worth a request yet
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.length).toBe(40);
    seen[19]!.ack(); // 20 free: asks for them, and no more
    await vi.waitFor(() => expect(seen.length).toBe(60));
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.length).toBe(60);
    sub.unsubscribe();
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Nothing acked on the server: the caller's offset alone says where to start.
    const again = await firstValueFrom(
      consumeStream(nats.nc, { ...opts, startSeq: 498 }).pipe(take(3), toArray()),
    );
    expect(again.map((m) => m.seq)).toEqual([498, 499, 500]);
  });

  it('with acks "none" asks again for messages it never got (taken by another reader, lost on a reconnect)', async () => {
    await using nats = await startTestNats();
    await publishEvents(nats.nc, events(60));
    const seen: StreamMsg[] = [];
    const sub = consumeStream(nats.nc, {
      stream: "EVENTS",
      durable: "gap",
      startSeq: 1,
      maxInFlight: 10,
      acks: "none",
    }).subscribe((m) => seen.push(m));
    await vi.waitFor(() => expect(seen.length).toBe(10));
    // Someone else takes 11..13 from the same consumer: the server counts them delivered.
    const thief = await jetstream(nats.nc).consumers.get("EVENTS", "gap");
    const taken: number[] = [];
    const batch = await thief.fetch({ max_messages: 3, expires: 2_000 });
    for await (const m of batch) taken.push(m.seq);
    expect(taken).toEqual([11, 12, 13]);
    for (let i = 10; i <= 60; i += 10) {
      seen.at(-1)!.ack();
      await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(Math.min(i + 10, 60)));
    }
    sub.unsubscribe();
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
