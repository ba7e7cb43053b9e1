/**
 * queries/segments: SQL segments (stored `.sql` files or inline) with named parameters, counted
 * exactly and selected in a locked-down DuckDB sandbox.
 *
 * @example
 * const runner = await openSegmentRunner(db, { dir: config.SEGMENTS_DIR, timeoutMs: 5_000 });
 * const { count, perEntity, elapsedMs } = await countSegment(runner, {
 *   name: "paris_outerwear_bookers",
 *   params: { now: new Date() },
 * });
 */
export * from "./params.ts";
export * from "./run.ts";
export * from "./runner.ts";
export * from "./sandbox.ts";
export * from "./service.ts";
export * from "./store.ts";
export { ALLOWED_TABLE_FUNCTIONS, vetSegmentSql } from "./vet.ts";
