/**
 * Recommendations: strategies as `.sql` files in `queries/strategies/`, scored set-based for a whole
 * batch of shoppers in one DuckDB statement, over co-occurrence models rebuilt on a schedule.
 *
 * @example
 * await refreshModels(db, { now });
 * const recs = await recommend(db, [{ profileId: "p1" }], { strategy: "viewed_viewed", limit: 4, now });
 */

export * from "./backtest.ts";
export * from "./batch.ts";
export * from "./bench-recommend.ts";
export * from "./models.ts";
export * from "./recommend.ts";
export * from "./refresher.ts";
export * from "./strategies.ts";
