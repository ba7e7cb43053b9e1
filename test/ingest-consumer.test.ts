import { firstValueFrom, take, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
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
});
