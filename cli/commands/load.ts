import type { Command } from "commander";
import {
  type LoadResult,
  loadConfig,
  loadDir,
  loadEntities,
  NudgeError,
  openDb,
} from "../../ingest/index.ts";

interface LoadOpts {
  upsert?: boolean;
  db?: string;
  dir?: string;
}

export function register(program: Command): void {
  program
    .command("load")
    .description(
      "Load a CSV, Parquet or NDJSON file into a DuckDB entity table (profiles, products, stores, orders, " +
        "order_items, bookings, or a new table created from the file), replacing its rows or upserting by key",
    )
    .argument("[table]", "table name, e.g. products (lowercase letters, digits, _)")
    .argument("[file]", "file to load: .csv, .parquet, .ndjson, .jsonl or .json")
    .option("--upsert", "insert or replace rows by primary key instead of replacing the whole table")
    .option("--dir <dir>", "load every <table>.<ext> entity file in a directory (e.g. from nudge generate)")
    .option("--db <path>", "DuckDB database file (default: DUCKDB_PATH)")
    .addHelpText(
      "after",
      "\nExamples:\n  nudge load products ./products.csv\n  nudge load profiles ./crm.parquet --upsert\n  nudge load --dir ./data/shop",
    )
    .action(async (table: string | undefined, file: string | undefined, o: LoadOpts) => {
      if (!o.dir && !(table && file)) {
        throw new NudgeError(
          "NUDGE_ERR_CONFIG",
          "give <table> <file>, or --dir <dir> (see nudge load --help)",
        );
      }
      const config = loadConfig();
      const db = await openDb(o.db ?? config.DUCKDB_PATH);
      try {
        const mode = o.upsert ? "upsert" : "replace";
        const results: LoadResult[] = o.dir
          ? await loadDir(db, o.dir, { mode })
          : [await loadEntities(db, table!, file!, { mode })];
        for (const r of results) {
          const how = r.created ? "created" : mode === "upsert" ? "upserted" : "replaced";
          process.stdout.write(`${r.table}: ${r.rows} rows ${how} in ${Math.round(r.elapsedMs)} ms\n`);
        }
      } finally {
        db.close();
      }
    });
}
