import { describe, expect, it, vi } from "vitest";
import { type Campaign, loadCampaigns, parseCampaign, requestFromTrigger, sendKey } from "../sinks/index.ts";
import {
  cartTrigger,
  HOUR,
  journeyWorld,
  MIN,
  publishEvent,
  publishTrigger,
  recommendedIds,
  T0,
} from "./journeys-helpers.ts";

const shipped = loadCampaigns("./campaigns");
const cartJourney = shipped.get("cart-abandonment");
const wait = { timeout: 15_000, interval: 20 };

describe("cart-abandonment journey, end to end", () => {
  it("reminds, waits 24h of event time, reminds again with other picks; purchases and the condition exit", async () => {
    await using w = await journeyWorld();
    if (!cartJourney) throw new Error("campaigns/cart-abandonment.yaml is missing");
    const journeys = await w.startJourneys([cartJourney]);
    try {
      // Event time starts at T0 (newest event T0+5m, lateness 5m).
      await publishEvent(w.nats.nc, "product_view", "q9", T0 + 5 * MIN);
      const t1 = cartTrigger("p1", T0, ["sku-1"]);
      const t4 = cartTrigger("p4", T0, ["sku-3"]);
      const t6 = cartTrigger("p6", T0, ["sku-1"]);
      for (const t of [t1, t4, t6]) await publishTrigger(w.nats.nc, t);
      await vi.waitFor(() => expect(w.smtp.messages).toHaveLength(3), wait);

      // The first reminder carries the trigger's own key: the plain email sink would use the same one.
      const keys = w.smtp.messages.map((m) => m.sendKey).sort();
      expect(keys).toEqual([t1, t4, t6].map((t) => sendKey(requestFromTrigger(t))).sort());
      for (const m of w.smtp.messages) expect((await m.parse()).subject).toMatch(/cart/i);

      // p1 is already in the journey: a second cart trigger does not start another instance.
      await publishTrigger(w.nats.nc, cartTrigger("p1", T0 + HOUR, ["sku-2"]));
      // p4 buys during the wait (event time T0+2h); p6's purchase is only in the history (condition).
      await publishEvent(w.nats.nc, "purchase", "p4", T0 + 2 * HOUR);
      await w.db.conn.run(
        "INSERT INTO events (seq, id, type, profile_id, ts, received_at) VALUES (900, 'h1', 'purchase', 'p6', $ts::TIMESTAMPTZ, $ts::TIMESTAMPTZ)",
        { ts: new Date(T0 + HOUR).toISOString() },
      );
      await vi.waitFor(() => {
        const s = journeys.stats();
        expect(s.ended.purchase).toBe(1);
        expect(s.refused.active).toBe(1);
      }, wait);
      expect((await journeys.instance("cart-abandonment", "p1"))?.waitUntil).toBe(T0 + 24 * HOUR);

      // Idle wall time moves event time on from the newest event (T0+2h, minus 5m lateness):
      // after 21h it is T0+22h55m (before p1's deadline, T0+24h), after 23h T0+24h55m.
      await w.clock.advance(21 * HOUR);
      await vi.waitFor(() => expect(journeys.stats().eventTime).toBeGreaterThanOrEqual(T0 + 22 * HOUR), wait);
      expect(w.smtp.messages).toHaveLength(3);
      await w.clock.advance(2 * HOUR);
      await vi.waitFor(() => expect(w.smtp.messages).toHaveLength(4), wait);
      await vi.waitFor(() => expect(journeys.stats().ended.completed).toBe(1), wait);
      expect(journeys.stats().ended.condition).toBe(1);

      const last = w.smtp.messages[3];
      expect(last?.to).toEqual(["ada@example.com"]);
      expect(last?.sendKey).toBe(
        sendKey({ triggerId: `${t1.id}#3`, campaign: "cart-abandonment", profileId: "p1" }),
      );
      const sends = await recommendedIds(w.db, "p1");
      expect(sends.map((s) => s.template)).toEqual(["cart-reminder", "cart-reminder-2"]);
      expect(sends[1]?.ids.length).toBeGreaterThan(0);
      expect(sends[1]?.ids).not.toEqual(sends[0]?.ids);

      const p1 = await journeys.instance("cart-abandonment", "p1");
      expect(p1).toMatchObject({ status: "completed", sends: { 0: "sent", 3: "sent" } });
      expect(await journeys.instance("cart-abandonment", "p4")).toMatchObject({
        status: "exited",
        reason: "purchase",
      });

      // The finished journey's own trigger again (a replay past the duplicate window): nothing.
      await publishTrigger(w.nats.nc, t1, { msgId: false });
      await vi.waitFor(() => expect(journeys.stats().refused.already_processed).toBe(1), wait);
      expect(w.smtp.messages).toHaveLength(4);

      // Re-entry after exit: a new cart for p1 starts a new journey (and a new first reminder);
      // a redelivered trigger does not.
      const again = cartTrigger("p1", T0 + 30 * HOUR, ["sku-4"]);
      await publishTrigger(w.nats.nc, again);
      await vi.waitFor(() => expect(w.smtp.messages).toHaveLength(5), wait);
      expect(w.smtp.messages[4]?.sendKey).toBe(sendKey(requestFromTrigger(again)));
      expect(journeys.stats().entered).toBe(4);
    } finally {
      await journeys.stop();
    }
  });

  it("keeps `reentry: never`, and sends the plain reminder for trigger kinds without a journey", async () => {
    await using w = await journeyWorld();
    const once: Campaign = parseCampaign(
      `name: cart-once
kind: journey
trigger: cart_abandoned
reentry: never
steps:
  - send: { template: cart-reminder, strategy: cart_based }
`,
      "cart-once.yaml",
    );
    const journeys = await w.startJourneys([once]);
    try {
      await publishTrigger(w.nats.nc, cartTrigger("p1", T0, ["sku-1"]));
      await vi.waitFor(() => expect(w.smtp.messages).toHaveLength(1), wait);
      await vi.waitFor(() => expect(journeys.stats().ended.completed).toBe(1), wait);
      await publishTrigger(w.nats.nc, cartTrigger("p1", T0 + 5 * HOUR, ["sku-2"]));
      const browse = {
        id: `browse_abandoned:p4:${new Date(T0).toISOString()}`,
        kind: "browse_abandoned" as const,
        profileId: "p4",
        at: new Date(T0).toISOString(),
        items: [{ productId: "sku-5", quantity: 2 }],
        windowStart: new Date(T0 - HOUR).toISOString(),
        windowEnd: new Date(T0).toISOString(),
      };
      await publishTrigger(w.nats.nc, browse);
      await vi.waitFor(() => expect(journeys.stats().defaultSends).toBe(1), wait);
      await vi.waitFor(() => expect(journeys.stats().refused.reentry_never).toBe(1), wait);
      expect(w.smtp.messages).toHaveLength(2);
      const plain = w.smtp.messages[1];
      expect(plain?.to).toEqual(["dee@example.com"]);
      expect(plain?.sendKey).toBe(sendKey(requestFromTrigger(browse)));
    } finally {
      await journeys.stop();
    }
  });

  it("survives a restart during the wait: the second reminder goes out exactly once", async () => {
    await using w = await journeyWorld();
    if (!cartJourney) throw new Error("campaigns/cart-abandonment.yaml is missing");
    const start = () => w.startJourneys([cartJourney]);
    const first = await start();
    await publishEvent(w.nats.nc, "product_view", "q9", T0 + 5 * MIN);
    const t1 = cartTrigger("p1", T0, ["sku-1"]);
    await publishTrigger(w.nats.nc, t1);
    await vi.waitFor(() => expect(w.smtp.messages).toHaveLength(1), wait);
    await vi.waitFor(() => expect(first.stats().eventsSeq).toBe(1), wait);
    await first.stop();

    const second = await start();
    try {
      expect(second.stats().active).toBe(1);
      // The same trigger again (a producer retry past the duplicate window) starts nothing new.
      await publishTrigger(
        w.nats.nc,
        { ...t1, items: [{ productId: "sku-9", quantity: 1 }] },
        { msgId: false },
      );
      await vi.waitFor(() => expect(second.stats().refused.resume).toBe(1), wait);
      await w.clock.advance(25 * HOUR);
      await vi.waitFor(() => expect(w.smtp.messages).toHaveLength(2), wait);
      await vi.waitFor(() => expect(second.stats().ended.completed).toBe(1), wait);
      expect(w.smtp.messages[1]?.sendKey).toBe(
        sendKey({ triggerId: `${t1.id}#3`, campaign: "cart-abandonment", profileId: "p1" }),
      );
      await w.clock.advance(25 * HOUR);
      await publishEvent(w.nats.nc, "product_view", "q9", T0 + 60 * HOUR);
      await vi.waitFor(() => expect(second.stats().eventsSeq).toBe(2), wait);
      expect(w.smtp.messages).toHaveLength(2);
    } finally {
      await second.stop();
    }
  });
});
