import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  decodeEvent,
  EventType,
  eventSubject,
  type GeneratedLine,
  generateShop,
  type ShopEvent,
  type ShopOptions,
  writeShop,
  writeShopEntities,
} from "../ingest/index.ts";

const START = Date.parse("2026-11-01T00:00:00Z");
const HOUR = 3_600_000;
const tmp = mkdtempSync(join(tmpdir(), "nudge-gen-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const small: ShopOptions = {
  seed: 42,
  profiles: 300,
  products: 120,
  stores: 5,
  events: 5_000,
  startMs: START,
  spanMs: 24 * HOUR,
};

async function filesOf(dir: string): Promise<Record<string, Buffer>> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

describe("generateShop determinism", () => {
  it("writes byte-identical files for the same seed, in every entity format", async () => {
    for (const format of ["csv", "ndjson", "parquet"] as const) {
      const a = join(tmp, `a-${format}`);
      const b = join(tmp, `b-${format}`);
      await writeShop(generateShop(small), a, { format });
      await writeShop(generateShop(small), b, { format });
      const fa = await filesOf(a);
      const fb = await filesOf(b);
      expect(Object.keys(fa).sort()).toEqual(
        [
          "events.ndjson",
          ...["bookings", "order_items", "orders", "products", "profiles", "stores"].map(
            (t) => `${t}.${format}`,
          ),
        ].sort(),
      );
      for (const [name, bytes] of Object.entries(fa))
        expect(bytes.equals(fb[name]!), `${format}/${name}`).toBe(true);
    }
  });

  it("writes different files for a different seed", async () => {
    const a = join(tmp, "seed-1");
    const b = join(tmp, "seed-2");
    await writeShop(generateShop({ ...small, seed: 1 }), a);
    await writeShop(generateShop({ ...small, seed: 2 }), b);
    for (const f of ["events.ndjson", "profiles.csv", "products.csv", "orders.csv"]) {
      expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(false);
    }
  });

  it("streams the same orders files as the shop's rows give", async () => {
    const shop = generateShop(small);
    const streamed = join(tmp, "streamed");
    const fromRows = join(tmp, "from-rows");
    await writeShop(shop, streamed);
    await writeShopEntities(shop, fromRows, "csv");
    for (const f of ["orders.csv", "order_items.csv", "profiles.csv"]) {
      expect(readFileSync(join(streamed, f)).equals(readFileSync(join(fromRows, f))), f).toBe(true);
    }
    expect(shop.orders.some((o) => o.status === "paid")).toBe(true);
  });

  it("replays the same stream on every events() call", () => {
    const shop = generateShop(small);
    const first = [...shop.events()].map((l) => JSON.stringify(l));
    const second = [...shop.events()].map((l) => JSON.stringify(l));
    expect(second).toEqual(first);
  });
});

describe("generateShop shape", () => {
  // dense: 30k events in 2 hours, so late arrivals overtake other events
  const opts: ShopOptions = {
    seed: 7,
    profiles: 400,
    products: 200,
    stores: 8,
    events: 30_000,
    startMs: START,
    spanMs: 2 * HOUR,
  };
  const shop = generateShop(opts);
  const lines: GeneratedLine[] = [...shop.events()];
  const events = lines.flatMap((l) => (l.kind === "event" ? [l.event] : []));
  const malformed = lines.flatMap((l) => (l.kind === "malformed" ? [l] : []));
  const unique = new Map<string, ShopEvent>();
  for (const e of events) unique.set(e.id, e);

  it("emits exactly the target of distinct valid events, each passing ingest's decoder", () => {
    expect(unique.size).toBe(opts.events);
    const encoder = new TextEncoder();
    for (const e of unique.values()) {
      expect(new Date(e.ts).toISOString()).toBe(e.ts);
      const d = decodeEvent(eventSubject(e), encoder.encode(JSON.stringify(e)));
      expect(d.ok, `${e.id}: ${d.ok ? "" : d.error}`).toBe(true);
    }
  });

  it("has every event type, with a funnel from views to purchases", () => {
    const byType: Record<string, number> = {};
    for (const e of unique.values()) byType[e.type] = (byType[e.type] ?? 0) + 1;
    const n = (t: string) => byType[t] ?? 0;
    for (const t of EventType.options) expect(n(t), t).toBeGreaterThan(0);
    expect(n("product_view")).toBeGreaterThan(n("cart_add"));
    expect(n("cart_add")).toBeGreaterThan(n("checkout_start"));
    expect(n("checkout_start")).toBeGreaterThan(n("purchase"));
  });

  it("mixes in duplicates and malformed lines at about the stated rates, each refused for its reason", () => {
    const dups = events.length - unique.size;
    expect(dups).toBeGreaterThan(opts.events * 0.002 * 0.4);
    expect(dups).toBeLessThan(opts.events * 0.002 * 2.5);
    expect(malformed.length).toBeGreaterThan(opts.events * 0.001 * 0.3);
    expect(malformed.length).toBeLessThan(opts.events * 0.001 * 3);
    const encoder = new TextEncoder();
    for (const m of malformed) {
      const d = decodeEvent(m.subject, encoder.encode(m.raw));
      expect(d.ok ? "ok" : d.reason, m.raw.slice(0, 120)).toBe(m.reason);
    }
  });

  it("emits roughly in time order, with late arrivals only within outOfOrderMs", () => {
    let maxTs = 0;
    let late = 0;
    for (const e of events) {
      const ts = Date.parse(e.ts);
      if (ts < maxTs) {
        late++;
        expect(maxTs - ts).toBeLessThanOrEqual(3_000);
      }
      maxTs = Math.max(maxTs, ts);
    }
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(opts.events * 0.01 * 2);
    const times = [...unique.values()].map((e) => Date.parse(e.ts));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(START);
    expect(Math.max(...times)).toBeLessThan(START + opts.spanMs + HOUR);
  });

  it("sends a profile_update first for each active profile, and has repeat visitors", () => {
    const first = new Map<string, ShopEvent>();
    const sessions = new Map<string, Set<string>>();
    for (const e of [...unique.values()].sort((a, b) => a.ts.localeCompare(b.ts))) {
      if (!first.has(e.profileId)) first.set(e.profileId, e);
      if (e.sessionId) sessions.set(e.profileId, (sessions.get(e.profileId) ?? new Set()).add(e.sessionId));
    }
    for (const e of first.values()) expect(e.type).toBe("profile_update");
    const known = new Set(shop.profiles.map((p) => p.profile_id));
    for (const p of first.keys()) expect(known.has(p)).toBe(true);
    expect(Math.max(...[...sessions.values()].map((s) => s.size))).toBeGreaterThanOrEqual(3);
  });

  it("draws products with a skewed (Zipf-like) popularity, only active ones", () => {
    const views = new Map<string, number>();
    for (const e of unique.values())
      if (e.type === "product_view") views.set(e.productId, (views.get(e.productId) ?? 0) + 1);
    const counts = [...views.values()].sort((a, b) => b - a);
    const top10 = counts.slice(0, Math.ceil(counts.length / 10)).reduce((a, b) => a + b, 0);
    const all = counts.reduce((a, b) => a + b, 0);
    expect(top10 / all).toBeGreaterThan(0.3);
    const active = new Set(shop.products.filter((p) => p.active).map((p) => p.product_id));
    for (const id of views.keys()) expect(active.has(id)).toBe(true);
  });

  it("records each purchase as an order whose items are existing products", () => {
    const products = new Map(shop.products.map((p) => [p.product_id, p]));
    const orders = new Map(shop.orders.map((o) => [o.order_id, o]));
    const purchases = [...unique.values()].flatMap((e) => (e.type === "purchase" ? [e] : []));
    expect(purchases.length).toBeGreaterThan(0);
    for (const p of purchases) {
      const order = orders.get(p.orderId);
      expect(order?.profile_id).toBe(p.profileId);
      let total = 0;
      for (const item of p.items) {
        expect(products.get(item.productId)?.price).toBe(item.price);
        expect(products.get(item.productId)?.stock).toBeGreaterThan(0);
        total += item.quantity * (item.price ?? 0);
      }
      expect(order?.total).toBeCloseTo(total, 2);
    }
    for (const i of shop.orderItems) expect(products.has(i.product_id)).toBe(true);
    const keys = shop.orderItems.map((i) => `${i.order_id}/${i.product_id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("builds a realistic catalog, customer base, stores and bookings", () => {
    const cats = new Set(shop.products.map((p) => p.category));
    expect(cats).toContain("Outerwear");
    expect(cats).toContain("Shoes");
    expect(shop.products.some((p) => p.stock === 0)).toBe(true);
    expect(shop.products.some((p) => !p.active)).toBe(true);
    for (const p of shop.products) {
      expect(p.currency).toBe("EUR");
      expect(p.url).toMatch(/^https:\/\/shop\.example\//);
      expect(p.image_url).toMatch(/^https:\/\/shop\.example\/.+\.jpg$/);
    }
    for (const p of shop.profiles) expect(p.email).toBe(`${p.profile_id}@example.com`);
    const subscribed = shop.profiles.filter((p) => p.consent === "subscribed").length / shop.profiles.length;
    expect(subscribed).toBeGreaterThan(0.8);
    expect(new Set(shop.profiles.map((p) => p.locale)).size).toBeGreaterThanOrEqual(4);
    expect(shop.stores).toHaveLength(opts.stores);
    const end = START + opts.spanMs;
    expect(shop.bookings.some((b) => Date.parse(b.starts_at) >= end)).toBe(true);
    expect(shop.bookings.some((b) => Date.parse(b.starts_at) < end)).toBe(true);
  });
});
