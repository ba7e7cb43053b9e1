import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { type Db, loadConfig, NudgeError, openDb } from "../../ingest/index.ts";
import {
  countSegment,
  openSegmentRunner,
  parseParamPairs,
  type SegmentRunner,
  type SegmentSpec,
  saveSegment,
  segmentStore,
  selectSegment,
  vetSegment,
} from "../../queries/index.ts";
import { durationOption } from "./recommend.ts";

interface RunFlags {
  sql?: string;
  param: string[];
  entityKey?: string;
  timeout: string;
  db?: string;
  dir?: string;
  json?: boolean;
  limit: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function withRunFlags(cmd: Command): Command {
  return cmd
    .argument("[name]", "a stored segment (a .sql file in SEGMENTS_DIR)")
    .option("--sql <select>", "an inline segment instead of a stored one")
    .option(
      "-p, --param <name=value>",
      "a named parameter ($name), repeatable; $now defaults to now",
      collect,
      [],
    )
    .option(
      "--entity-key <column>",
      "count distinct values of this column too (default: another *_id column)",
    )
    .option("--timeout <duration>", "stop the query after this long", "30s")
    .option("--db <path>", "DuckDB file (default: DUCKDB_PATH)")
    .option("--dir <path>", "segments folder (default: SEGMENTS_DIR)")
    .option("--json", "print JSON");
}

async function withRunner<T>(flags: RunFlags, fn: (runner: SegmentRunner) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const timeoutMs = durationOption(flags.timeout, "--timeout");
  const db: Db = await openDb(flags.db ?? config.DUCKDB_PATH);
  try {
    const maxRows = Math.max(1, Number(flags.limit ?? 1));
    return await fn(
      await openSegmentRunner(db, { dir: flags.dir ?? config.SEGMENTS_DIR, timeoutMs, maxRows }),
    );
  } finally {
    db.close();
  }
}

/** The spec from the flags; `$now` is filled with the current time when the segment uses it. */
async function specOf(
  runner: SegmentRunner,
  name: string | undefined,
  flags: RunFlags,
): Promise<SegmentSpec> {
  if ((name === undefined) === (flags.sql === undefined)) throw new Error("give a segment name or --sql");
  const params: Record<string, string> = parseParamPairs(flags.param);
  const text = flags.sql ?? (await runner.store.get(name ?? "")).sql;
  const { params: used } = await vetSegment(runner, text);
  if (used.includes("now") && !("now" in params)) params.now = new Date().toISOString();
  return { name, sql: flags.sql, params, entityKey: flags.entityKey };
}

const print = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
const json = (value: unknown) =>
  print(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));

export function register(program: Command): void {
  const segment = program
    .command("segment")
    .description(
      "SQL segments: list, show, save, delete, exact counts and rows (run in a locked-down sandbox)",
    );

  withRunFlags(segment.command("count").description("Exact count of distinct recipients (and entity keys)"))
    .addHelpText(
      "after",
      '\nExample:\n  nudge segment count bookings_next_week\n  nudge segment count --sql "SELECT profile_id FROM profiles WHERE city = $city" -p city=Paris',
    )
    .action(async (name: string | undefined, flags: RunFlags) => {
      await withRunner(flags, async (runner) => {
        const spec = await specOf(runner, name, flags);
        const result = await countSegment(runner, spec);
        if (flags.json) return json({ ...result, params: spec.params });
        const entity = result.perEntity ? `, ${result.perEntity.count} distinct ${result.perEntity.key}` : "";
        print(`${result.count} profiles${entity} (${result.elapsedMs.toFixed(1)} ms)`);
      });
    });

  withRunFlags(segment.command("rows").description("The first rows of a segment"))
    .option("--limit <n>", "most rows to print", "20")
    .action(async (name: string | undefined, flags: RunFlags) => {
      await withRunner(flags, async (runner) => {
        const result = await selectSegment(runner, await specOf(runner, name, flags));
        if (flags.json) return json(result);
        print(result.columns.join("\t"));
        for (const row of result.rows) print(result.columns.map((c) => String(row[c] ?? "")).join("\t"));
        if (result.truncated) print(`… more rows (showing ${result.rows.length})`);
      });
    });

  segment
    .command("list")
    .description("Stored segments with their descriptions")
    .option("--dir <path>", "segments folder (default: SEGMENTS_DIR)")
    .action(async (flags: { dir?: string }) => {
      const store = segmentStore(flags.dir ?? loadConfig().SEGMENTS_DIR);
      for (const s of await store.list()) print(`${s.name.padEnd(28)} ${s.description}`);
    });

  segment
    .command("show")
    .description("Print a stored segment's SQL")
    .argument("<name>")
    .option("--dir <path>", "segments folder (default: SEGMENTS_DIR)")
    .action(async (name: string, flags: { dir?: string }) => {
      print((await segmentStore(flags.dir ?? loadConfig().SEGMENTS_DIR).get(name)).sql);
    });

  segment
    .command("save")
    .description("Vet a segment in the sandbox, then store it as <name>.sql")
    .argument("<name>")
    .option("--sql <select>", "the SQL text")
    .option("--file <path>", "read the SQL from a file")
    .option("--db <path>", "DuckDB file (default: DUCKDB_PATH)")
    .option("--dir <path>", "segments folder (default: SEGMENTS_DIR)")
    .action(async (name: string, flags: { sql?: string; file?: string; db?: string; dir?: string }) => {
      const text = flags.sql ?? (flags.file ? await readFile(flags.file, "utf8") : undefined);
      if (text === undefined) throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", "give --sql or --file");
      await withRunner({ ...flags, param: [], timeout: "30s", limit: "1" }, async (runner) => {
        const saved = await saveSegment(runner, name, text);
        print(
          `saved ${saved.name} (columns: ${saved.columns.join(", ")}; parameters: ${saved.params.join(", ") || "none"})`,
        );
      });
    });

  segment
    .command("delete")
    .description("Delete a stored segment")
    .argument("<name>")
    .option("--dir <path>", "segments folder (default: SEGMENTS_DIR)")
    .action(async (name: string, flags: { dir?: string }) => {
      const deleted = await segmentStore(flags.dir ?? loadConfig().SEGMENTS_DIR).delete(name);
      if (!deleted) throw new NudgeError("NUDGE_ERR_SEGMENT_NOT_FOUND", `no segment named "${name}"`);
      print(`deleted ${name}`);
    });
}
