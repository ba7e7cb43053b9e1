import type { DuckDBValue } from "@duckdb/node-api";
import { NudgeError } from "../../ingest/index.ts";
import { duckValue } from "../sql.ts";

/** A segment parameter value. Strings are cast by DuckDB to the parameter's type (`$now::TIMESTAMPTZ`). */
export type SegmentParam =
  | string
  | number
  | boolean
  | bigint
  | null
  | Date
  | readonly string[]
  | readonly number[];
export type SegmentParams = Readonly<Record<string, SegmentParam>>;

/**
 * The values for a prepared segment: exactly the `$names` DuckDB found in it. A missing or an
 * unknown name is an error (a typo would otherwise silently count the wrong people).
 */
export function segmentBindings(used: readonly string[], params: SegmentParams): Record<string, DuckDBValue> {
  const missing = used.filter((n) => !(n in params));
  const unknown = Object.keys(params).filter((n) => !used.includes(n));
  if (missing.length > 0 || unknown.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${missing.map((n) => `$${n}`).join(", ")}` : "",
      unknown.length > 0 ? `unknown ${unknown.map((n) => `$${n}`).join(", ")}` : "",
    ].filter(Boolean);
    const uses = used.length > 0 ? used.map((n) => `$${n}`).join(", ") : "no parameters";
    throw new NudgeError(
      "NUDGE_ERR_SEGMENT_SQL",
      `segment parameters: ${parts.join("; ")} (it uses ${uses})`,
      {
        context: { missing, unknown },
      },
    );
  }
  const out: Record<string, DuckDBValue> = {};
  for (const name of used) out[name] = duckValue(params[name] ?? null);
  return out;
}

/**
 * Parses `k=v` pairs from the command line. Values stay strings; DuckDB casts them.
 *
 * @example parseParamPairs(["now=2026-11-23T10:00:00Z", "city=Paris"]) // { now: "2026-…", city: "Paris" }
 */
export function parseParamPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", `parameter "${pair}" is not name=value`);
    out[pair.slice(0, eq).replace(/^\$/, "")] = pair.slice(eq + 1);
  }
  return out;
}
