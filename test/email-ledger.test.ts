import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { openBucket } from "../ingest/index.ts";
import { Ledger, type LedgerEntry, SendRequest, sendIdOf, sendKey } from "../sinks/index.ts";
import { startTestNats } from "./helpers/nats.ts";

function entry(profileId: string, over: Partial<LedgerEntry> = {}): LedgerEntry {
  const request = SendRequest.parse({
    triggerId: `cart_abandoned:${profileId}:w1`,
    campaign: "cart_abandoned",
    profileId,
    template: "cart-reminder",
  });
  const key = sendKey(request);
  return {
    state: "sending",
    key,
    sendId: sendIdOf(key),
    messageId: `<${profileId}@nudge>`,
    request,
    at: "2026-11-23T15:00:00.000Z",
    attempts: 0,
    ...over,
  };
}

describe("send ledger over one shared reply inbox (Ledger with the connection)", () => {
  it("one claimant wins a key, a take-over needs the current revision, puts land, and a deleted key can be claimed again", async () => {
    await using nats = await startTestNats();
    const kv = await openBucket(nats.nc, "ledger");
    const ledger = new Ledger(kv, nats.nc);
    const other = new Ledger(kv, nats.nc);
    try {
      const e = entry("p1");
      // Many claims of many keys in the same tick: each key has exactly one winner.
      const keys = Array.from({ length: 200 }, (_, i) => entry(`q${i}`));
      const results = await Promise.all([...keys, ...keys].map((k, i) => (i % 2 ? other : ledger).claim(k)));
      for (let i = 0; i < keys.length; i++) {
        const won = [results[i], results[i + keys.length]].filter((r) => r?.claimed).length;
        expect(won).toBe(1);
      }

      const first = await ledger.claim(e);
      expect(first.claimed).toBe(true);
      const second = await other.claim(e);
      expect(second).toMatchObject({ claimed: false, entry: { state: "sending" } });

      // A take-over at a stale revision loses; at the current one it wins.
      const revision = second.revision;
      expect((await other.takeOver({ ...e, attempts: 1 }, revision - 1, e)).claimed).toBe(false);
      const taken = await other.takeOver({ ...e, attempts: 1 }, revision, e);
      expect(taken).toMatchObject({ claimed: true, previous: { state: "sending" } });

      await other.put({ ...e, state: "sent", response: "250 ok", attempts: 1 });
      expect((await ledger.get(e.sendId))?.entry).toMatchObject({ state: "sent", response: "250 ok" });
      expect((await ledger.claim(e)).claimed).toBe(false);

      const gone = entry("p2");
      await ledger.put({ ...gone, state: "sent" });
      await kv.delete(gone.sendId);
      expect((await ledger.claim(gone)).claimed).toBe(true);
    } finally {
      ledger.close();
      other.close();
    }
  });

  it("a write nobody stores fails as a ledger fault instead of hanging", async () => {
    await using nats = await startTestNats();
    const kv = await openBucket(nats.nc, "ledger");
    const ledger = new Ledger(kv, nats.nc);
    await (await jetstreamManager(nats.nc)).streams.delete("KV_nudge_ledger");
    try {
      await expect(ledger.put(entry("p3"))).rejects.toMatchObject({ code: "NUDGE_ERR_LEDGER" });
      await expect(ledger.claim(entry("p4"))).rejects.toMatchObject({ code: "NUDGE_ERR_LEDGER" });
    } finally {
      ledger.close();
    }
  });
});
