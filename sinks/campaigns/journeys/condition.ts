import { NudgeError } from "../../../ingest/index.ts";
import {
  inSandbox,
  type SegmentParam,
  type SegmentRunner,
  segmentBindings,
  vetSegmentSql,
} from "../../../queries/index.ts";

/**
 * Runs a journey condition in the segment sandbox (one read-only SELECT, no files): the SQL gets
 * `$profile_id`, `$entered_at` and `$now` (event time; use only those it needs) and must return one
 * row with a boolean column `ok`. No row counts as false.
 *
 * @example
 * await runCondition(runner, "SELECT count(*) = 0 AS ok FROM events WHERE profile_id = $profile_id AND type = 'purchase' AND ts >= $entered_at", { profileId: "p1", enteredAt, now })
 */
export async function runCondition(
  runner: SegmentRunner,
  sql: string,
  input: { profileId: string; enteredAt: number; now: number },
): Promise<boolean> {
  const all: Record<string, SegmentParam> = {
    profile_id: input.profileId,
    entered_at: new Date(input.enteredAt),
    now: new Date(input.now),
  };
  return inSandbox(runner, async (conn) => {
    const vetted = await vetSegmentSql(conn, sql);
    try {
      if (!vetted.columns.includes("ok")) {
        throw new NudgeError("NUDGE_ERR_CAMPAIGN", "a journey condition must return a column named ok");
      }
      const params: Record<string, SegmentParam> = {};
      for (const name of vetted.params) if (name in all) params[name] = all[name] ?? null;
      vetted.prepared.bind(segmentBindings(vetted.params, params));
      const reader = await vetted.prepared.runAndReadAll();
      const row = reader.getRowObjectsJS()[0];
      return row?.ok === true;
    } finally {
      vetted.prepared.destroySync();
    }
  });
}

/** Vets a condition at start (one SELECT, only `$profile_id`/`$entered_at`/`$now`, a column `ok`): a typo fails fast. */
export async function checkCondition(runner: SegmentRunner, sql: string, where: string): Promise<void> {
  await inSandbox(runner, async (conn) => {
    const vetted = await vetSegmentSql(conn, sql).catch((err: unknown) => {
      throw new NudgeError("NUDGE_ERR_CAMPAIGN", `${where}: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    });
    try {
      const unknown = vetted.params.filter((p) => !["profile_id", "entered_at", "now"].includes(p));
      if (!vetted.columns.includes("ok") || unknown.length > 0) {
        throw new NudgeError(
          "NUDGE_ERR_CAMPAIGN",
          `${where}: a condition returns a column ok and uses only $profile_id, $entered_at, $now` +
            (unknown.length > 0 ? ` (not ${unknown.map((u) => `$${u}`).join(", ")})` : ""),
        );
      }
    } finally {
      vetted.prepared.destroySync();
    }
  });
}
