import { describe, expect, it } from "vitest";
import { publishMany } from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("publishMany", () => {
  it("gives each message its PubAck in input order: sequence, duplicate, or why it failed", async () => {
    await using nats = await startTestNats();
    const results = await publishMany(
      nats.nc,
      [
        { subject: "events.product_view.p1", data: bytes("{}"), msgId: "m1" },
        { subject: "nowhere.at.all", data: bytes("{}") },
        { subject: "events.product_view.p1", data: bytes("{}"), msgId: "m1" },
        ...Array.from({ length: 50 }, (_, i) => ({ subject: "events.cart_add.p2", data: bytes(`${i}`) })),
      ],
      { window: 8 },
    );
    expect(results[0]).toEqual({ ok: true, seq: 1, duplicate: false });
    expect(results[1]).toEqual({ ok: false, error: "no stream takes nowhere.at.all (no responders)" });
    expect(results[2]).toEqual({ ok: true, seq: 1, duplicate: true });
    expect(results.slice(3).map((r) => r.ok && r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });
});
