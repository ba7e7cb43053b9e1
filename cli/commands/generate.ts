import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { generateShop, NudgeError, writeShop } from "../../ingest/index.ts";
import { durationOption } from "./recommend.ts";

interface GenerateOpts {
  seed: string;
  events: string;
  profiles: string;
  products: string;
  stores: string;
  span: string;
  start: string;
  out: string;
  format: string;
  malformedRate: string;
  duplicateRate: string;
  outOfOrder: string;
  lateRate: string;
}

const int = (name: string, text: string) => {
  const n = Number(text.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < 0)
    throw new NudgeError("NUDGE_ERR_CONFIG", `--${name} must be an integer ≥ 0`);
  return n;
};
const rate = (name: string, text: string) => {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new NudgeError("NUDGE_ERR_CONFIG", `--${name} must be between 0 and 1`);
  return n;
};

export function register(program: Command): void {
  program
    .command("generate")
    .description(
      "Generate a synthetic shop, deterministic from a seed: entity files (profiles, products, stores, " +
        "bookings, orders, order_items) and events.ndjson (with late, duplicate and malformed lines)",
    )
    .option("--seed <n>", "random seed: the same seed writes the same bytes", "42")
    .option("--events <n>", "valid distinct events to generate", "100000")
    .option("--profiles <n>", "shoppers", "2000")
    .option("--products <n>", "catalog size", "500")
    .option("--stores <n>", "physical stores", "20")
    .option("--span <duration>", "event-time span, e.g. 7d, 12h", "7d")
    .option("--start <iso>", "event time of the span's start", "2026-11-01T00:00:00Z")
    .option("--out <dir>", "output directory", "./data/shop")
    .option("--format <fmt>", "entity file format: csv, ndjson or parquet", "csv")
    .option("--malformed-rate <r>", "share of events preceded by a malformed line", "0.001")
    .option("--duplicate-rate <r>", "share of events written twice (same id)", "0.002")
    .option("--out-of-order <duration>", "largest arrival delay of a late event", "3s")
    .option("--late-rate <r>", "share of events arriving late", "0.01")
    .action(async (o: GenerateOpts) => {
      const startMs = Date.parse(o.start);
      if (Number.isNaN(startMs))
        throw new NudgeError("NUDGE_ERR_CONFIG", `--start: not an ISO-8601 time: ${o.start}`);
      if (!["csv", "ndjson", "parquet"].includes(o.format)) {
        throw new NudgeError("NUDGE_ERR_CONFIG", `--format must be csv, ndjson or parquet, got ${o.format}`);
      }
      const format = o.format === "ndjson" ? "ndjson" : o.format === "parquet" ? "parquet" : "csv";
      const t0 = performance.now();
      const shop = generateShop({
        seed: int("seed", o.seed),
        events: int("events", o.events),
        profiles: int("profiles", o.profiles),
        products: int("products", o.products),
        stores: int("stores", o.stores),
        startMs,
        spanMs: durationOption(o.span, "--span"),
        malformedRate: rate("malformed-rate", o.malformedRate),
        duplicateRate: rate("duplicate-rate", o.duplicateRate),
        outOfOrderMs: durationOption(o.outOfOrder, "--out-of-order"),
        lateRate: rate("late-rate", o.lateRate),
      });
      const total = shop.options.events;
      const bar = process.stderr.isTTY
        ? new SingleBar({
            format: "events {bar} {percentage}% {value}/{total} {eta_formatted}",
            hideCursor: true,
          })
        : undefined;
      bar?.start(total, 0);
      const { events: s, entities } = await writeShop(shop, o.out, {
        format,
        onProgress: (p) => bar?.update(p.events),
      });
      bar?.stop();
      const secs = (performance.now() - t0) / 1000;
      const bad = Object.entries(s.malformed)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      const out = [
        `${s.file}: ${s.lines} lines, ${s.events} events, ${s.duplicates} duplicates, malformed: ${bad}` +
          ` (${(s.bytes / 1e6).toFixed(1)} MB); shop written in ${secs.toFixed(2)} s`,
        ...entities.map((f) => `${f.file}: ${f.rows} rows`),
        `load them with: nudge load --dir ${o.out}`,
      ];
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
