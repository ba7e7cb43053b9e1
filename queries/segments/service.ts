import { isNudgeError } from "../../ingest/index.ts";
import type { SegmentParams } from "./params.ts";
import { countSegment, saveSegment } from "./run.ts";
import type { SegmentRunner } from "./runner.ts";
import type { StoredSegment } from "./store.ts";

/** A segment as the HTTP API shows it. */
export interface SegmentView {
  name: string;
  sql: string;
  description?: string | undefined;
  source?: string | undefined;
}

const view = (s: StoredSegment, dir: string): SegmentView => ({
  name: s.name,
  sql: s.sql,
  description: s.description || undefined,
  source: `${dir}/${s.name}.sql`,
});

/** Puts a description in front of the SQL as `--` lines (the store reads it back from there). */
function withDescription(sql: string, description: string | undefined): string {
  if (!description?.trim()) return sql;
  const comment = description
    .trim()
    .split(/\r?\n/)
    .map((l) => `-- ${l}`)
    .join("\n");
  return `${comment}\n${sql.replace(/^(\s*--[^\n]*\n)+/, "")}`;
}

/**
 * The segments service the HTTP API plugs in (`buildApp({ segments })`): exact counts, and the stored
 * segments with vetting before a save.
 *
 * @example
 * const segments = segmentsService(await openSegmentRunner(db, { dir: config.SEGMENTS_DIR }));
 */
export function segmentsService(runner: SegmentRunner) {
  const dir = runner.store.dir.replace(/\/+$/, "");
  return {
    async count(query: { sql: string } | { name: string }, params: SegmentParams) {
      const r = await countSegment(runner, { ...query, params });
      return {
        count: r.count,
        perEntity: r.perEntity ? { [r.perEntity.key]: r.perEntity.count } : undefined,
        elapsedMs: r.elapsedMs,
      };
    },
    async list(): Promise<SegmentView[]> {
      return (await runner.store.list()).map((s) => view(s, dir));
    },
    async get(name: string): Promise<SegmentView | undefined> {
      try {
        return view(await runner.store.get(name), dir);
      } catch (err) {
        if (isNudgeError(err, "NUDGE_ERR_SEGMENT_NOT_FOUND")) return undefined;
        throw err;
      }
    },
    async put(
      name: string,
      segment: { sql: string; description?: string | undefined },
    ): Promise<SegmentView> {
      const saved = await saveSegment(runner, name, withDescription(segment.sql, segment.description));
      return view(saved, dir);
    },
    delete: (name: string): Promise<boolean> => runner.store.delete(name),
  };
}
