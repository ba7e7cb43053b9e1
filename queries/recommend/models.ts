import type { DuckDBConnection } from "@duckdb/node-api";
import type { Db } from "../../ingest/index.ts";
import { execute, loadSql, queryRows, type Sql, sql } from "../sql.ts";

/** The co-occurrence and popularity tables the strategies read (built by `pairSql` and `models/popular.sql`). */
export const MODELS = ["viewed_viewed", "viewed_bought", "bought_bought", "cart_bought", "popular"] as const;
export type ModelName = (typeof MODELS)[number];

/**
 * The co-occurrence models are stored keyed by integer item codes (`model_<name>_by_item(a, b,
 * shoppers, rank)` with `model_items(item, product_id)`); `model_<name>(a, b, shoppers)` is the same
 * by product id, a view for people and for strategies that prefer ids. Each pairs one input with
 * another (see `pairSql`): viewed_viewed counts shoppers who viewed both items, viewed_bought those
 * who viewed a and bought b, bought_bought those who bought both, cart_bought those who added a to a
 * cart and bought b.
 */
const PAIRS = {
  viewed_viewed: ["seen", "seen"],
  viewed_bought: ["seen", "bought"],
  bought_bought: ["bought", "bought"],
  cart_bought: ["carted", "bought"],
} as const satisfies Partial<Record<ModelName, readonly [string, string]>>;
type PairModel = keyof typeof PAIRS;
const PAIR_MODELS = Object.keys(PAIRS) as PairModel[];

/**
 * model_<name>_by_item(a, b, shoppers, rank): for every ordered pair of different items (a from input
 * `x`, b from input `y`), how many distinct shoppers are in both; pairs of fewer than `min_shoppers`
 * are dropped and each item keeps its `max_neighbours` strongest partners, ranked 1, 2, … (ties: the
 * more popular partner first, the order recommendations break ties with).
 */
function pairSql(x: string, y: string, p: { min_shoppers: number; max_neighbours: number }): Sql {
  return sql`SELECT c.a, c.b, c.shoppers,
      row_number() OVER (PARTITION BY c.a ORDER BY c.shoppers DESC, o.popularity)::INTEGER AS rank
    FROM (
      SELECT x.item AS a, y.item AS b, count(*)::INTEGER AS shoppers
      FROM ${sql.ident(`model_input_${x}`)} x
      JOIN ${sql.ident(`model_input_${y}`)} y ON x.profile_id = y.profile_id AND x.item <> y.item
      GROUP BY x.item, y.item
      HAVING count(*) >= ${p.min_shoppers}
    ) c
    JOIN model_input_order o ON o.item = c.b
    QUALIFY rank <= ${p.max_neighbours}`;
}

/**
 * Inputs computed once per rebuild into temp tables `model_input_<name>`, in this order: the item
 * codes, popularity (the pair models break ties with it; kept as model_popular), each item's place
 * in that order, then what each shopper viewed, bought and carted.
 */
const INPUTS = ["items", "popular", "order", "seen", "bought", "carted"] as const;
const INPUT_SQL: ReadonlyMap<string, string> = new Map(
  INPUTS.map((i) => [
    i,
    loadSql(new URL(i === "popular" ? "./models/popular.sql" : `./models/input_${i}.sql`, import.meta.url)),
  ]),
);

const DAY_MS = 86_400_000;

export interface RefreshOptions {
  /** The end of the window (exclusive): only events before it feed the models. */
  readonly now: Date;
  /** Co-occurrence window length (default 30 days). */
  readonly lookbackMs?: number;
  /** Popularity window length (default 7 days). */
  readonly popularMs?: number;
  /** Pairs seen by fewer distinct shoppers are dropped (default 1: keep all). */
  readonly minShoppers?: number;
  /** At most this many products per shopper feed the pairs (default 50). */
  readonly maxItems?: number;
  /** Each product keeps only its strongest this-many partners (default 50), as item-based CF does. */
  readonly maxNeighbours?: number;
  /** Schema the models live in (default `main`; the backtest uses its own). */
  readonly schema?: string;
}

export interface RefreshStats {
  readonly builtAt: Date;
  readonly since: Date;
  /** Wall time of the whole rebuild (build + swap), ms. */
  readonly ms: number;
  readonly rows: Readonly<Record<ModelName, number>>;
  /** Wall time of each step (shared inputs, then each model), ms. */
  readonly steps: Readonly<Record<string, number>>;
}

/**
 * Rebuilds every model from the history in [now - lookback, now) and swaps them in within ONE
 * transaction: readers on other connections see the old models until the commit, never a half-built
 * one. Runs on its own connection so it does not block the caller's.
 *
 * @example
 * const stats = await refreshModels(db, { now: new Date(), lookbackMs: 30 * 86_400_000 });
 * console.log(`models rebuilt in ${stats.ms} ms`, stats.rows);
 */
export async function refreshModels(db: Db, opts: RefreshOptions): Promise<RefreshStats> {
  const conn = await db.instance.connect();
  try {
    return await refreshModelsOn(conn, opts);
  } finally {
    conn.closeSync();
  }
}

export async function refreshModelsOn(conn: DuckDBConnection, opts: RefreshOptions): Promise<RefreshStats> {
  const started = performance.now();
  const schema = opts.schema ?? "main";
  const lookbackMs = opts.lookbackMs ?? 30 * DAY_MS;
  const since = new Date(opts.now.getTime() - lookbackMs);
  const params = {
    now: opts.now,
    since,
    popular_since: new Date(opts.now.getTime() - (opts.popularMs ?? 7 * DAY_MS)),
    min_shoppers: opts.minShoppers ?? 1,
    max_items: opts.maxItems ?? 50,
    max_neighbours: opts.maxNeighbours ?? 50,
  };
  const table = (name: string) => sql`${sql.ident(schema)}.${sql.ident(name)}`;
  await execute(conn, sql`CREATE SCHEMA IF NOT EXISTS ${sql.ident(schema)}`);
  await conn.run("BEGIN TRANSACTION");
  try {
    const steps: Record<string, number> = {};
    let mark = performance.now();
    const step = (name: string) => {
      steps[name] = performance.now() - mark;
      mark = performance.now();
    };
    for (const [name, text] of INPUT_SQL) {
      await execute(
        conn,
        sql`CREATE OR REPLACE TEMP TABLE ${sql.ident(`model_input_${name}`)} AS ${sql.file(text, params)}`,
      );
      step(`input_${name}`);
    }
    for (const name of ["items", "popular"]) {
      await execute(
        conn,
        sql`CREATE OR REPLACE TABLE ${table(`model_${name}`)} AS SELECT * FROM ${sql.ident(`model_input_${name}`)}`,
      );
    }
    await dropTablesNamed(
      conn,
      schema,
      PAIR_MODELS.map((m) => `model_${m}`),
    );
    for (const name of PAIR_MODELS) {
      const [x, y] = PAIRS[name];
      await execute(
        conn,
        sql`CREATE OR REPLACE TABLE ${table(`model_${name}_by_item`)} AS ${pairSql(x, y, params)}`,
      );
      await execute(conn, byProductView(table, name));
      step(`model_${name}`);
    }
    const rows = await countRows(conn, schema);
    await execute(
      conn,
      sql`CREATE OR REPLACE TABLE ${table("model_meta")} AS
        SELECT ${opts.now}::TIMESTAMPTZ AS built_at, ${since}::TIMESTAMPTZ AS since,
          ${Math.round(performance.now() - started)}::INTEGER AS build_ms`,
    );
    for (const name of INPUTS)
      await execute(conn, sql`DROP TABLE ${sql.ident("temp")}.${sql.ident(`model_input_${name}`)}`);
    await conn.run("COMMIT");
    return { builtAt: opts.now, since, ms: performance.now() - started, rows, steps };
  } catch (err) {
    await conn.run("ROLLBACK");
    throw err;
  }
}

/** `model_<name>`, the co-occurrence model by product id: a view over the one keyed by item codes. */
function byProductView(table: (name: string) => Sql, name: ModelName): Sql {
  return sql`CREATE OR REPLACE VIEW ${table(`model_${name}`)} AS
    SELECT ia.product_id AS a, ib.product_id AS b, m.shoppers
    FROM ${table(`model_${name}_by_item`)} m
    JOIN ${table("model_items")} ia ON ia.item = m.a
    JOIN ${table("model_items")} ib ON ib.item = m.b`;
}

/** Drops the tables (not views) among `names`: the co-occurrence models were tables before they were views. */
async function dropTablesNamed(
  conn: DuckDBConnection,
  schema: string,
  names: readonly string[],
): Promise<void> {
  const rows = await queryRows(
    conn,
    sql`SELECT table_name FROM duckdb_tables()
        WHERE schema_name = ${schema} AND NOT temporary AND list_contains(${[...names]}, table_name)`,
  );
  for (const r of rows) {
    await execute(conn, sql`DROP TABLE ${sql.ident(schema)}.${sql.ident(String(r.table_name))}`);
  }
}

async function countRows(conn: DuckDBConnection, schema: string): Promise<Record<ModelName, number>> {
  const parts = MODELS.map(
    (m) =>
      sql`SELECT ${m} AS model, count(*)::INTEGER AS n
          FROM ${sql.ident(schema)}.${sql.ident(m in PAIRS ? `model_${m}_by_item` : `model_${m}`)}`,
  );
  const rows = await queryRows(conn, sql.join(parts, " UNION ALL "));
  const out = Object.fromEntries(MODELS.map((m) => [m, 0])) as Record<ModelName, number>;
  for (const r of rows) out[r.model as ModelName] = Number(r.n);
  return out;
}

/** When the models in `schema` were last built, or null if they never were. */
export async function modelsBuiltAt(conn: DuckDBConnection, schema = "main"): Promise<Date | null> {
  const exists = await queryRows(
    conn,
    sql`SELECT 1 FROM duckdb_tables() WHERE schema_name = ${schema} AND table_name = 'model_meta' AND NOT temporary`,
  );
  if (exists.length === 0) return null;
  const rows = await queryRows(conn, sql`SELECT built_at FROM ${sql.ident(schema)}.model_meta`);
  const at = rows[0]?.built_at;
  return at instanceof Date ? at : null;
}
