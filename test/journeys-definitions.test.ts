import { describe, expect, it } from "vitest";
import { openDb } from "../ingest/index.ts";
import { openSegmentRunner } from "../queries/index.ts";
import { countWorkflow, loadCampaigns, nextFireTime } from "../sinks/index.ts";

describe("shipped campaigns (./campaigns)", () => {
  const all = loadCampaigns("./campaigns");

  it("load, one of each kind, with the journeys' steps in order", () => {
    expect(Object.fromEntries([...all.values()].map((c) => [c.name, c.kind]))).toEqual({
      "booking-reminders": "orchestrated",
      "browse-abandonment": "journey",
      "cart-abandonment": "journey",
      "order-confirmation": "api",
      "weekly-newsletter": "action",
    });
    const cart = all.get("cart-abandonment");
    if (cart?.kind !== "journey") throw new Error("cart-abandonment is not a journey");
    expect(cart.trigger).toBe("cart_abandoned");
    expect(cart.steps.map((s) => Object.keys(s)[0])).toEqual(["send", "wait", "condition", "send", "exit"]);
    expect(cart.steps[1]).toEqual({ wait: 24 * 3_600_000 });
    const strategies = cart.steps.flatMap((s) => ("send" in s ? [s.send.strategy] : []));
    expect(new Set(strategies).size).toBe(2);
    const weekly = all.get("weekly-newsletter");
    if (weekly?.kind !== "action" || !weekly.schedule) throw new Error("weekly-newsletter has no schedule");
    expect(weekly.rate).toBe(20);
    expect(
      new Date(nextFireTime(weekly.schedule, Date.parse("2026-11-24T00:00:00Z")) ?? 0).toISOString(),
    ).toBe("2026-11-30T08:00:00.000Z");
  });

  it("booking-reminders: one message per subscribed booking next week, as independent SQL counts", async () => {
    const db = await openDb(":memory:");
    try {
      await db.conn.run(`
        INSERT INTO profiles (profile_id, email, consent)
        SELECT 'p' || i, 'p' || i || '@example.com', CASE WHEN i % 4 = 0 THEN 'unsubscribed' ELSE 'subscribed' END
        FROM range(20) t(i);
        INSERT INTO stores VALUES ('s1', 'Opéra', 'Paris', 'FR', 'Europe/Paris'), ('s2', 'Mitte', 'Berlin', 'DE', 'Europe/Berlin');
        INSERT INTO bookings
        SELECT 'b' || i || '-' || k, 'p' || i, 's' || (1 + (i + k) % 2),
               TIMESTAMPTZ '2026-11-23 10:00:00+00' + INTERVAL (i % 9 + k) DAY,
               CASE WHEN k = 0 THEN 'fitting' ELSE 'repair' END,
               CASE WHEN (i + k) % 5 = 0 THEN 'cancelled' ELSE 'confirmed' END
        FROM range(20) t(i), range(3) u(k);
      `);
      const expected = Number(
        (
          await db.conn.runAndReadAll(`
            SELECT count(DISTINCT b.booking_id) FROM bookings b JOIN profiles p USING (profile_id)
            WHERE b.starts_at >= TIMESTAMPTZ '2026-11-23 07:00:00+00'
              AND b.starts_at < TIMESTAMPTZ '2026-11-30 07:00:00+00'
              AND b.status <> 'cancelled' AND p.consent = 'subscribed'`)
        ).getRows()[0]?.[0],
      );
      expect(expected).toBeGreaterThan(5);
      const runner = await openSegmentRunner(db, { dir: "./segments" });
      const c = all.get("booking-reminders");
      if (c?.kind !== "orchestrated") throw new Error("booking-reminders is not orchestrated");
      const { counts } = await countWorkflow(runner, c.audience, c.steps, c.name, {
        now: "2026-11-23T07:00:00Z",
      });
      const messages = counts.filter((s) => s.kind === "send").reduce((n, s) => n + (s.messages ?? 0), 0);
      expect(messages).toBe(expected);
    } finally {
      db.close();
    }
  });
});
