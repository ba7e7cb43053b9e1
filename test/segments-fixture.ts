import { type DuckDBValue, LIST, listValue, VARCHAR } from "@duckdb/node-api";
import { type Db, Rng } from "../ingest/index.ts";

/** A small shop with several related tables, built in plain JS so tests can count it independently. */
export interface Shop {
  now: Date;
  profiles: { profile_id: string; email: string | null; city: string; consent: string | null }[];
  products: { product_id: string; category: string }[];
  events: { seq: number; profile_id: string; type: string; product_id: string | null; ts: Date }[];
  bookings: { booking_id: string; profile_id: string; starts_at: Date; status: string | null }[];
}

const DAY = 86_400_000;

/** A deterministic random source (ingest's pure-rand generator), so the fixture is the same on every run. */
function rng(seed: number) {
  const r = new Rng(seed);
  const next = () => r.float();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  return { next, pick };
}

export function buildShop(seed = 7, size = 600): Shop {
  const r = rng(seed);
  const now = new Date("2026-11-15T12:00:00Z");
  const profiles = Array.from({ length: size }, (_, i) => ({
    profile_id: `p${String(i).padStart(4, "0")}`,
    email: r.next() < 0.9 ? `p${i}@example.test` : null,
    city: r.pick(["Paris", "Paris", "Lyon", "Berlin"]),
    consent: r.pick(["subscribed", "subscribed", "unsubscribed", null]),
  }));
  // One shopper whose city is an injection attempt, to prove parameters are values.
  profiles.push({
    profile_id: "p-evil",
    email: "evil@example.test",
    city: "x' OR 1=1 --",
    consent: "subscribed",
  });
  const products = Array.from({ length: 40 }, (_, i) => ({
    product_id: `sku-${i}`,
    category: r.pick(["Outerwear", "Shoes", "Bags", "Knitwear"]),
  }));
  const events: Shop["events"] = [];
  for (let seq = 1; seq <= size * 12; seq++) {
    const type = r.pick(["product_view", "product_view", "product_view", "cart_add", "purchase"]);
    events.push({
      seq,
      profile_id: r.pick(profiles).profile_id,
      type,
      product_id: type === "purchase" ? null : r.pick(products).product_id,
      ts: new Date(now.getTime() - Math.floor(r.next() * 30 * DAY) + (r.next() < 0.05 ? 2 * DAY : 0)),
    });
  }
  const bookings: Shop["bookings"] = Array.from({ length: size / 2 }, (_, i) => ({
    booking_id: `b${i}`,
    profile_id: r.pick(profiles).profile_id,
    starts_at: new Date(now.getTime() + Math.floor((r.next() * 80 - 20) * DAY)),
    status: r.pick(["confirmed", "confirmed", "cancelled", null]),
  }));
  // One shopper with two bookings next week: one email per booking, one recipient.
  bookings.push(
    {
      booking_id: "b-twin-1",
      profile_id: "p0001",
      starts_at: new Date(now.getTime() + DAY),
      status: "confirmed",
    },
    {
      booking_id: "b-twin-2",
      profile_id: "p0001",
      starts_at: new Date(now.getTime() + 2 * DAY),
      status: null,
    },
  );
  return { now, profiles, products, events, bookings };
}

const list = (xs: readonly (string | null)[]) => listValue([...xs]);
const iso = (d: Date) => d.toISOString();

/** Loads the shop through the trusted connection (lists bound as values, unnested in DuckDB). */
export async function loadShop(db: Db, shop: Shop): Promise<void> {
  // Every value is a VARCHAR list (a list starting with null would otherwise be typed NULL[]).
  const c = {
    run: (sql: string, values: Record<string, DuckDBValue> = {}) =>
      db.conn.run(sql, values, Object.fromEntries(Object.keys(values).map((k) => [k, LIST(VARCHAR)]))),
  };
  await c.run("SET TimeZone = 'UTC'");
  await c.run(
    `INSERT INTO profiles (profile_id, email, city, consent)
     SELECT unnest($id), unnest($email), unnest($city), unnest($consent)`,
    {
      id: list(shop.profiles.map((p) => p.profile_id)),
      email: list(shop.profiles.map((p) => p.email)),
      city: list(shop.profiles.map((p) => p.city)),
      consent: list(shop.profiles.map((p) => p.consent)),
    },
  );
  await c.run("INSERT INTO products (product_id, category) SELECT unnest($id), unnest($cat)", {
    id: list(shop.products.map((p) => p.product_id)),
    cat: list(shop.products.map((p) => p.category)),
  });
  await c.run(
    `INSERT INTO events (seq, id, type, profile_id, ts, product_id, received_at)
     SELECT s, 'e' || s, t, p, ts::TIMESTAMPTZ, pr, ts::TIMESTAMPTZ
     FROM (SELECT unnest($seq)::BIGINT AS s, unnest($type) AS t, unnest($profile) AS p,
                  unnest($ts) AS ts, unnest($product) AS pr)`,
    {
      seq: list(shop.events.map((e) => String(e.seq))),
      type: list(shop.events.map((e) => e.type)),
      profile: list(shop.events.map((e) => e.profile_id)),
      ts: list(shop.events.map((e) => iso(e.ts))),
      product: list(shop.events.map((e) => e.product_id)),
    },
  );
  await c.run(
    `INSERT INTO bookings (booking_id, profile_id, starts_at, status)
     SELECT unnest($id), unnest($profile), unnest($starts)::TIMESTAMPTZ, unnest($status)`,
    {
      id: list(shop.bookings.map((b) => b.booking_id)),
      profile: list(shop.bookings.map((b) => b.profile_id)),
      starts: list(shop.bookings.map((b) => iso(b.starts_at))),
      status: list(shop.bookings.map((b) => b.status)),
    },
  );
}

/** Independent JS versions of the example segments in `segments/`. */
export const expected = {
  subscribed(shop: Shop): Set<string> {
    return new Set(
      shop.profiles.filter((p) => p.consent === "subscribed" && p.email !== null).map((p) => p.profile_id),
    );
  },
  cartAbandoners7d(shop: Shop): Set<string> {
    const from = shop.now.getTime() - 7 * DAY;
    const inWindow = shop.events.filter((e) => e.ts.getTime() >= from && e.ts < shop.now);
    const lastOf = (type: string) => {
      const m = new Map<string, number>();
      for (const e of inWindow.filter((x) => x.type === type)) {
        m.set(e.profile_id, Math.max(m.get(e.profile_id) ?? 0, e.ts.getTime()));
      }
      return m;
    };
    const adds = lastOf("cart_add");
    const buys = lastOf("purchase");
    return new Set([...adds].filter(([p, t]) => (buys.get(p) ?? -1) < t).map(([p]) => p));
  },
  parisOuterwearBookers(shop: Shop): Set<string> {
    const outerwear = new Set(
      shop.products.filter((p) => p.category === "Outerwear").map((p) => p.product_id),
    );
    const from = shop.now.getTime() - 14 * DAY;
    const views = new Map<string, number>();
    for (const e of shop.events) {
      if (e.type !== "product_view" || !outerwear.has(e.product_id ?? "")) continue;
      if (e.ts.getTime() < from || e.ts >= shop.now) continue;
      views.set(e.profile_id, (views.get(e.profile_id) ?? 0) + 1);
    }
    const y = shop.now.getUTCFullYear();
    const m = shop.now.getUTCMonth();
    const monthStart = Date.UTC(y, m + 1, 1);
    const monthEnd = Date.UTC(y, m + 2, 1);
    const booked = new Set(
      shop.bookings
        .filter(
          (b) =>
            b.status !== "cancelled" &&
            b.starts_at.getTime() >= monthStart &&
            b.starts_at.getTime() < monthEnd,
        )
        .map((b) => b.profile_id),
    );
    return new Set(
      shop.profiles
        .filter((p) => p.city === "Paris" && (views.get(p.profile_id) ?? 0) >= 2 && booked.has(p.profile_id))
        .map((p) => p.profile_id),
    );
  },
  bookingsNextWeek(shop: Shop): { profiles: Set<string>; bookings: Set<string> } {
    const end = shop.now.getTime() + 7 * DAY;
    const rows = shop.bookings.filter(
      (b) => b.status !== "cancelled" && b.starts_at >= shop.now && b.starts_at.getTime() < end,
    );
    return {
      profiles: new Set(rows.map((b) => b.profile_id)),
      bookings: new Set(rows.map((b) => b.booking_id)),
    };
  },
};
