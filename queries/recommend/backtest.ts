import { randomUUID } from "node:crypto";
import { type DuckDBConnection, quotedString } from "@duckdb/node-api";
import type { Db } from "../../ingest/index.ts";
import { execute, queryRows, sql } from "../sql.ts";
import { refreshModelsOn } from "./models.ts";
import { recommendOn } from "./recommend.ts";

const DAY_MS = 86_400_000;

export interface BacktestOptions {
  /** Only events before it feed the models and the shoppers' history. */
  readonly cutoff: Date;
  /** Length of each list (recall@k). */
  readonly k: number;
  /** Purchases in [cutoff, cutoff + horizon) are the truth (default 30 days). */
  readonly horizonMs?: number;
  /** History and model window before the cutoff (default 30 days). */
  readonly lookbackMs?: number;
  /** At most this many shoppers (those with a purchase after the cutoff, by profile id; default 10,000). */
  readonly maxProfiles?: number;
  /** Shoppers scored per statement (default 10,000). */
  readonly batchSize?: number;
  /** Passed to the replayed model build (default 1). */
  readonly minShoppers?: number;
}

export interface BacktestResult {
  readonly strategy: string;
  readonly k: number;
  readonly cutoff: Date;
  /** Shoppers with at least one purchase in the horizon (the ones scored). */
  readonly profiles: number;
  /** Share of shoppers with at least one recommended product among their later purchases. */
  readonly hitRate: number;
  /** Mean over shoppers of |recommended ∩ purchased| / |purchased|. */
  readonly recallAtK: number;
  /** Mean over shoppers of |recommended ∩ purchased| / k. */
  readonly precisionAtK: number;
  /** Scoring time (models excluded), ms. */
  readonly ms: number;
}

/**
 * Replays history up to `cutoff` and scores `strategy` against what shoppers bought afterwards.
 * Models are built from events before the cutoff into a private schema, so the live models are
 * untouched; no context items are given, so each shopper is scored from their own history only.
 *
 * @example
 * const r = await backtest(db, { strategy: "viewed_bought", cutoff: new Date("2026-05-01T00:00Z"), k: 10 });
 * console.log(`hit rate ${r.hitRate}, recall@10 ${r.recallAtK}`);
 */
export async function backtest(
  db: Db,
  opts: BacktestOptions & { readonly strategy: string },
): Promise<BacktestResult> {
  const [result] = await backtestMany(db, [opts.strategy], opts);
  if (result === undefined) throw new Error("unreachable: one strategy in, one result out");
  return result;
}

/** `backtest` for several strategies over the same replayed models (built once). */
export async function backtestMany(
  db: Db,
  strategies: readonly string[],
  opts: BacktestOptions,
): Promise<BacktestResult[]> {
  const conn = await db.instance.connect();
  const schema = `backtest_${randomUUID().replaceAll("-", "")}`;
  try {
    await refreshModelsOn(conn, {
      now: opts.cutoff,
      lookbackMs: opts.lookbackMs,
      minShoppers: opts.minShoppers,
      schema,
    });
    // SET takes no bound parameters; the value is a quoted literal of our own generated schema name.
    await conn.run(`SET search_path = ${quotedString(`${schema},main`)}`);
    const truth = await purchasesAfter(conn, opts);
    const results: BacktestResult[] = [];
    for (const strategy of strategies) results.push(await score(conn, strategy, truth, opts));
    return results;
  } finally {
    await conn.run("RESET search_path");
    await execute(conn, sql`DROP SCHEMA IF EXISTS ${sql.ident(schema)} CASCADE`);
    conn.closeSync();
  }
}

async function purchasesAfter(
  conn: DuckDBConnection,
  opts: BacktestOptions,
): Promise<Map<string, Set<string>>> {
  const end = new Date(opts.cutoff.getTime() + (opts.horizonMs ?? 30 * DAY_MS));
  const rows = await queryRows(
    conn,
    sql`WITH buyers AS (
          SELECT DISTINCT profile_id FROM main.purchase_items WHERE ts >= ${opts.cutoff} AND ts < ${end}
          ORDER BY profile_id LIMIT ${opts.maxProfiles ?? 10_000}
        )
        SELECT DISTINCT i.profile_id, i.product_id
        FROM main.purchase_items i SEMI JOIN buyers b ON b.profile_id = i.profile_id
        WHERE i.ts >= ${opts.cutoff} AND i.ts < ${end}`,
  );
  const truth = new Map<string, Set<string>>();
  for (const r of rows) {
    const id = String(r.profile_id);
    const set = truth.get(id) ?? new Set<string>();
    set.add(String(r.product_id));
    truth.set(id, set);
  }
  return truth;
}

async function score(
  conn: DuckDBConnection,
  strategy: string,
  truth: Map<string, Set<string>>,
  opts: BacktestOptions,
): Promise<BacktestResult> {
  const started = performance.now();
  const profiles = [...truth.keys()].sort();
  const hits = new Map<string, number>();
  const size = opts.batchSize ?? 10_000;
  for (let i = 0; i < profiles.length; i += size) {
    const batch = profiles.slice(i, i + size).map((profileId) => ({ profileId }));
    const recs = await recommendOn(conn, batch, {
      strategy,
      limit: opts.k,
      now: opts.cutoff,
      lookbackMs: opts.lookbackMs,
    });
    for (const r of recs) {
      if (truth.get(r.profileId)?.has(r.productId)) hits.set(r.profileId, (hits.get(r.profileId) ?? 0) + 1);
    }
  }
  let hitProfiles = 0;
  let recall = 0;
  let precision = 0;
  for (const [profileId, bought] of truth) {
    const h = hits.get(profileId) ?? 0;
    if (h > 0) hitProfiles += 1;
    recall += h / bought.size;
    precision += h / opts.k;
  }
  const n = truth.size;
  return {
    strategy,
    k: opts.k,
    cutoff: opts.cutoff,
    profiles: n,
    hitRate: n === 0 ? 0 : hitProfiles / n,
    recallAtK: n === 0 ? 0 : recall / n,
    precisionAtK: n === 0 ? 0 : precision / n,
    ms: performance.now() - started,
  };
}
