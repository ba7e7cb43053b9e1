import type { Db } from "../../ingest/index.ts";
import { queryRows, sql } from "../sql.ts";
import type { RecommendRequest } from "./batch.ts";
import { type RefreshStats, refreshModels } from "./models.ts";
import { recommend } from "./recommend.ts";
import { BUILTIN_STRATEGIES } from "./strategies.ts";

const DAY_MS = 86_400_000;

export interface BenchRecommendOptions {
  /** Recommend at this time (default: just after the latest event). */
  readonly now?: Date;
  /** Shoppers per batch (default 10,000). */
  readonly batchSize?: number;
  readonly limit?: number;
  /** Timed runs per strategy; the median is reported (default 3). */
  readonly runs?: number;
  readonly strategies?: readonly string[];
  /** Rebuild the models first (and report the time); default true. */
  readonly refresh?: boolean;
  /** Passed to refreshModels (default 2: pairs seen by one shopper only are dropped at this scale). */
  readonly minShoppers?: number;
}

export interface BenchRecommendResult {
  readonly batchSize: number;
  readonly eventsInWindow: number;
  readonly refresh?: RefreshStats;
  /** Median ms of a raw scan of the window's events (the columns the statement reads). */
  readonly rawScanMs: number;
  readonly strategies: readonly {
    strategy: string;
    medianMs: number;
    profilesPerSec: number;
    /** medianMs / rawScanMs */
    ratioToScan: number;
    rows: number;
  }[];
}

const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/**
 * The recommendation benchmark (called by `npm run bench:queries`): one batch of shoppers who
 * recently added to a cart (their last three cart items as the email's context), scored by each
 * strategy in one statement; figures are medians, with the ratio to a raw scan of the same events.
 *
 * @example
 * const r = await benchRecommend(db, { batchSize: 10_000 });
 * console.table(r.strategies);
 */
export async function benchRecommend(
  db: Db,
  opts: BenchRecommendOptions = {},
): Promise<BenchRecommendResult> {
  const [latest] = await queryRows(db.conn, sql`SELECT max(ts) AS latest FROM events`);
  const now =
    opts.now ?? (latest?.latest instanceof Date ? new Date(latest.latest.getTime() + 1) : new Date());
  const since = new Date(now.getTime() - 30 * DAY_MS);
  const batchSize = opts.batchSize ?? 10_000;
  const runs = opts.runs ?? 3;

  const refresh =
    opts.refresh === false ? undefined : await refreshModels(db, { now, minShoppers: opts.minShoppers ?? 2 });
  const requests = await cartBatch(db, now, batchSize);

  const scan = sql`SELECT count(*)::BIGINT AS n, sum(hash(profile_id, product_id, type))::HUGEINT AS h
    FROM events WHERE ts >= ${since} AND ts < ${now}`;
  const scanMs: number[] = [];
  let eventsInWindow = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const [row] = await queryRows(db.conn, scan);
    scanMs.push(performance.now() - t);
    eventsInWindow = Number(row?.n ?? 0);
  }
  const rawScanMs = median(scanMs);

  const strategies = [];
  for (const strategy of opts.strategies ?? BUILTIN_STRATEGIES) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      rows = (await recommend(db, requests, { strategy, limit: opts.limit ?? 8, now })).length;
      times.push(performance.now() - t);
    }
    const medianMs = median(times);
    strategies.push({
      strategy,
      medianMs,
      profilesPerSec: (requests.length / medianMs) * 1000,
      ratioToScan: medianMs / rawScanMs,
      rows,
    });
  }
  return { batchSize: requests.length, eventsInWindow, refresh, rawScanMs, strategies };
}

/** Shoppers with a cart_add in the last week (a cart-abandonment batch), their last 3 cart items as context. */
async function cartBatch(db: Db, now: Date, size: number): Promise<RecommendRequest[]> {
  const rows = await queryRows(
    db.conn,
    sql`WITH carts AS (
          SELECT profile_id, product_id, max(ts) AS at FROM events
          WHERE type = 'cart_add' AND ts >= ${new Date(now.getTime() - 7 * DAY_MS)} AND ts < ${now}
          GROUP BY profile_id, product_id
        ),
        chosen AS (SELECT DISTINCT profile_id FROM carts ORDER BY hash(profile_id), profile_id LIMIT ${size})
        SELECT c.profile_id, list(c.product_id ORDER BY c.at DESC, c.product_id)[1:3] AS items
        FROM carts c SEMI JOIN chosen USING (profile_id)
        GROUP BY c.profile_id ORDER BY c.profile_id`,
  );
  return rows.map((r) => ({
    profileId: String(r.profile_id),
    context: Array.isArray(r.items) ? r.items.map(String) : [],
  }));
}
