import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "../ingest/index.ts";
import { BUILTIN_STRATEGIES, recommend, refreshModels } from "../queries/index.ts";
import {
  type FixtureEvent,
  type FixtureProduct,
  insertEvents,
  insertProducts,
  NOW,
} from "./recommend-fixtures.ts";

const PROFILES = ["p0", "p1", "p2", "p3", "fresh"];
const LOOKBACK_HOURS = 30 * 24;

const product = (i: number) =>
  fc.record({
    id: fc.constant(`sku${i}`),
    category: fc.constantFrom("X", "Y", "Z"),
    price: fc.integer({ min: 1, max: 100 }),
    stock: fc.integer({ min: 0, max: 2 }),
    active: fc.boolean(),
  });

const shop = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    products: fc.tuple(...Array.from({ length: n }, (_, i) => product(i))),
    events: fc.array(
      fc.record({
        type: fc.constantFrom("product_view", "product_view", "cart_add", "purchase") as fc.Arbitrary<
          FixtureEvent["type"]
        >,
        profile: fc.constantFrom(...PROFILES.slice(0, 4)),
        product: fc.integer({ min: 0, max: n - 1 }).map((i) => `sku${i}`),
        hoursAgo: fc.integer({ min: 0, max: 40 * 24 }),
      }),
      { maxLength: 40 },
    ),
    contexts: fc.tuple(
      ...PROFILES.map(() =>
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: n - 1 }).map((i) => `sku${i}`),
            fc.constant("unknown"),
          ),
          { maxLength: 3 },
        ),
      ),
    ),
    limit: fc.integer({ min: 1, max: 6 }),
    strategy: fc.constantFrom(...BUILTIN_STRATEGIES),
    sameCategory: fc.boolean(),
    priceMin: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
    priceMax: fc.option(fc.integer({ min: 40, max: 100 }), { nil: undefined }),
  }),
);

describe("recommendation rules hold for any shop (property)", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(":memory:");
  });
  afterAll(() => db.close());

  it("never recommends excluded items, never repeats one, and fills `limit` when the catalog allows", async () => {
    await fc.assert(
      fc.asyncProperty(shop, async (s) => {
        await db.conn.run("DELETE FROM products; DELETE FROM events; DELETE FROM purchase_items;");
        const products: FixtureProduct[] = s.products;
        await insertProducts(db, products);
        await insertEvents(db, s.events);
        await refreshModels(db, { now: NOW });
        const requests = PROFILES.map((profileId, i) => ({ profileId, context: s.contexts[i] ?? [] }));
        const recs = await recommend(db, requests, {
          strategy: s.strategy,
          limit: s.limit,
          now: NOW,
          sameCategory: s.sameCategory,
          priceMin: s.priceMin,
          priceMax: s.priceMax,
        });

        // an independent computation of what each shopper may be shown
        const byId = new Map(products.map((p) => [p.id, p]));
        for (const { profileId, context } of requests) {
          const bought = s.events
            .filter((e) => e.profile === profileId && e.type === "purchase")
            .filter((e) => e.hoursAgo > 0 && e.hoursAgo <= LOOKBACK_HOURS)
            .map((e) => e.product);
          const excluded = new Set([...context, ...bought]);
          const contextCategories = new Set(
            context.flatMap((id) => (byId.has(id) ? [byId.get(id)?.category] : [])),
          );
          const allowed = new Set(
            products
              .filter((p) => p.active && (p.stock ?? 0) > 0 && !excluded.has(p.id))
              .filter(
                (p) =>
                  (s.priceMin === undefined || p.price >= s.priceMin) &&
                  (s.priceMax === undefined || p.price <= s.priceMax),
              )
              .filter(
                (p) => !s.sameCategory || contextCategories.size === 0 || contextCategories.has(p.category),
              )
              .map((p) => p.id),
          );
          const mine = recs.filter((r) => r.profileId === profileId);
          const ids = mine.map((r) => r.productId);
          for (const id of ids) expect(allowed, `${profileId} got ${id}`).toContain(id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(ids.length).toBe(Math.min(s.limit, allowed.size));
          expect(mine.map((r) => r.rank)).toEqual(ids.map((_, i) => i + 1));
          for (const r of mine)
            expect(r.reason).toMatch(
              /^(backup|popular|viewed_viewed|viewed_bought|bought_bought|cart_based|recently_viewed)[: ]/,
            );
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
