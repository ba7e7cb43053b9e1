import { type Db, openDb } from "../ingest/index.ts";
import { execute, sql } from "../queries/index.ts";

/** A hand-made shop small enough to compute every expected row by hand (see recommend-strategies.test.ts). */
export const NOW = new Date("2026-06-01T00:00:00.000Z");
const HOUR = 3_600_000;
export const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR);

export interface FixtureProduct {
  id: string;
  category: string;
  price: number;
  stock?: number;
  active?: boolean;
}
export interface FixtureEvent {
  type: "product_view" | "cart_add" | "cart_remove" | "purchase";
  profile: string;
  product: string;
  hoursAgo: number;
}

export async function fixtureDb(
  products: readonly FixtureProduct[],
  events: readonly FixtureEvent[],
): Promise<Db> {
  const db = await openDb(":memory:");
  await insertProducts(db, products);
  await insertEvents(db, events);
  return db;
}

/** One INSERT for all the products. */
export async function insertProducts(db: Db, products: readonly FixtureProduct[]): Promise<void> {
  if (products.length === 0) return;
  const rows = products.map(
    (
      p,
    ) => sql`(${p.id}, ${`Product ${p.id}`}, ${p.category}, ${p.price}, 'EUR', ${p.stock ?? 5}, ${p.active ?? true},
                ${`https://shop.test/img/${p.id}.jpg`}, ${`https://shop.test/p/${p.id}`})`,
  );
  await execute(
    db.conn,
    sql`INSERT INTO products (product_id, name, category, price, currency, stock, active, image_url, url)
        VALUES ${sql.join(rows)}`,
  );
}

let seq = 0;
/** One INSERT into events for all the events, and one into purchase_items for the purchases. */
export async function insertEvents(db: Db, events: readonly FixtureEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    seq += 1;
    return { ...e, seq, ts: at(e.hoursAgo) };
  });
  await execute(
    db.conn,
    sql`INSERT INTO events (seq, id, type, profile_id, ts, product_id, order_id, quantity, received_at)
        VALUES ${sql.join(
          rows.map((e) =>
            e.type === "purchase"
              ? sql`(${e.seq}, ${`e${e.seq}`}, 'purchase', ${e.profile}, ${e.ts}, NULL, ${`o${e.seq}`}, NULL, ${e.ts})`
              : sql`(${e.seq}, ${`e${e.seq}`}, ${e.type}, ${e.profile}, ${e.ts}, ${e.product}, NULL, 1, ${e.ts})`,
          ),
        )}`,
  );
  const purchases = rows.filter((e) => e.type === "purchase");
  if (purchases.length === 0) return;
  await execute(
    db.conn,
    sql`INSERT INTO purchase_items (seq, event_id, profile_id, ts, order_id, product_id, quantity, price)
        VALUES ${sql.join(
          purchases.map(
            (e) =>
              sql`(${e.seq}, ${`e${e.seq}`}, ${e.profile}, ${e.ts}, ${`o${e.seq}`}, ${e.product}, 1, 10)`,
          ),
        )}`,
  );
}

/** The shop most strategy tests use. */
export const PRODUCTS: FixtureProduct[] = [
  { id: "A", category: "Outerwear", price: 100 },
  { id: "B", category: "Outerwear", price: 80 },
  { id: "C", category: "Outerwear", price: 120 },
  { id: "D", category: "Shoes", price: 60 },
  { id: "E", category: "Shoes", price: 50 },
  { id: "F", category: "Shoes", price: 40, stock: 0 },
  { id: "G", category: "Hats", price: 20, active: false },
  { id: "H", category: "Hats", price: 25 },
  { id: "I", category: "Hats", price: 30 },
];

const views = (profile: string, products: string, hoursAgo = 48): FixtureEvent[] =>
  [...products].map((product) => ({ type: "product_view", profile, product, hoursAgo }));
const carts = (profile: string, products: string, hoursAgo = 47): FixtureEvent[] =>
  [...products].map((product) => ({ type: "cart_add", profile, product, hoursAgo }));
const buys = (profile: string, products: string, hoursAgo = 46): FixtureEvent[] =>
  [...products].map((product) => ({ type: "purchase", profile, product, hoursAgo }));

export const EVENTS: FixtureEvent[] = [
  ...views("u1", "ABCD"),
  ...carts("u1", "BD"),
  ...buys("u1", "BD"),
  ...views("u2", "ABD"),
  ...carts("u2", "BE"),
  ...buys("u2", "BE"),
  ...views("u3", "ACFG"),
  ...carts("u3", "C"),
  ...buys("u3", "C"),
  ...views("u4", "BE"),
  ...carts("u4", "EH"),
  ...buys("u4", "EH"),
  // the shopper we recommend for: viewed A twice, bought H
  ...views("t", "A", 10),
  ...views("t", "A", 5),
  ...buys("t", "H", 20),
  // 60 days ago: outside every window, must count nowhere
  ...views("old", "AI", 24 * 60),
  ...buys("old", "AI", 24 * 60),
];
