import { readdirSync } from "node:fs";
import { NudgeError } from "../../ingest/index.ts";
import { loadSql } from "../sql.ts";

/** The strategies shipped in `queries/strategies/`. */
export const BUILTIN_STRATEGIES = [
  "viewed_viewed",
  "viewed_bought",
  "bought_bought",
  "cart_based",
  "popular",
  "recently_viewed",
] as const;
export type BuiltinStrategy = (typeof BUILTIN_STRATEGIES)[number];

/** A built-in strategy or any other `<name>.sql` a data engineer added to `queries/strategies/`. */
export type StrategyName = BuiltinStrategy | (string & {});

const DIR = new URL("../strategies/", import.meta.url);

// Loaded once: every `.sql` file in the folder is a strategy named after the file.
const TEXTS: ReadonlyMap<string, string> = new Map(
  readdirSync(DIR)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => [f.slice(0, -4), loadSql(new URL(f, DIR))]),
);

/** Every strategy available, built-in first. */
export function strategyNames(): string[] {
  return [
    ...BUILTIN_STRATEGIES,
    ...[...TEXTS.keys()].filter((n) => !BUILTIN_STRATEGIES.includes(n as BuiltinStrategy)),
  ];
}

/** The SQL text of a strategy; a name with no file is a fault (NUDGE_ERR_STRATEGY). */
export function strategySql(name: string): string {
  const text = TEXTS.get(name);
  if (text === undefined) {
    throw new NudgeError(
      "NUDGE_ERR_STRATEGY",
      `unknown strategy "${name}" (known: ${strategyNames().join(", ")})`,
      {
        context: { strategy: name },
      },
    );
  }
  return text;
}
