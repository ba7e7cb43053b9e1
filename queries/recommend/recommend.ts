import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import type { Db } from "../../ingest/index.ts";
import { bindValues, loadSql, queryRows, type Sql, sql } from "../sql.ts";
import { loadBatch, type RecommendRequest } from "./batch.ts";
import { modelsBuiltAt, refreshModels } from "./models.ts";
import { readRecommendations } from "./read-rows.ts";
import { strategySql } from "./strategies.ts";

const INPUTS = loadSql(new URL("./inputs.sql", import.meta.url));
const RANK = loadSql(new URL("./rank.sql", import.meta.url));

const DAY_MS = 86_400_000;

export const RecommendOptions = z.object({
  strategy: z.string().min(1),
  limit: z.number().int().min(1).max(1000),
  now: z.date(),
  /** History window for the shopper's own views/purchases and the bought-exclusion (default 30 days). */
  lookbackMs: z.number().int().positive().optional(),
  /** Only products in the categories of the context items (when there are any). */
  sameCategory: z.boolean().optional(),
  priceMin: z.number().nonnegative().optional(),
  priceMax: z.number().nonnegative().optional(),
});
export type RecommendOptions = z.infer<typeof RecommendOptions>;

/** What an email needs to show a product. */
export interface ProductDetails {
  readonly name: string | null;
  readonly category: string | null;
  readonly price: number | null;
  readonly imageUrl: string | null;
  readonly url: string | null;
}

export interface Recommendation {
  readonly profileId: string;
  readonly productId: string;
  readonly score: number;
  /** Human-readable, kept in the send log: `viewed_viewed: 37 shoppers also viewed`. */
  readonly reason: string;
  /** 1-based position within the profile's list. */
  readonly rank: number;
  readonly product: ProductDetails;
}

/**
 * The one statement that scores a whole batch: inputs, the strategy as `candidates`, the rules.
 * `strategyText` defaults to the strategy file named by `opts.strategy`.
 */
export function recommendSql(opts: RecommendOptions, strategyText = strategySql(opts.strategy)): Sql {
  const since = new Date(opts.now.getTime() - (opts.lookbackMs ?? 30 * DAY_MS));
  const params = {
    now: opts.now,
    since,
    limit: opts.limit,
    same_category: opts.sameCategory ?? false,
    price_min: opts.priceMin ?? null,
    price_max: opts.priceMax ?? null,
    // seeds per shopper: the most recently viewed products (bounds the work for heavy browsers)
    max_seeds: 20,
  };
  return sql`WITH ${sql.file(INPUTS, params)},
candidates AS (
${sql.file(strategyText, params)}
),
${sql.file(RANK, params)}`;
}

/**
 * Recommendations for a whole batch of shoppers in ONE statement (never one query per profile):
 * the batch goes into a temp table, the strategy scores it, the rules (exclusions, inclusion rules,
 * popular backup, dedupe, stable ranking) cut each list to `limit`. Builds the models first if they
 * were never built. Rows come back ordered by profile, then rank.
 *
 * @example
 * const recs = await recommend(db, [{ profileId: "p1", context: ["sku-1"] }],
 *   { strategy: "cart_based", limit: 4, now: new Date() });
 */
export async function recommend(
  db: Db,
  requests: readonly RecommendRequest[],
  options: RecommendOptions,
): Promise<Recommendation[]> {
  const opts = RecommendOptions.parse(options);
  await ensureModels(db, opts);
  const conn = await db.instance.connect();
  try {
    // rec_batch goes with the connection: no DROP statement (each costs a round trip and CPU)
    return await scoreBatch(conn, requests, opts);
  } finally {
    conn.closeSync();
  }
}

// One first build per database, however many calls arrive before it is done.
const firstBuild = new WeakMap<Db, Promise<unknown>>();

async function ensureModels(db: Db, opts: RecommendOptions): Promise<void> {
  let pending = firstBuild.get(db);
  if (!pending) {
    pending = (async () => {
      if ((await modelsBuiltAt(db.conn)) === null)
        await refreshModels(db, { now: opts.now, lookbackMs: opts.lookbackMs });
    })();
    firstBuild.set(db, pending);
    pending.catch(() => firstBuild.delete(db));
  }
  await pending;
}

/**
 * `recommend` on a given connection, reading the models its search path finds (built beforehand);
 * its temp table `rec_batch` is replaced.
 */
export async function recommendOn(
  conn: DuckDBConnection,
  requests: readonly RecommendRequest[],
  options: RecommendOptions,
): Promise<Recommendation[]> {
  const opts = RecommendOptions.parse(options);
  try {
    return await scoreBatch(conn, requests, opts);
  } finally {
    await conn.run("DROP TABLE IF EXISTS temp.rec_batch");
  }
}

async function scoreBatch(
  conn: DuckDBConnection,
  requests: readonly RecommendRequest[],
  opts: RecommendOptions,
): Promise<Recommendation[]> {
  const query = recommendSql(opts);
  if (requests.length === 0) return [];
  await loadBatch(conn, requests);
  return await readRecommendations(await conn.run(query.text, bindValues(query)));
}

const DetailsRow = z.object({
  product_id: z.string(),
  name: z.string().nullable(),
  category: z.string().nullable(),
  price: z.number().nullable(),
  image_url: z.string().nullable(),
  url: z.string().nullable(),
});

/** Name, category, price, image and link of products (in the order asked; unknown ids left out). */
export async function productDetails(db: Db, ids: readonly string[]): Promise<Map<string, ProductDetails>> {
  const rows = await queryRows(
    db.conn,
    sql`SELECT product_id, name, category, price, image_url, url FROM products
        WHERE list_contains(${[...ids]}, product_id)`,
  );
  const byId = new Map<string, ProductDetails>();
  for (const raw of rows) {
    const r = DetailsRow.parse(raw);
    byId.set(r.product_id, {
      name: r.name,
      category: r.category,
      price: r.price,
      imageUrl: r.image_url,
      url: r.url,
    });
  }
  return new Map(ids.flatMap((id) => (byId.has(id) ? [[id, byId.get(id) as ProductDetails] as const] : [])));
}
