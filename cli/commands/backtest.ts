import type { Command } from "commander";
import { loadConfig, openDb } from "../../ingest/index.ts";
import { type BacktestResult, backtestMany, strategyNames } from "../../queries/index.ts";
import { durationOption, resolveNow, table } from "./recommend.ts";

interface BacktestFlags {
  cutoff?: string;
  k: string;
  all?: boolean;
  db?: string;
  horizon: string;
  lookback: string;
  maxProfiles: string;
  minShoppers: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("backtest")
    .description(
      "Replay history up to a cutoff and score a strategy against the purchases after it (hit rate, recall@k)",
    )
    .argument("[strategy]", `strategy: ${strategyNames().join(", ")}`)
    .option(
      "--cutoff <iso>",
      "only events before this time feed the models (default: horizon before the latest event)",
    )
    .option("-k, --k <n>", "list length", "10")
    .option("--all", "compare every strategy")
    .option("--db <path>", "DuckDB file (default: DUCKDB_PATH)")
    .option("--horizon <duration>", "purchases in [cutoff, cutoff + horizon) are the truth", "7d")
    .option("--lookback <duration>", "history window before the cutoff", "30d")
    .option("--max-profiles <n>", "score at most this many shoppers", "10000")
    .option("--min-shoppers <n>", "drop pairs seen by fewer shoppers in the replayed models", "1")
    .option("--json", "print the results as JSON")
    .action(async (strategy: string | undefined, flags: BacktestFlags) => {
      const strategies = flags.all ? strategyNames() : strategy ? [strategy] : [];
      if (strategies.length === 0) throw new Error("give a strategy or --all");
      const db = await openDb(flags.db ?? loadConfig().DUCKDB_PATH);
      try {
        const horizonMs = durationOption(flags.horizon, "--horizon") ?? 7 * 86_400_000;
        const cutoff = flags.cutoff
          ? await resolveNow(db, flags.cutoff)
          : new Date((await resolveNow(db, undefined)).getTime() - horizonMs);
        const results = await backtestMany(db, strategies, {
          cutoff,
          k: Number(flags.k),
          horizonMs,
          lookbackMs: durationOption(flags.lookback, "--lookback"),
          maxProfiles: Number(flags.maxProfiles),
          minShoppers: Number(flags.minShoppers),
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `cutoff ${cutoff.toISOString()}, truth: purchases in the next ${flags.horizon}, k = ${flags.k}\n`,
        );
        process.stdout.write(
          table(["strategy", "profiles", "hit rate", "recall@k", "precision@k", "ms"], rows(results)),
        );
      } finally {
        db.close();
      }
    });
}

function rows(results: readonly BacktestResult[]): string[][] {
  const sorted = [...results].sort(
    (a, b) => b.recallAtK - a.recallAtK || a.strategy.localeCompare(b.strategy),
  );
  return sorted.map((r) => [
    r.strategy,
    String(r.profiles),
    r.hitRate.toFixed(4),
    r.recallAtK.toFixed(4),
    r.precisionAtK.toFixed(4),
    r.ms.toFixed(0),
  ]);
}
