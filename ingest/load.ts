import { existsSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import { type Db, ENTITY_KEYS, quoteIdent } from "./db.ts";
import { messageOf, NudgeError } from "./errors.ts";

export type LoadMode = "replace" | "upsert";

export interface LoadResult {
  table: string;
  rows: number;
  elapsedMs: number;
  /** True when the table did not exist and was created from the file's inferred schema. */
  created: boolean;
}

type Reader = "csv" | "parquet" | "json";

const READERS: Readonly<Record<string, Reader>> = {
  ".csv": "csv",
  ".parquet": "parquet",
  ".ndjson": "json",
  ".jsonl": "json",
  ".json": "json",
};
/** Tables nudge writes itself from the event stream; never loaded from files. */
const RESERVED = new Set(["events", "purchase_items", "ingest_offsets"]);
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

const schemaError = (msg: string, context: Record<string, unknown>, cause?: unknown) =>
  new NudgeError("NUDGE_ERR_LOAD_SCHEMA", msg, { context, cause });
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The reader call for a file (`$path` bound), optionally forcing column types. */
function readerSql(reader: Reader, types?: ReadonlyMap<string, string>): string {
  const struct = types && `{${[...types].map(([c, t]) => `${sqlString(c)}: ${sqlString(t)}`).join(", ")}}`;
  if (reader === "csv") return `read_csv($path, header = true${struct ? `, types = ${struct}` : ""})`;
  if (reader === "parquet") return "read_parquet($path)";
  return struct ? `read_json($path, columns = ${struct})` : "read_json_auto($path)";
}

const FileColumn = z.object({ column_name: z.string() });
const TableColumn = z.object({ column_name: z.string(), data_type: z.string() });
const KeyColumns = z.object({ cols: z.array(z.string()) });
const Count = z.object({ n: z.number() });

async function rows<T>(
  conn: DuckDBConnection,
  schema: z.ZodType<T>,
  sql: string,
  params: Record<string, string>,
): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return z.array(schema).parse(reader.getRowObjectsJS());
}

/** DuckDB's message up to its advice (first blank line, "Try setting …"), on one line. */
function tidy(msg: string): string {
  const lines: string[] = [];
  for (const line of msg.split("\n")) {
    if (line.trim() === "" || line.startsWith("Try setting")) break;
    lines.push(line.trim());
  }
  return lines.join("; ");
}

function fail(err: unknown, file: string, table: string): never {
  if (err instanceof NudgeError) throw err;
  const msg = tidy(messageOf(err));
  if (/^IO Error/.test(msg))
    throw new NudgeError("NUDGE_ERR_LOAD_FILE", `cannot read ${file}: ${msg}`, { cause: err });
  throw schemaError(`${file} does not fit table ${table}: ${msg}`, { table, file }, err);
}

/**
 * Loads a CSV, Parquet or NDJSON file into an entity table through DuckDB's own readers. A known or
 * existing table keeps its columns and types; a new name is created from the file's inferred schema.
 * `replace` swaps the contents in one transaction; `upsert` inserts or replaces rows by primary key.
 *
 * @example await loadEntities(db, "products", "./data/shop/products.csv", { mode: "upsert" })
 */
export async function loadEntities(
  db: Db,
  table: string,
  file: string,
  opts: { mode: LoadMode } = { mode: "replace" },
): Promise<LoadResult> {
  const t0 = performance.now();
  if (!TABLE_NAME.test(table) || RESERVED.has(table)) {
    throw schemaError(
      RESERVED.has(table)
        ? `table ${table} is written by ingest and cannot be loaded from a file`
        : `bad table name "${table}": use lowercase letters, digits and _ (e.g. loyalty_tiers)`,
      { table },
    );
  }
  const reader = READERS[extname(file).toLowerCase()];
  if (!reader) {
    throw new NudgeError(
      "NUDGE_ERR_LOAD_FILE",
      `${file}: unknown format, use .csv, .parquet, .ndjson, .jsonl or .json`,
    );
  }
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new NudgeError("NUDGE_ERR_LOAD_FILE", `no such file: ${file}`, { context: { file } });
  }
  // A connection of its own: its transaction cannot interleave with other work on db.conn.
  const conn = await db.instance.connect();
  try {
    const path = { path: file };
    const fileCols = await rows(conn, FileColumn, `DESCRIBE SELECT * FROM ${readerSql(reader)}`, path).catch(
      (err: unknown) => {
        throw new NudgeError("NUDGE_ERR_LOAD_FILE", `cannot read ${file} as ${reader}: ${messageOf(err)}`, {
          cause: err,
        });
      },
    );
    const tableCols = await rows(
      conn,
      TableColumn,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $t ORDER BY ordinal_position",
      { t: table },
    );
    const target = quoteIdent(table);
    if (tableCols.length === 0) {
      await conn
        .run(`CREATE TABLE ${target} AS SELECT * FROM ${readerSql(reader)}`, path)
        .catch((e) => fail(e, file, table));
      const [c] = await rows(conn, Count, `SELECT count(*)::INTEGER AS n FROM ${target}`, {});
      return { table, rows: c?.n ?? 0, elapsedMs: performance.now() - t0, created: true };
    }

    const byName = new Map(tableCols.map((c) => [c.column_name.toLowerCase(), c]));
    const types = new Map<string, string>();
    for (const { column_name } of fileCols) {
      const col = byName.get(column_name.toLowerCase());
      if (!col) {
        throw schemaError(
          `column "${column_name}" of ${file} is not in table ${table} (columns: ${tableCols.map((c) => c.column_name).join(", ")})`,
          { table, file, column: column_name },
        );
      }
      // CSV has no JSON type: read the text and let the insert cast it
      types.set(column_name, reader === "csv" && col.data_type === "JSON" ? "VARCHAR" : col.data_type);
    }
    const keys = ENTITY_KEYS[table] ?? (await primaryKey(conn, table));
    const have = new Set(fileCols.map((c) => c.column_name.toLowerCase()));
    for (const key of keys) {
      if (!have.has(key)) {
        throw schemaError(`${file} has no column "${key}", the key of table ${table}`, {
          table,
          file,
          column: key,
        });
      }
    }
    if (opts.mode === "upsert" && keys.length === 0) {
      throw schemaError(`table ${table} has no primary key to upsert by; load it with replace`, { table });
    }
    const cols = [...types.keys()]
      .map((c) => quoteIdent(byName.get(c.toLowerCase())!.column_name))
      .join(", ");
    const select = `SELECT ${[...types.keys()].map(quoteIdent).join(", ")} FROM ${readerSql(reader, reader === "parquet" ? undefined : types)}`;
    if (opts.mode === "upsert") await refuseDuplicateKeys(conn, keys, fileCols, select, file, table);
    let inserted = 0;
    await conn.run("BEGIN TRANSACTION");
    try {
      if (opts.mode === "replace") await conn.run(`DELETE FROM ${target}`);
      const verb = opts.mode === "upsert" ? "INSERT OR REPLACE INTO" : "INSERT INTO";
      inserted = (await conn.run(`${verb} ${target} (${cols}) ${select}`, path)).rowsChanged;
      await conn.run("COMMIT");
    } catch (err) {
      await conn.run("ROLLBACK").catch(() => undefined);
      fail(err, file, table);
    }
    return { table, rows: inserted, elapsedMs: performance.now() - t0, created: false };
  } finally {
    conn.closeSync();
  }
}

/** Upsert needs one row per key (DuckDB would keep an arbitrary one): name the first repeated key. */
async function refuseDuplicateKeys(
  conn: DuckDBConnection,
  keys: readonly string[],
  fileCols: readonly { column_name: string }[],
  select: string,
  file: string,
  table: string,
): Promise<void> {
  const names = keys.map((k) => fileCols.find((c) => c.column_name.toLowerCase() === k)!.column_name);
  const keyList = names.map(quoteIdent).join(", ");
  const dup = await rows(
    conn,
    z.record(z.string(), z.unknown()),
    `SELECT ${keyList}, count(*)::INTEGER AS n FROM (${select}) GROUP BY ${keyList} HAVING count(*) > 1 LIMIT 1`,
    { path: file },
  ).catch((err: unknown) => fail(err, file, table));
  const first = dup[0];
  if (first) {
    const key = names.map((k) => `${k}=${String(first[k])}`).join(", ");
    throw schemaError(`${file} has ${first.n} rows with key ${key}: an upsert needs one row per key`, {
      table,
      file,
      key,
    });
  }
}

async function primaryKey(conn: DuckDBConnection, table: string): Promise<string[]> {
  const pk = await rows(
    conn,
    KeyColumns,
    "SELECT constraint_column_names AS cols FROM duckdb_constraints() WHERE schema_name = 'main' AND table_name = $t AND constraint_type = 'PRIMARY KEY'",
    { t: table },
  );
  return (pk[0]?.cols ?? []).map((c) => c.toLowerCase());
}

const EXTENSIONS = [".csv", ".parquet", ".ndjson", ".jsonl", ".json"];

/**
 * Loads every `<table>.<ext>` found in `dir` for the given tables (default: the shop's entity tables),
 * e.g. the output of `nudge generate`.
 *
 * @example await loadDir(db, "./data/shop", { mode: "replace" })
 */
export async function loadDir(
  db: Db,
  dir: string,
  opts: { mode: LoadMode; tables?: readonly string[] } = { mode: "replace" },
): Promise<LoadResult[]> {
  const tables = opts.tables ?? ["profiles", "products", "stores", "bookings", "orders", "order_items"];
  const results: LoadResult[] = [];
  for (const table of tables) {
    const file = EXTENSIONS.map((ext) => join(dir, table + ext)).find((f) => existsSync(f));
    if (file) results.push(await loadEntities(db, table, file, opts));
  }
  if (results.length === 0) {
    throw new NudgeError(
      "NUDGE_ERR_LOAD_FILE",
      `no entity files (${tables.join(", ")}; .csv, .parquet, .ndjson) in ${dir}`,
    );
  }
  return results;
}
