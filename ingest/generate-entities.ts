import {
  ADJECTIVES,
  CATEGORIES,
  COLORS,
  LOYALTY_TIERS,
  MARKETS,
  SERVICES,
  STORE_DISTRICTS,
} from "./generate-data.ts";
import { type Rng, WeightedSampler } from "./generate-rng.ts";

/** Rows of the entity tables, with the column names of ingest/schema.sql. Times are ISO-8601 strings. */
export type ProfileRow = {
  profile_id: string;
  email: string;
  first_name: string;
  last_name: string;
  locale: string;
  timezone: string;
  consent: "subscribed" | "unsubscribed";
  city: string;
  country: string;
  created_at: string;
  attributes: { loyaltyTier: string; preferredCategory: string };
};
export type ProductRow = {
  product_id: string;
  name: string;
  category: string;
  price: number;
  currency: string;
  stock: number;
  active: boolean;
  image_url: string;
  url: string;
};
export type StoreRow = {
  store_id: string;
  name: string;
  city: string;
  country: string;
  timezone: string;
};
export type OrderRow = {
  order_id: string;
  profile_id: string;
  store_id: string | null;
  ordered_at: string;
  total: number;
  currency: string;
  status: string;
};
export type OrderItemRow = {
  order_id: string;
  product_id: string;
  quantity: number;
  price: number;
};
export type BookingRow = {
  booking_id: string;
  profile_id: string;
  store_id: string;
  starts_at: string;
  service: string;
  status: string;
};

const DAY = 86_400_000;
const marketSampler = new WeightedSampler(MARKETS.map((m) => m.weight));
export const categorySampler = new WeightedSampler(CATEGORIES.map((c) => c.weight));

/** `p` + zero-padded number, at least `min` digits and enough for `count`. */
export function padId(prefix: string, n: number, count: number, min = 5): string {
  return prefix + String(n).padStart(Math.max(min, String(count).length), "0");
}

const slug = (s: string) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

export function makeProfiles(rng: Rng, count: number, startMs: number): ProfileRow[] {
  const rows: ProfileRow[] = [];
  for (let i = 1; i <= count; i++) {
    const m = MARKETS[marketSampler.draw(rng)]!;
    const id = padId("p", i, count, 6);
    const created = startMs - DAY - rng.int(3 * 365) * DAY - rng.int(DAY);
    rows.push({
      profile_id: id,
      email: `${id}@example.com`,
      first_name: rng.pick(m.firstNames),
      last_name: rng.pick(m.lastNames),
      locale: m.locale,
      timezone: m.timezone,
      consent: rng.chance(0.9) ? "subscribed" : "unsubscribed",
      city: rng.pick(m.cities),
      country: m.country,
      created_at: new Date(created).toISOString(),
      attributes: {
        loyaltyTier: rng.pick(LOYALTY_TIERS),
        preferredCategory: CATEGORIES[categorySampler.draw(rng)]!.name,
      },
    });
  }
  return rows;
}

/** Products spread over categories by weight; ~8% out of stock, ~4% inactive. */
export function makeProducts(rng: Rng, count: number): ProductRow[] {
  const rows: ProductRow[] = [];
  for (let i = 1; i <= count; i++) {
    // the first products cover every category once, so a small catalog still has all of them
    const cat = i <= CATEGORIES.length ? CATEGORIES[i - 1]! : CATEGORIES[categorySampler.draw(rng)]!;
    const id = padId("sku-", i, count);
    const name = `${rng.pick(ADJECTIVES)} ${rng.pick(COLORS)} ${rng.pick(cat.nouns)}`;
    const base = cat.priceMin + (cat.priceMax - cat.priceMin) * rng.float() ** 1.6;
    rows.push({
      product_id: id,
      name,
      category: cat.name,
      price: Math.max(1, Math.floor(base)) + (rng.chance(0.5) ? 0.99 : 0.95),
      currency: "EUR",
      stock: rng.chance(0.08) ? 0 : rng.between(1, 250),
      active: !rng.chance(0.04),
      image_url: `https://shop.example/images/${id}.jpg`,
      url: `https://shop.example/p/${id}-${slug(name)}`,
    });
  }
  return rows;
}

export function makeStores(rng: Rng, count: number): StoreRow[] {
  const rows: StoreRow[] = [];
  const used = new Set<string>();
  for (let i = 1; i <= count; i++) {
    const m = MARKETS[marketSampler.draw(rng)]!;
    const city = rng.pick(m.cities);
    let name = `Shop ${city} ${rng.pick(STORE_DISTRICTS)}`;
    if (used.has(name)) name = `${name} ${i}`;
    used.add(name);
    rows.push({ store_id: padId("st-", i, count, 3), name, city, country: m.country, timezone: m.timezone });
  }
  return rows;
}

/** Store appointments: past ones in the span (completed, cancelled, no-show), ~40% in the month after it. */
export function makeBookings(
  rng: Rng,
  count: number,
  profiles: readonly ProfileRow[],
  stores: readonly StoreRow[],
  startMs: number,
  endMs: number,
): BookingRow[] {
  const rows: BookingRow[] = [];
  if (profiles.length === 0 || stores.length === 0) return rows;
  for (let i = 1; i <= count; i++) {
    const future = rng.chance(0.4);
    const HALF_HOUR = 1_800_000;
    // future ones on a day of the next month, 09:00–18:30 UTC; past ones on a half hour of the span
    const at = future
      ? Math.floor((endMs + (1 + rng.int(30)) * DAY) / DAY) * DAY +
        (9 + rng.int(10)) * 3_600_000 +
        rng.int(2) * HALF_HOUR
      : Math.max(startMs, Math.floor((startMs + rng.float() * (endMs - startMs)) / HALF_HOUR) * HALF_HOUR);
    const r = rng.float();
    const status = future
      ? r < 0.9
        ? "booked"
        : "cancelled"
      : r < 0.8
        ? "completed"
        : r < 0.92
          ? "cancelled"
          : "no_show";
    rows.push({
      booking_id: padId("b", i, count),
      profile_id: rng.pick(profiles).profile_id,
      store_id: rng.pick(stores).store_id,
      starts_at: new Date(at).toISOString(),
      service: rng.pick(SERVICES),
      status,
    });
  }
  return rows;
}

/**
 * Orders placed in the year before the event span (online and in store), so segments have history
 * beyond the event log. Orders from the span's purchase events are added by the event simulation.
 */
export function makePastOrders(
  rng: Rng,
  seed: number,
  profiles: readonly ProfileRow[],
  products: readonly ProductRow[],
  stores: readonly StoreRow[],
  startMs: number,
): { orders: OrderRow[]; items: OrderItemRow[] } {
  const orders: OrderRow[] = [];
  const items: OrderItemRow[] = [];
  const sellable = products.filter((p) => p.active);
  if (sellable.length === 0) return { orders, items };
  const count = Math.round(profiles.length * 0.6);
  for (let i = 1; i <= count; i++) {
    const id = `o${seed}-h${i}`;
    const inStore = stores.length > 0 && rng.chance(0.35);
    const lines = new Map<string, OrderItemRow>();
    const n = 1 + rng.geometric(0.6);
    for (let k = 0; k < n; k++) {
      const p = rng.pick(sellable);
      const prev = lines.get(p.product_id);
      if (prev) prev.quantity += 1;
      else lines.set(p.product_id, { order_id: id, product_id: p.product_id, quantity: 1, price: p.price });
    }
    let total = 0;
    for (const line of lines.values()) {
      total += line.quantity * line.price;
      items.push(line);
    }
    orders.push({
      order_id: id,
      profile_id: rng.pick(profiles).profile_id,
      store_id: inStore ? rng.pick(stores).store_id : null,
      ordered_at: new Date(startMs - 1 - rng.int(365 * DAY)).toISOString(),
      total: Math.round(total * 100) / 100,
      currency: "EUR",
      status: rng.chance(0.93) ? "delivered" : "returned",
    });
  }
  return { orders, items };
}
