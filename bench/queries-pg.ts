import { createReadStream, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { messageOf } from "../ingest/index.ts";

/** The tables the segments read, in load order, with the columns both databases have. */
const TABLES: Readonly<Record<string, string>> = {
  stores: "store_id, name, city, country, timezone",
  products: "product_id, name, category, price, currency, stock, active, image_url, url",
  profiles: "profile_id, email, first_name, last_name, locale, timezone, consent, city, country, created_at",
  events:
    "seq, id, type, profile_id, ts, product_id, quantity, price, currency, order_id, session_id, received_at",
  purchase_items: "seq, event_id, profile_id, ts, order_id, product_id, quantity, price",
  orders: "order_id, profile_id, store_id, ordered_at, total, currency, status",
  order_items: "order_id, product_id, quantity, price",
  bookings: "booking_id, profile_id, store_id, starts_at, service, status",
};

const SCHEMA = readFileSync(new URL("./queries-pg.sql", import.meta.url), "utf8");
const INDEXES = readFileSync(new URL("./queries-pg-index.sql", import.meta.url), "utf8");

/** Connects, or says why not (the bench then skips PostgreSQL). */
export async function connectPg(url: string): Promise<pg.Client | string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    // work_mem: give PostgreSQL room for its hash aggregates, as DuckDB has its memory_limit.
    await client.query(
      "SET search_path TO nudge_bench, public; SET TimeZone = 'UTC'; SET work_mem = '256MB'",
    );
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    return messageOf(err);
  }
}

export async function pgShape(client: pg.Client): Promise<string | undefined> {
  try {
    const r = await client.query("SELECT shape FROM nudge_bench.bench_meta");
    return r.rows[0]?.shape;
  } catch {
    return undefined;
  }
}

/**
 * Copies every table from DuckDB to PostgreSQL: DuckDB writes a CSV, `COPY … FROM STDIN` streams it
 * in. Then the indexes and ANALYZE. Returns the time of each phase in ms.
 */
export async function loadPg(
  client: pg.Client,
  duck: DuckDBConnection,
  tmpDir: string,
  shape: string,
): Promise<{ table: string; rows: number; exportMs: number; copyMs: number }[]> {
  await client.query(SCHEMA);
  const report = [];
  for (const [table, cols] of Object.entries(TABLES)) {
    const file = join(tmpDir, `${table}.csv`);
    let t = performance.now();
    // Trusted bench SQL (constant table and column names, a path we chose).
    const res = await duck.run(`COPY (SELECT ${cols} FROM ${table}) TO '${file}' (FORMAT csv, HEADER false)`);
    const rows = Number(res.rowsChanged);
    const exportMs = performance.now() - t;
    t = performance.now();
    await pipeline(
      createReadStream(file),
      client.query(copyFrom(`COPY nudge_bench.${table} (${cols}) FROM STDIN WITH (FORMAT csv)`)),
    );
    rmSync(file);
    report.push({ table, rows, exportMs, copyMs: performance.now() - t });
  }
  const t = performance.now();
  await client.query(INDEXES);
  await client.query("SET search_path TO nudge_bench, public");
  await client.query("INSERT INTO nudge_bench.bench_meta VALUES ($1)", [shape]);
  report.push({ table: "(indexes + analyze)", rows: 0, exportMs: 0, copyMs: performance.now() - t });
  return report;
}

/** The same count on PostgreSQL: `$name` parameters become `$1…$n` (trusted bench text). */
export async function countPg(
  client: pg.Client,
  segmentSql: string,
  params: Record<string, string>,
  entityKey: string | undefined,
): Promise<{ count: number; entities?: number; ms: number }> {
  const names: string[] = [];
  const text = segmentSql
    .trim()
    .replace(/;\s*$/, "")
    .replace(/\$([A-Za-z_]\w*)/g, (_m, name: string) => {
      if (!names.includes(name)) names.push(name);
      return `$${names.indexOf(name) + 1}`;
    });
  const entity = entityKey ? `, count(DISTINCT ${entityKey}) AS entities` : "";
  const started = performance.now();
  const r = await client.query(
    `SELECT count(DISTINCT profile_id) AS profiles${entity} FROM (\n${text}\n) AS segment`,
    names.map((n) => params[n]),
  );
  const ms = performance.now() - started;
  const row = r.rows[0] ?? {};
  return { count: Number(row.profiles), entities: entityKey ? Number(row.entities) : undefined, ms };
}
