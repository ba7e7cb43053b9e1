/**
 * Synthetic shop generation speed. `npx tsx bench/generate.ts [events=1000000]`
 * Prints medians of 3 runs: events/s generated (objects only), generated + JSON.stringify, and written
 * by writeShop (events.ndjson + CSV entities); with, as the raw limit measured in the same run, a loop
 * that only builds an event-shaped object, its ISO time and its JSON per event.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateShop, writeShop } from "../ingest/index.ts";
import { median } from "./lib.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const opts = {
  seed: 42,
  profiles: Math.max(2_000, Math.round(N / 50)),
  products: 5_000,
  stores: 20,
  events: N,
  startMs: Date.parse("2026-11-01T00:00:00Z"),
  spanMs: 30 * 86_400_000,
};
const rate = (n: number, t0: number) => n / ((performance.now() - t0) / 1000);
const dir = mkdtempSync(join(tmpdir(), "nudge-bench-gen-"));
const runs = {
  raw: [] as number[],
  generate: [] as number[],
  stringify: [] as number[],
  write: [] as number[],
};

for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < N; i++) {
    const ev = {
      id: `e42-${i}`,
      type: "product_view",
      profileId: `p${i % 9999}`,
      ts: new Date(1.79e12 + i * 997).toISOString(),
      productId: `sku-${i % 5000}`,
      price: 19.95,
      currency: "EUR",
      sessionId: `s42-${i >> 3}`,
    };
    sink += JSON.stringify(ev).length;
  }
  runs.raw.push(rate(N, t0));

  const shop = generateShop(opts);
  t0 = performance.now();
  let lines = 0;
  for (const _ of shop.events()) lines++;
  runs.generate.push(rate(lines, t0));

  t0 = performance.now();
  for (const l of shop.events()) sink += l.kind === "event" ? JSON.stringify(l.event).length : l.raw.length;
  runs.stringify.push(rate(lines, t0));

  t0 = performance.now();
  await writeShop(shop, dir, { format: "csv" });
  runs.write.push(rate(lines, t0));
  if (sink < 0) console.log(sink);
}
rmSync(dir, { recursive: true, force: true });

const raw = median(runs.raw);
const row = (name: string, xs: number[]) =>
  `${name.padEnd(34)} ${Math.round(median(xs)).toLocaleString("en-US").padStart(12)} /s  (${(median(xs) / raw).toFixed(2)}× raw)`;
console.log(`synthetic shop, ${N.toLocaleString("en-US")} events, median of 3`);
console.log(row("raw limit (object+ISO time+JSON)", runs.raw));
console.log(row("generate (objects)", runs.generate));
console.log(row("generate + JSON.stringify", runs.stringify));
console.log(row("writeShop (ndjson + csv files)", runs.write));
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
