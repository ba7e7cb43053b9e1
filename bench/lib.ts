/** Small helpers shared by the bench scripts: peak RSS sampling, medians, a table printer, the generated shop. */
import { readdirSync, readFileSync } from "node:fs";
import type { Db } from "../ingest/index.ts";
import { execute, sql } from "../queries/index.ts";

export function trackPeakRss(intervalMs = 50) {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  t.unref();
  return {
    get peakMiB() {
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak / 1024 / 1024;
    },
    stop: () => clearInterval(t),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function printTable(rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0] ?? {});
  const fmt = (v: string | number) =>
    typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 2 }) : v;
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(fmt(r[c] ?? "")).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join("  ");
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(fmt(r[c] ?? "")))));
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The generated shop's size; `shopShape` stamps it with the version of queries-shop.sql. */
export interface ShopSize {
  events: number;
  profiles: number;
  products: number;
}

/** Bump when queries-shop.sql changes what it generates: shops of an older version are rebuilt. */
const SHOP_VERSION = "v3";

export const shopShape = (size: ShopSize) =>
  `${size.events}/${size.profiles}/${size.products}/${SHOP_VERSION}`;

/** The shape stamped into a shop file by `buildShop`, or undefined when it holds none (unfinished). */
export async function readShopShape(db: Db): Promise<string | undefined> {
  const got = await db.conn
    .runAndReadAll("SELECT shape FROM bench_meta")
    .then((r) => r.getRows()[0]?.[0])
    .catch(() => undefined);
  return typeof got === "string" ? got : undefined;
}

/** Generates the shop of queries-shop.sql into `db`, stamps its shape last and checkpoints; returns ms. */
export async function buildShop(db: Db, size: ShopSize, now: Date): Promise<number> {
  const text = readFileSync(new URL("./queries-shop.sql", import.meta.url), "utf8");
  const params = {
    events: BigInt(size.events),
    profiles: BigInt(size.profiles),
    products: BigInt(size.products),
    now,
  };
  const t = performance.now();
  for (const stmt of text.split(/\n;\n/)) await execute(db.conn, sql.file(stmt, params));
  await db.conn.run("CREATE TABLE bench_meta AS SELECT $shape AS shape", { shape: shopShape(size) });
  await db.conn.run("CHECKPOINT");
  return performance.now() - t;
}

/** CPU seconds (user + system) of a process, or of a thread as `self/task/<tid>`, from /proc (Linux; 0 elsewhere). */
export function cpuSeconds(pid: number | string | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of each of this process's threads, by thread id (Linux; empty elsewhere). */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const tid of tids) out.set(tid, cpuSeconds(`self/task/${tid}`));
  return out;
}

/**
 * CPU between two `threadCpu()` snapshots as µs per item, grouped: "main" (this process's main
 * thread), "new threads" (started after `before`: worker threads), "other threads" (DuckDB's, libuv's,
 * V8's). A thread that ended before `after` is not counted, so take `after` while workers still run.
 */
export function cpuPerItem(
  before: Map<string, number>,
  after: Map<string, number>,
  items: number,
  /** Threads that count as "other" (default: those in `before`); later ones are "new threads". */
  old: { has(tid: string): boolean } = before,
) {
  const groups = new Map<string, number>();
  for (const [tid, s] of after) {
    const group = tid === String(process.pid) ? "main" : old.has(tid) ? "other threads" : "new threads";
    groups.set(group, (groups.get(group) ?? 0) + ((s - (before.get(tid) ?? 0)) * 1e6) / items);
  }
  return [...groups].sort((a, b) => b[1] - a[1]);
}
