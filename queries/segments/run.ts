import type { DuckDBConnection } from "@duckdb/node-api";
import { NudgeError, quoteIdent } from "../../ingest/index.ts";
import { type SegmentParams, segmentBindings } from "./params.ts";
import { inSandbox, type SegmentRunner } from "./runner.ts";
import { type VettedSegment, vetSegmentSql } from "./vet.ts";

/** A segment to run: stored (`name`) or inline (`sql`), with its named parameters. */
export interface SegmentSpec {
  readonly name?: string;
  readonly sql?: string;
  readonly params?: SegmentParams;
  /** The entity key column to count too; default: the first other `*_id` column the segment returns. */
  readonly entityKey?: string;
}

export interface SegmentCount {
  /** Distinct profile_id values (recipients). */
  readonly count: number;
  /** Distinct entity keys, when the segment returns one (e.g. booking_id for one email per booking). */
  readonly perEntity?: { readonly key: string; readonly count: number };
  readonly elapsedMs: number;
}

export interface SegmentRows {
  readonly columns: readonly string[];
  readonly rows: Record<string, unknown>[];
  /** True when the segment has more rows than the limit (rows holds the first `limit`). */
  readonly truncated: boolean;
  readonly elapsedMs: number;
}

async function segmentText(runner: SegmentRunner, spec: SegmentSpec): Promise<string> {
  if ((spec.sql === undefined) === (spec.name === undefined)) {
    throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", "give either a segment name or its SQL");
  }
  return statementOf(spec.sql ?? (await runner.store.get(spec.name ?? "")).sql);
}

// A stored file may end with `;`: the statement itself never does (one statement only).
const statementOf = (text: string): string => text.trim().replace(/;\s*$/, "");

function entityKeyOf(vetted: VettedSegment, spec: SegmentSpec): string | undefined {
  if (!vetted.columns.includes("profile_id")) {
    throw new NudgeError(
      "NUDGE_ERR_SEGMENT_SQL",
      `a segment must return a profile_id column (it returns ${vetted.columns.join(", ") || "nothing"})`,
    );
  }
  if (spec.entityKey !== undefined && !vetted.columns.includes(spec.entityKey)) {
    throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", `the segment returns no ${spec.entityKey} column`);
  }
  return spec.entityKey ?? vetted.columns.find((c) => c !== "profile_id" && c.endsWith("_id"));
}

/** Vets the segment on its own (its columns give the entity key) and releases the prepared statement. */
async function vetWithKey(conn: DuckDBConnection, text: string, spec: SegmentSpec) {
  const inner = await vetSegmentSql(conn, text);
  inner.prepared.destroySync();
  return { inner, key: entityKeyOf(inner, spec) };
}

/**
 * The exact number of distinct recipients of a segment (and of distinct entity keys), with the time
 * it took, run in the sandbox.
 *
 * @example
 * const { count, perEntity } = await countSegment(runner, { name: "bookings_next_week", params: { now } });
 */
export async function countSegment(runner: SegmentRunner, spec: SegmentSpec): Promise<SegmentCount> {
  const started = performance.now();
  const text = await segmentText(runner, spec);
  return inSandbox(runner, async (conn) => {
    const { key } = await vetWithKey(conn, text, spec);
    const entity = key === undefined ? "" : `, count(DISTINCT ${quoteIdent(key)}) AS entities`;
    // The newline keeps a trailing `--` comment of the segment from swallowing the parenthesis.
    const wrapped = `SELECT count(DISTINCT profile_id) AS profiles${entity} FROM (\n${text}\n) AS segment`;
    const outer = await vetSegmentSql(conn, wrapped);
    try {
      outer.prepared.bind(segmentBindings(outer.params, spec.params ?? {}));
      const row = (await outer.prepared.runAndReadAll()).getRowObjectsJS()[0] ?? {};
      const count = Number(row.profiles ?? 0);
      const elapsedMs = performance.now() - started;
      return key === undefined
        ? { count, elapsedMs }
        : { count, perEntity: { key, count: Number(row.entities ?? 0) }, elapsedMs };
    } finally {
      outer.prepared.destroySync();
    }
  });
}

/**
 * The segment's rows (at most `limit`, default and ceiling the runner's maxRows), for campaigns and
 * previews. A campaign must refuse a `truncated` result rather than send to part of a segment.
 */
export async function selectSegment(
  runner: SegmentRunner,
  spec: SegmentSpec,
  opts: { limit?: number } = {},
): Promise<SegmentRows> {
  const started = performance.now();
  const limit = Math.max(0, Math.min(opts.limit ?? runner.maxRows, runner.maxRows));
  const text = await segmentText(runner, spec);
  return inSandbox(runner, async (conn) => {
    const vetted = await vetSegmentSql(conn, text);
    try {
      entityKeyOf(vetted, spec);
      vetted.prepared.bind(segmentBindings(vetted.params, spec.params ?? {}));
      // Streams and stops reading after limit + 1 rows, so a huge segment never lands in memory.
      const reader = await vetted.prepared.streamAndReadUntil(limit + 1);
      const all = reader.getRowObjectsJS();
      return {
        columns: vetted.columns,
        rows: all.slice(0, limit),
        truncated: all.length > limit,
        elapsedMs: performance.now() - started,
      };
    } finally {
      vetted.prepared.destroySync();
    }
  });
}

/** Vets a segment (parses and prepares it in the sandbox) without running it; returns its parameters. */
export async function vetSegment(
  runner: SegmentRunner,
  text: string,
): Promise<{ columns: readonly string[]; params: readonly string[] }> {
  return inSandbox(runner, async (conn) => {
    const { inner } = await vetWithKey(conn, statementOf(text), {});
    return { columns: inner.columns, params: inner.params };
  });
}

/** Vets then stores a segment (what `PUT /v1/segments/:name` does). */
export async function saveSegment(runner: SegmentRunner, name: string, text: string) {
  const vetted = await vetSegment(runner, text);
  const stored = await runner.store.put(name, text);
  return { ...stored, ...vetted };
}
