import type { DuckDBConnection } from "@duckdb/node-api";

/** One shopper to recommend for, with the items already in the email (cart, viewed products…). */
export interface RecommendRequest {
  readonly profileId: string;
  readonly context?: readonly string[];
}

/**
 * Loads a batch into the connection's temp table `rec_batch(profile_id, product_id, pos)` with the
 * DuckDB appender (the fastest way in; node-api has no Arrow import). A profile without context gets
 * one row with a NULL product so it is still in the batch.
 */
export async function loadBatch(
  conn: DuckDBConnection,
  requests: readonly RecommendRequest[],
): Promise<void> {
  await conn.run(
    "CREATE OR REPLACE TEMP TABLE rec_batch (profile_id VARCHAR NOT NULL, product_id VARCHAR, pos INTEGER NOT NULL)",
  );
  const appender = await conn.createAppender("rec_batch", "main", "temp");
  try {
    for (const req of requests) {
      const items = req.context ?? [];
      if (items.length === 0) {
        appender.appendVarchar(req.profileId);
        appender.appendNull();
        appender.appendInteger(0);
        appender.endRow();
      }
      items.forEach((item, pos) => {
        appender.appendVarchar(req.profileId);
        appender.appendVarchar(item);
        appender.appendInteger(pos);
        appender.endRow();
      });
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
