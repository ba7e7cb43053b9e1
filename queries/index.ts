/**
 * queries/: DuckDB SQL over the event history and the entity tables — recommendation strategies
 * (scored set-based for a whole batch of profiles), segments and counts.
 *
 * @example
 * const recs = await recommend(db, [{ profileId: "p1", context: ["sku-1"] }], { strategy: "cart_based", limit: 4, now });
 */

export * from "./recommend/index.ts";
export * from "./segments/index.ts";
export * from "./sql.ts";
