import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

const SCHEMA = readFileSync(new URL("./schema.sql", import.meta.url), "utf8");

/** Primary keys of the known entity tables (used by `load --upsert`). */
export const ENTITY_KEYS: Readonly<Record<string, readonly string[]>> = {
  profiles: ["profile_id"],
  products: ["product_id"],
  stores: ["store_id"],
  orders: ["order_id"],
  order_items: ["order_id", "product_id"],
  bookings: ["booking_id"],
};

export interface Db {
  readonly instance: DuckDBInstance;
  /** The connection for writes and trusted queries. Segment SQL never runs here. */
  readonly conn: DuckDBConnection;
  close(): void;
}

/**
 * Opens (or creates) the DuckDB database and applies the schema. `":memory:"` for tests.
 *
 * @example const db = await openDb(config.DUCKDB_PATH);
 */
export async function openDb(path: string): Promise<Db> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  // A checkpoint rewrites (and recompresses) the partly filled last row group of every table it
  // touches: at the default 16 MB of WAL that was ~2/3 of the history writer's commit time; at 64 MB,
  // a restart replays at most that much WAL (a second or two).
  const instance = await DuckDBInstance.create(path, { checkpoint_threshold: "64MB" });
  const conn = await instance.connect();
  await conn.run(SCHEMA);
  return {
    instance,
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Quotes an identifier for DuckDB (`my "table"` → `"my ""table"""`). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
