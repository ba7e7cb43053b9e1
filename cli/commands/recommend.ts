import type { Command } from "commander";
import { DEFAULT_STRATEGY } from "../../api/index.ts";
import { type Db, loadConfig, NudgeError, openDb, parseDuration } from "../../ingest/index.ts";
import { queryRows, recommend, refreshModels, sql, strategyNames } from "../../queries/index.ts";

/** `--now`: an ISO time, or (default) just after the latest event in the history, else the clock. */
export async function resolveNow(db: Db, text: string | undefined): Promise<Date> {
  if (text !== undefined && text !== "latest") {
    const at = new Date(text);
    if (Number.isNaN(at.getTime())) throw new NudgeError("NUDGE_ERR_CONFIG", `--now: not a time: "${text}"`);
    return at;
  }
  const [row] = await queryRows(db.conn, sql`SELECT max(ts) AS latest FROM events`);
  return row?.latest instanceof Date ? new Date(row.latest.getTime() + 1) : new Date();
}

/** A duration flag in ms (90s, 30m, 2h, 30d); NUDGE_ERR_CONFIG when it is not one. */
export function durationOption(text: string, name: string): number;
export function durationOption(text: string | undefined, name: string): number | undefined;
export function durationOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new NudgeError("NUDGE_ERR_CONFIG", `${name}: not a duration: "${text}" (use 90s, 30m, 2h, 30d)`);
  return ms;
}

interface RecommendFlags {
  strategy: string;
  limit: string;
  db?: string;
  context?: string;
  sameCategory?: boolean;
  priceMin?: string;
  priceMax?: string;
  lookback?: string;
  now?: string;
  refresh?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("recommend")
    .description("Show the recommendations of a strategy for one shopper, with the reason for each product")
    .argument("<profileId>", "the shopper")
    .option("-s, --strategy <name>", `strategy: ${strategyNames().join(", ")}`, DEFAULT_STRATEGY)
    .option("-n, --limit <n>", "how many products", "4")
    .option("--db <path>", "DuckDB file (default: DUCKDB_PATH)")
    .option("--context <ids>", "comma-separated product ids already in the email (e.g. the cart)")
    .option("--same-category", "only products in the categories of the context items")
    .option("--price-min <amount>", "lowest price")
    .option("--price-max <amount>", "highest price")
    .option("--lookback <duration>", "history window, e.g. 30d", "30d")
    .option("--now <iso>", "the time to recommend at (default: just after the latest event)")
    .option("--refresh", "rebuild the co-occurrence models first")
    .option("--json", "one JSON object per line")
    .action(async (profileId: string, flags: RecommendFlags) => {
      const db = await openDb(flags.db ?? loadConfig().DUCKDB_PATH);
      try {
        const now = await resolveNow(db, flags.now);
        const lookbackMs = durationOption(flags.lookback, "--lookback");
        if (flags.refresh) {
          const stats = await refreshModels(db, { now, lookbackMs });
          process.stderr.write(
            `models rebuilt in ${stats.ms.toFixed(0)} ms: ${JSON.stringify(stats.rows)}\n`,
          );
        }
        const context =
          flags.context
            ?.split(",")
            .map((s) => s.trim())
            .filter(Boolean) ?? [];
        const recs = await recommend(db, [{ profileId, context }], {
          strategy: flags.strategy,
          limit: Number(flags.limit),
          now,
          lookbackMs,
          sameCategory: flags.sameCategory ?? false,
          priceMin: flags.priceMin === undefined ? undefined : Number(flags.priceMin),
          priceMax: flags.priceMax === undefined ? undefined : Number(flags.priceMax),
        });
        if (flags.json) {
          for (const r of recs) process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        process.stdout.write(`${flags.strategy} for ${profileId} at ${now.toISOString()}\n`);
        const rows = recs.map((r) => [
          String(r.rank),
          r.productId,
          r.product.name ?? "",
          r.product.category ?? "",
          r.product.price?.toFixed(2) ?? "",
          String(Number(r.score.toFixed(3))),
          r.reason,
        ]);
        process.stdout.write(table(["#", "product", "name", "category", "price", "score", "reason"], rows));
      } finally {
        db.close();
      }
    });

  program
    .command("refresh-models")
    .description(
      "Rebuild the recommendation models (co-occurrence and popularity) and print the time it took",
    )
    .option("--db <path>", "DuckDB file (default: DUCKDB_PATH)")
    .option("--lookback <duration>", "co-occurrence window, e.g. 30d", "30d")
    .option("--popular <duration>", "popularity window, e.g. 7d", "7d")
    .option("--min-shoppers <n>", "drop pairs seen by fewer shoppers", "1")
    .option("--now <iso>", "end of the window (default: just after the latest event)")
    .action(
      async (flags: {
        db?: string;
        lookback: string;
        popular: string;
        minShoppers: string;
        now?: string;
      }) => {
        const db = await openDb(flags.db ?? loadConfig().DUCKDB_PATH);
        try {
          const stats = await refreshModels(db, {
            now: await resolveNow(db, flags.now),
            lookbackMs: durationOption(flags.lookback, "--lookback"),
            popularMs: durationOption(flags.popular, "--popular"),
            minShoppers: Number(flags.minShoppers),
          });
          process.stdout.write(
            `models rebuilt in ${stats.ms.toFixed(0)} ms (window ${stats.since.toISOString()} .. ${stats.builtAt.toISOString()})\n`,
          );
          for (const [name, n] of Object.entries(stats.rows))
            process.stdout.write(`  model_${name}: ${n} rows\n`);
        } finally {
          db.close();
        }
      },
    );
}

/** Left-aligned text table. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()}\n`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("");
}
