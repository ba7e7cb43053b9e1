import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "../ingest/index.ts";
import { loadBatch, queryRows, recommendSql, refreshModels, strategySql } from "../queries/index.ts";
import { type FixtureEvent, insertEvents, insertProducts, NOW } from "./recommend-fixtures.ts";

// The co-occurrence strategies read only each seed's first keep + (not eligible) neighbours. With
// few neighbours kept per item and many products ineligible, that cut must change no list: compare
// with the same strategy reading every neighbour.
const CUT = " AND m.rank <= s.keep + coalesce(x.n, 0)";
const PAIR_STRATEGIES = ["viewed_viewed", "viewed_bought", "bought_bought", "cart_based"];
const PROFILES = ["p0", "p1", "p2", "p3", "p4"];
const N = 14;

const shop = fc.record({
  products: fc.array(
    fc.record({
      category: fc.constantFrom("X", "Y"),
      price: fc.integer({ min: 1, max: 100 }),
      stock: fc.integer({ min: 0, max: 5 }),
      active: fc.constantFrom(true, true, true, false),
    }),
    { minLength: N, maxLength: N },
  ),
  events: fc.array(
    fc.record({
      type: fc.constantFrom(
        "product_view",
        "product_view",
        "product_view",
        "cart_add",
        "purchase",
      ) as fc.Arbitrary<FixtureEvent["type"]>,
      profile: fc.constantFrom(...PROFILES),
      product: fc.integer({ min: 0, max: N - 1 }).map((i) => `sku${i}`),
      hoursAgo: fc.integer({ min: 1, max: 20 * 24 }),
    }),
    { minLength: 20, maxLength: 80 },
  ),
  context: fc.array(
    fc.integer({ min: 0, max: N - 1 }).map((i) => `sku${i}`),
    { maxLength: 2 },
  ),
  limit: fc.integer({ min: 1, max: 4 }),
  maxNeighbours: fc.integer({ min: 2, max: 6 }),
  strategy: fc.constantFrom(...PAIR_STRATEGIES),
  sameCategory: fc.boolean(),
  priceMax: fc.option(fc.integer({ min: 20, max: 100 }), { nil: undefined }),
});

describe("co-occurrence strategies read only the neighbours that can be shown", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(":memory:");
  });
  afterAll(() => db.close());

  it("gives the same lists as reading every neighbour (property)", async () => {
    for (const name of PAIR_STRATEGIES) expect(strategySql(name)).toContain(CUT);
    await fc.assert(
      fc.asyncProperty(shop, async (s) => {
        await db.conn.run("DELETE FROM products; DELETE FROM events; DELETE FROM purchase_items;");
        await insertProducts(
          db,
          s.products.map((p, i) => ({ ...p, id: `sku${i}` })),
        );
        await insertEvents(db, s.events);
        await refreshModels(db, { now: NOW, maxNeighbours: s.maxNeighbours });
        const opts = {
          strategy: s.strategy,
          limit: s.limit,
          now: NOW,
          sameCategory: s.sameCategory,
          priceMax: s.priceMax,
        };
        await loadBatch(
          db.conn,
          PROFILES.map((profileId, i) => ({ profileId, context: i === 0 ? s.context : [] })),
        );
        const cut = recommendSql(opts);
        const all = recommendSql(opts, strategySql(s.strategy).replace(CUT, ""));
        expect(await queryRows(db.conn, cut)).toEqual(await queryRows(db.conn, all));
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
