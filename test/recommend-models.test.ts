import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../ingest/index.ts";
import {
  backtest,
  backtestMany,
  ModelRefresher,
  modelsBuiltAt,
  queryRows,
  type RefreshStats,
  recommend,
  refreshModels,
  sql,
} from "../queries/index.ts";
import { EVENTS, fixtureDb, insertEvents, NOW, PRODUCTS } from "./recommend-fixtures.ts";

const DAY = 86_400_000;
let db: Db | undefined;
afterEach(() => db?.close());

describe("model freshness", () => {
  it("builds the models from the window before `now` and reports rows and rebuild time", async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    expect(await modelsBuiltAt(db.conn)).toBeNull();
    const stats = await refreshModels(db, { now: NOW });
    expect(stats.rows).toEqual({
      viewed_viewed: 24,
      viewed_bought: 15,
      bought_bought: 6,
      cart_bought: 6,
      popular: 8,
    });
    expect(stats.ms).toBeGreaterThan(0);
    expect(await modelsBuiltAt(db.conn)).toEqual(NOW);
    const ab = await queryRows(
      db.conn,
      sql`SELECT shoppers FROM model_viewed_viewed WHERE a = 'A' AND b = 'B'`,
    );
    expect(ab).toEqual([{ shoppers: 2 }]);
  });

  it("sees new history only after a refresh", async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    await refreshModels(db, { now: NOW });
    const opts = { strategy: "viewed_viewed", limit: 1, now: NOW };
    expect((await recommend(db, [{ profileId: "t" }], opts))[0]?.productId).toBe("B");
    // three more shoppers view A and I: I becomes A's strongest neighbour once the model is rebuilt
    await insertEvents(
      db,
      ["x1", "x2", "x3"].flatMap((profile) => [
        { type: "product_view" as const, profile, product: "A", hoursAgo: 3 },
        { type: "product_view" as const, profile, product: "I", hoursAgo: 3 },
      ]),
    );
    expect((await recommend(db, [{ profileId: "t" }], opts))[0]?.productId).toBe("B");
    await refreshModels(db, { now: NOW });
    expect((await recommend(db, [{ profileId: "t" }], opts))[0]).toMatchObject({
      productId: "I",
      reason: "viewed_viewed: 3 shoppers also viewed",
    });
  });

  it("never lets a reader see a half-built model: each read sees one whole build", async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    await refreshModels(db, { now: NOW });
    const later = new Date(NOW.getTime() + 60 * DAY); // its window holds no events: empty models
    const reader = await db.instance.connect();
    const seen = new Set<string>();
    let done = false;
    const reads = (async () => {
      while (!done) {
        const [row] = await queryRows(
          reader,
          sql`SELECT (SELECT built_at FROM model_meta) AS at,
                (SELECT count(*) FROM model_viewed_viewed)::INT AS vv,
                (SELECT count(*) FROM model_popular)::INT AS pop`,
        );
        seen.add(`${row?.at instanceof Date ? row.at.toISOString() : "none"} ${row?.vv} ${row?.pop}`);
      }
    })();
    for (let i = 0; i < 4; i++) await refreshModels(db, { now: i % 2 === 0 ? later : NOW });
    done = true;
    await reads;
    reader.closeSync();
    const allowed = new Set([`${NOW.toISOString()} 24 8`, `${later.toISOString()} 0 0`]);
    expect(seen.size).toBeGreaterThan(0);
    for (const s of seen) expect(allowed).toContain(s);
  });

  it("ModelRefresher rebuilds on its interval with the time its clock gives", async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    const clock = [NOW, new Date(NOW.getTime() + DAY), new Date(NOW.getTime() + 2 * DAY)];
    let tick = 0;
    const built: RefreshStats[] = [];
    const third = new Promise<void>((resolve) => {
      const refresher = new ModelRefresher(db as Db, {
        intervalMs: 5,
        now: () => clock[Math.min(tick++, clock.length - 1)] as Date,
        onRefresh: (stats) => {
          built.push(stats);
          if (built.length === 3) void refresher.stop().then(resolve);
        },
        onError: (err) => {
          throw err;
        },
      });
      refresher.start();
    });
    await third;
    expect(built.map((s) => s.builtAt)).toEqual(clock);
    expect(await modelsBuiltAt((db as Db).conn)).toEqual(clock[2]);
  });
});

describe("backtest", () => {
  async function shopWithFuture(): Promise<Db> {
    const d = await fixtureDb(PRODUCTS, EVENTS);
    await insertEvents(d, [
      // after the cutoff: t buys B and E, u3 buys D (the truth) …
      { type: "purchase", profile: "t", product: "B", hoursAgo: -5 },
      { type: "purchase", profile: "t", product: "E", hoursAgo: -6 },
      { type: "purchase", profile: "u3", product: "D", hoursAgo: -7 },
      // … and three shoppers view A and E: were this to leak into the model, E would lead t's list
      ...["y1", "y2", "y3"].flatMap((profile) => [
        { type: "product_view" as const, profile, product: "A", hoursAgo: -1 },
        { type: "product_view" as const, profile, product: "E", hoursAgo: -1 },
      ]),
    ]);
    return d;
  }

  it("scores a strategy on purchases after the cutoff with only earlier events", async () => {
    db = await shopWithFuture();
    // viewed_viewed, k = 2: t gets B C (B bought: 1 of 2), u3 gets B D (D bought: 1 of 1).
    const r = await backtest(db, { strategy: "viewed_viewed", cutoff: NOW, k: 2 });
    expect(r).toMatchObject({
      strategy: "viewed_viewed",
      profiles: 2,
      hitRate: 1,
      recallAtK: 0.75,
      precisionAtK: 0.5,
    });
    // the replay used its own models: the live ones were never built
    expect(await modelsBuiltAt(db.conn)).toBeNull();
  });

  it("compares several strategies over the same replay", async () => {
    db = await shopWithFuture();
    const rs = await backtestMany(db, ["popular", "viewed_bought"], { cutoff: NOW, k: 2 });
    // popular: t (Outerwear) gets B C: 1 of 2; u3 (Outerwear, C bought) gets B A: 0 of 1.
    // viewed_bought: t gets B E: 2 of 2; u3 (seeds A C F G: B 2, then D E H 1 each) gets B E: 0 of 1.
    expect(rs.map((r) => [r.strategy, r.hitRate, r.recallAtK])).toEqual([
      ["popular", 0.5, 0.25],
      ["viewed_bought", 0.5, 0.5],
    ]);
  });
});

describe("first use", () => {
  it("builds the models on the first recommend, once, even for concurrent first calls", async () => {
    db = await fixtureDb(PRODUCTS, EVENTS);
    const opts = { strategy: "viewed_viewed", limit: 2, now: NOW };
    const lists = await Promise.all([1, 2, 3].map(() => recommend(db as Db, [{ profileId: "t" }], opts)));
    for (const recs of lists) expect(recs.map((r) => r.productId)).toEqual(["B", "C"]);
    expect(await modelsBuiltAt((db as Db).conn)).toEqual(NOW);
  });
});
