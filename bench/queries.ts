/**
 * bench:queries — recommendations for a 10,000-profile batch and exact segment counts on a generated
 * shop (10M events, 1M profiles, 100k products), with PostgreSQL as a second engine when reachable.
 *
 *   npm run bench:queries              # full size
 *   npm run bench:queries -- --small   # 1M events, 100k profiles, 10k products (or BENCH_SMALL=1)
 *
 *   npm run bench:queries -- --strategies popular,cart_based   # which strategies to time
 *   npm run bench:queries -- --skip-recs / --skip-pg           # leave a section out
 *
 * Order: PostgreSQL load (needs file access, so before the lock), segment counts in the locked
 * sandbox, then recommendations (slowest last). Each section prints as soon as it is done.
 * Env: BENCH_DIR (default /tmp/nudge-bench-queries; the generated DuckDB file is reused when its
 * shape matches), BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_MEMORY (3GB).
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { type Db, openDb } from "../ingest/index.ts";
import {
  countSegment,
  openSegmentRunner,
  type RecommendRequest,
  recommend,
  refreshModels,
} from "../queries/index.ts";
import { buildShop, median, printTable, readShopShape, shopShape, trackPeakRss } from "./lib.ts";
import { connectPg, countPg, loadPg, pgShape } from "./queries-pg.ts";
import { BENCH_SEGMENTS } from "./queries-segments.ts";

const small = process.argv.includes("--small") || process.env.BENCH_SMALL === "1";
const size = small
  ? { events: 1_000_000, profiles: 100_000, products: 10_000, batch: 10_000 }
  : { events: 10_000_000, profiles: 1_000_000, products: 100_000, batch: 10_000 };
const RUNS = 5;
const NOW = new Date("2026-11-15T12:00:00Z");
const shape = shopShape(size);
const dir = process.env.BENCH_DIR ?? "/tmp/nudge-bench-queries";
const file = join(dir, `shop-${size.events}.duckdb`);
const SEGMENTS_DIR = new URL("../segments/", import.meta.url).pathname;
const rss = trackPeakRss();
const fmt = (ms: number) => Math.round(ms * 10) / 10;
const ratio = (x: number) => Math.round(x * 100) / 100;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

async function openShop(): Promise<{ db: Db; buildMs: number | undefined }> {
  mkdirSync(dir, { recursive: true });
  if (existsSync(file)) {
    const db = await openDb(file);
    if ((await readShopShape(db)) === shape) return { db, buildMs: undefined };
    db.close();
    rmSync(file, { force: true });
    rmSync(`${file}.wal`, { force: true });
  }
  const db = await openDb(file);
  await db.conn.run(`SET memory_limit = '${process.env.BENCH_MEMORY ?? "3GB"}'`);
  return { db, buildMs: await buildShop(db, size, NOW) };
}

console.log(`bench:queries ${small ? "(--small) " : ""}shape ${shape}, DuckDB file ${file}`);
const { db, buildMs } = await openShop();
await db.conn.run(`SET memory_limit = '${process.env.BENCH_MEMORY ?? "3GB"}'`);
await db.conn.run("SET TimeZone = 'UTC'");
console.log(
  buildMs === undefined ? "reused the generated shop" : `generated the shop in ${fmt(buildMs / 1000)} s`,
);
const counts =
  (
    await db.conn.runAndReadAll(
      "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM profiles), (SELECT count(*) FROM products), (SELECT count(*) FROM orders), (SELECT count(*) FROM bookings)",
    )
  )
    .getRows()[0]
    ?.map(Number) ?? [];
console.log(
  `rows: events ${counts[0]}, profiles ${counts[1]}, products ${counts[2]}, orders ${counts[3]}, bookings ${counts[4]}`,
);

const pgUrl = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** (c, first half) PostgreSQL: loaded before the lock (the CSV export needs file access). */
async function preparePg(): Promise<pg.Client | undefined> {
  const pgc = await connectPg(pgUrl);
  if (typeof pgc === "string") {
    console.log(`\nPostgreSQL not reachable at ${pgUrl} (${pgc}): skipping the PostgreSQL comparison.`);
    return undefined;
  }
  if ((await pgShape(pgc)) === shape) {
    console.log("\nPostgreSQL already holds this shop: reusing it");
    return pgc;
  }
  console.log("\nloading PostgreSQL (DuckDB COPY TO csv, then COPY FROM STDIN; unlogged tables) …");
  const report = await loadPg(pgc, db.conn, dir, shape);
  printTable(report.map((r) => ({ ...r, exportMs: fmt(r.exportMs), copyMs: fmt(r.copyMs) })));
  return pgc;
}

/** (b) exact counts in the locked sandbox (vetting included), and the same on PostgreSQL. */
async function benchSegments(pgc: pg.Client | undefined): Promise<void> {
  const scanMs = await rawScan();
  const runner = await openSegmentRunner(db, { dir: SEGMENTS_DIR, timeoutMs: 60_000 });
  const rows = [];
  const medians: number[] = [];
  for (const seg of BENCH_SEGMENTS) {
    const text = seg.sql ?? (await runner.store.get(seg.name)).sql;
    const params: Record<string, string> = text.includes("$now") ? { now: NOW.toISOString() } : {};
    const spec = { ...(seg.sql ? { sql: seg.sql } : { name: seg.name }), params };
    const first = await countSegment(runner, spec);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await countSegment(runner, spec)).elapsedMs);
    const duckMs = median(times);
    medians.push(duckMs);
    const row: Record<string, string | number> = {
      segment: seg.name,
      profiles: first.count,
      entities: first.perEntity ? `${first.perEntity.count} ${first.perEntity.key}` : "",
      "duckdb ms": fmt(duckMs),
      "× raw scan": ratio(duckMs / scanMs),
    };
    if (pgc) {
      const key = first.perEntity?.key;
      const pgFirst = await countPg(pgc, text, params, key);
      const pgTimes: number[] = [];
      for (let i = 0; i < RUNS; i++) pgTimes.push((await countPg(pgc, text, params, key)).ms);
      const equal = pgFirst.count === first.count && pgFirst.entities === first.perEntity?.count;
      row["postgres ms"] = fmt(median(pgTimes));
      row["pg / duckdb"] = ratio(median(pgTimes) / duckMs);
      row["counts equal"] = equal ? "yes" : `NO (pg ${pgFirst.count}/${pgFirst.entities ?? ""})`;
    }
    rows.push(row);
  }
  console.log(
    `\n(b) exact segment counts, median of ${RUNS} runs after a warm-up (DuckDB: sandboxed, vetting included)`,
  );
  printTable(rows);
  const overall = median(medians);
  console.log(
    `median over the 10 segments: ${fmt(overall)} ms = ${ratio(overall / scanMs)} × raw scan; ` +
      `goal < 200 ms: ${overall < 200 ? "ok" : "MISSED"}`,
  );
}

/** The raw limit both sections compare with: one DuckDB scan of every event, median of 3. */
async function rawScan(): Promise<number> {
  const scans: number[] = [];
  for (let i = 0; i < 3; i++) {
    scans.push(
      (await timed(() => db.conn.run("SELECT count(*), count(DISTINCT product_id) FROM events")))[1],
    );
  }
  const scanMs = median(scans);
  console.log(
    `\nraw scan SELECT count(*), count(DISTINCT product_id) FROM events: ${fmt(scanMs)} ms (median of 3)`,
  );
  return scanMs;
}

/** (a) recommendation batches, and the raw scan of the same events for the ratio. */
async function benchRecommendations(strategies: readonly string[]): Promise<void> {
  const scanMs = await rawScan();
  const [, modelMs] = await timed(() => refreshModels(db, { now: NOW }));
  console.log(`models rebuilt (refreshModels) in ${fmt(modelMs)} ms = ${fmt(modelMs / scanMs)} × raw scan`);
  const carts = (
    await db.conn.runAndReadAll(
      `SELECT profile_id, list(DISTINCT product_id)[1:3] AS cart FROM events
       WHERE type = 'cart_add' AND ts >= $since AND ts < $now GROUP BY profile_id ORDER BY profile_id LIMIT $n`,
      {
        since: new Date(NOW.getTime() - 14 * 86_400_000).toISOString(),
        now: NOW.toISOString(),
        n: size.batch,
      },
    )
  ).getRowObjectsJS();
  const withCart: RecommendRequest[] = carts.map((r) => ({
    profileId: String(r.profile_id),
    context: (r.cart as string[]).map(String),
  }));
  const rows = [];
  for (const strategy of strategies) {
    const batch = strategy === "cart_based" ? withCart : withCart.map((r) => ({ profileId: r.profileId }));
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < 3; i++) {
      const [recs, ms] = await timed(() => recommend(db, batch, { strategy, limit: 8, now: NOW }));
      times.push(ms);
      items = recs.length;
      if (ms > 20_000) break; // far off the goal: one run says enough
    }
    const ms = median(times);
    rows.push({
      strategy,
      runs: times.length,
      profiles: batch.length,
      items,
      "median ms": fmt(ms),
      "profiles/s": Math.round(batch.length / (ms / 1000)),
      "× raw scan": ratio(ms / scanMs),
      "goal < 2 s": ms < 2000 ? "ok" : "MISSED",
    });
    console.log(`  ${strategy}: ${fmt(ms)} ms`);
  }
  console.log(`\n(a) recommendations, batch of ${withCart.length} profiles, limit 8, median of up to 3 runs`);
  printTable(rows);
}

const strategiesArg = process.argv.indexOf("--strategies");
const strategies =
  strategiesArg >= 0
    ? (process.argv[strategiesArg + 1] ?? "").split(",")
    : ["popular", "cart_based", "viewed_viewed"];
const pgc = process.argv.includes("--skip-pg") ? undefined : await preparePg();
await benchSegments(pgc);
await pgc?.end();
if (!process.argv.includes("--skip-recs")) await benchRecommendations(strategies);
console.log(
  `\npeak RSS ${Math.round(rss.peakMiB)} MiB (DuckDB memory_limit ${process.env.BENCH_MEMORY ?? "3GB"})`,
);
rss.stop();
db.close();
