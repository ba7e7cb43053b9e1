import { jetstream } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Db,
  lineMessage,
  openDb,
  publishEvents,
  publishMany,
  type ShopEvent,
  startHistory,
} from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

const T0 = Date.parse("2026-11-23T10:00:00Z");
const iso = (min: number) => new Date(T0 + min * 60_000).toISOString();

function sampleEvents(): ShopEvent[] {
  return [
    {
      id: "e1",
      type: "profile_update",
      profileId: "p1",
      ts: iso(0),
      attributes: { email: "p1@example.com", locale: "fr-FR", consent: "subscribed" },
    },
    {
      id: "e2",
      type: "product_view",
      profileId: "p1",
      ts: iso(1),
      productId: "sku-1",
      price: 10,
      currency: "EUR",
      referrer: "mail",
    },
    { id: "e3", type: "cart_add", profileId: "p1", ts: iso(2), productId: "sku-1", quantity: 2, price: 10 },
    {
      id: "e4",
      type: "purchase",
      profileId: "p1",
      ts: iso(3),
      orderId: "o1",
      items: [
        { productId: "sku-1", quantity: 2, price: 10 },
        { productId: "sku-2", quantity: 1, price: 5 },
      ],
    },
    {
      id: "e5",
      type: "profile_update",
      profileId: "p1",
      ts: iso(4),
      attributes: { firstName: "Ana", plan: "gold" },
    },
  ];
}

async function rows(db: Db, sql: string) {
  return (await db.conn.runAndReadAll(sql)).getRowObjectsJson();
}

describe("history: events from JetStream into DuckDB", () => {
  let db: Db | undefined;
  afterEach(() => db?.close());

  it("round-trips published events into events, purchase_items and profiles", async () => {
    await using nats = await startTestNats();
    db = await openDb(":memory:");
    const results = await publishEvents(nats.nc, sampleEvents());
    expect(results.every((r) => r.ok)).toBe(true);
    const history = await startHistory({ nc: nats.nc, db, batchDelayMs: 20 });
    await history.caughtUp(5);
    await history.stop();

    const events = await rows(
      db,
      "SELECT id, type, profile_id, product_id, quantity, extra FROM events ORDER BY seq",
    );
    expect(events.map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4", "e5"]);
    expect(events[1]).toMatchObject({ product_id: "sku-1", extra: '{"referrer":"mail"}' });
    expect(events[2]).toMatchObject({ quantity: 2 });
    const items = await rows(
      db,
      "SELECT order_id, product_id, quantity, price FROM purchase_items ORDER BY product_id",
    );
    expect(items).toEqual([
      { order_id: "o1", product_id: "sku-1", quantity: 2, price: 10 },
      { order_id: "o1", product_id: "sku-2", quantity: 1, price: 5 },
    ]);
    const profiles = await rows(
      db,
      "SELECT profile_id, email, first_name, locale, consent, attributes->>'plan' AS plan FROM profiles",
    );
    expect(profiles).toEqual([
      {
        profile_id: "p1",
        email: "p1@example.com",
        first_name: "Ana",
        locale: "fr-FR",
        consent: "subscribed",
        plan: "gold",
      },
    ]);
  });

  it("dead-letters every kind of bad input with the original bytes and a reason, and keeps going", async () => {
    await using nats = await startTestNats();
    db = await openDb(":memory:");
    const good = { id: "ok1", type: "product_view", profileId: "p1", ts: iso(0), productId: "sku-1" };
    const enc = new TextEncoder();
    const bad = [
      { subject: "events.product_view.p1", data: enc.encode("{not json"), reason: "json" },
      { subject: "events.product_view.p1", data: new Uint8Array([0xff, 0xfe, 0x7b]), reason: "json" },
      {
        subject: "events.cart_add.p1",
        data: enc.encode(JSON.stringify({ id: "x1", type: "cart_add", profileId: "p1", ts: iso(0) })),
        reason: "schema",
      },
      {
        subject: "events.product_view.p1",
        data: enc.encode(JSON.stringify({ ...good, id: "x2", ts: "yesterday" })),
        reason: "schema",
      },
      {
        subject: "events.cart_add.p1",
        data: enc.encode(JSON.stringify({ ...good, id: "x3" })),
        reason: "subject",
      },
      {
        subject: "events.product_view.someone_else",
        data: enc.encode(JSON.stringify({ ...good, id: "x4" })),
        reason: "subject",
      },
      {
        subject: "events.product_view.p1",
        data: enc.encode(JSON.stringify({ ...good, id: "x5", pad: "x".repeat(70_000) })),
        reason: "oversize",
      },
    ];
    await publishMany(nats.nc, [
      ...bad.map(({ subject, data }) => ({ subject, data })),
      lineMessage(JSON.stringify(good)),
    ]);
    const history = await startHistory({ nc: nats.nc, db, batchDelayMs: 20 });
    await history.caughtUp(bad.length + 1);
    await history.stop();

    expect(await rows(db, "SELECT id FROM events")).toEqual([{ id: "ok1" }]);
    const st = history.stats();
    expect(st.deadLettered).toEqual({ json: 2, schema: 2, subject: 2, oversize: 1 });

    const js = jetstream(nats.nc);
    const dlq = await js.consumers.get("DLQ");
    for (let i = 0; i < bad.length; i++) {
      const m = await dlq.next({ expires: 2_000 });
      expect(m).not.toBeNull();
      const src = bad.find((b) => Buffer.from(b.data).equals(Buffer.from(m!.data)))!;
      expect(m!.subject).toBe(`dlq.events.${src.reason}`);
      expect(m!.headers?.get("Nudge-Error")).toBeTruthy();
      expect(m!.headers?.get("Nudge-Subject")).toBe(src.subject);
      m!.ack();
    }
  });

  it("drops repeated event ids, even outside the server's duplicate window", async () => {
    await using nats = await startTestNats();
    db = await openDb(":memory:");
    const [e] = sampleEvents();
    // No Nats-Msg-Id: the server cannot dedupe, so ingest must.
    const msg = { subject: "events.profile_update.p1", data: new TextEncoder().encode(JSON.stringify(e)) };
    await publishMany(nats.nc, [msg, msg, msg]);
    const history = await startHistory({ nc: nats.nc, db, batchDelayMs: 20 });
    await history.caughtUp(3);
    await history.stop();
    expect(await rows(db, "SELECT count(*)::INT AS n FROM events")).toEqual([{ n: 1 }]);
    expect(history.stats().duplicates).toBe(2);

    // A restart remembers ids already in the history.
    await publishMany(nats.nc, [msg]);
    const again = await startHistory({ nc: nats.nc, db, batchDelayMs: 20 });
    await again.caughtUp(4);
    await again.stop();
    expect(await rows(db, "SELECT count(*)::INT AS n FROM events")).toEqual([{ n: 1 }]);
  });
});
