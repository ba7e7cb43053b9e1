/** Small helpers shared by the bench scripts: peak RSS sampling, medians, a table printer, the generated shop. */
import { readFileSync } from "node:fs";
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

export { cpuPerItem, cpuSeconds, threadCpu } from "./cpu.ts";
