import { describe, expect, it } from "vitest";
import { defaultSegments } from "../api/index.ts";
import { openDb } from "../ingest/index.ts";

// A count that takes DuckDB a while, and one that takes nothing.
const SLOW = { sql: "SELECT 'p' || (i % 3000000) AS profile_id FROM range(6000000) t(i)" };
const QUICK = { sql: "SELECT 'p1' AS profile_id" };

/** The order in which a slow count and then a quick one (asked right after it) answer. */
async function finishOrder(countSlots: number): Promise<string[]> {
  const db = await openDb(":memory:");
  try {
    const segments = await defaultSegments(db, { SEGMENTS_DIR: "./segments" }, { countSlots });
    const done: string[] = [];
    const slow = segments.count(SLOW, {}).then((r) => done.push(`slow:${r.count}`));
    const quick = segments.count(QUICK, {}).then((r) => done.push(`quick:${r.count}`));
    await Promise.all([slow, quick]);
    return done;
  } finally {
    db.close();
  }
}

describe("segment counts through the API's slots", () => {
  it("beyond the slots, a count waits for its turn (in order of arrival) instead of running alongside", async () => {
    expect(await finishOrder(1)).toEqual(["slow:3000000", "quick:1"]);
    // With a free slot the quick count does not wait for the slow one.
    expect(await finishOrder(2)).toEqual(["quick:1", "slow:3000000"]);
  });
});
