import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { NatsConnection } from "@nats-io/transport-node";
import { generateLog, type LoggedEvent, sentinel } from "./detect-log.ts";
import { lastSeq, publishLog } from "./detect-stream.ts";

export interface OracleOptions {
  latenessMs: number;
  abandonAfterMs: number;
  sessionGapMs: number;
  minViews: number;
}

/** A trigger as the comparison sees it: what fired, for whom, over which window, when. */
export const triggerKey = (t: {
  kind: string;
  profileId: string;
  windowStart: string;
  windowEnd: string;
  at: string;
}) => `${t.kind}|${t.profileId}|${t.windowStart}|${t.windowEnd}|${t.at}`;

const sql = (name: string) => readFileSync(new URL(name, import.meta.url), "utf8");
const iso = (ms: bigint | number) => new Date(Number(ms)).toISOString();

/**
 * The triggers a log must produce, by DuckDB SQL over the log (test/helpers/detect-oracle.sql),
 * sharing no code with processors/: the independent oracle of the detection tests.
 */
export async function oracle(
  log: readonly LoggedEvent[],
  o: OracleOptions,
): Promise<{ keys: string[]; late: number }> {
  const file = join(tmpdir(), `nudge-oracle-${process.pid}-${Date.now()}.ndjson`);
  writeFileSync(
    file,
    log
      .map((l, seq) =>
        JSON.stringify({
          seq,
          id: l.event.id,
          type: l.event.type,
          profile_id: l.event.profileId,
          ts_ms: l.tsMs,
          product_id: "productId" in l.event ? (l.event.productId ?? null) : null,
          quantity: "quantity" in l.event ? (l.event.quantity ?? 1) : null,
        }),
      )
      .join("\n"),
  );
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run(
      `CREATE TABLE log AS SELECT * FROM read_json($path, format = 'newline_delimited', columns = {
        seq: 'BIGINT', id: 'VARCHAR', type: 'VARCHAR', profile_id: 'VARCHAR', ts_ms: 'BIGINT',
        product_id: 'VARCHAR', quantity: 'INTEGER' })`,
      { path: file },
    );
    const params = {
      lateness: o.latenessMs,
      abandon_after: o.abandonAfterMs,
      session_gap: o.sessionGapMs,
      min_views: o.minViews,
    };
    const rows = (await conn.runAndReadAll(sql("detect-oracle.sql"), params)).getRowObjects();
    const keys = rows.map((r) =>
      triggerKey({
        kind: String(r.kind),
        profileId: String(r.profile_id),
        windowStart: iso(r.window_start_ms as bigint),
        windowEnd: iso(r.window_end_ms as bigint),
        at: iso(r.at_ms as bigint),
      }),
    );
    const late = (
      await conn.runAndReadAll(sql("detect-oracle-late.sql"), { lateness: o.latenessMs })
    ).getRowObjects();
    return { keys, late: Number(late[0]?.late ?? 0) };
  } finally {
    conn.closeSync();
    instance.closeSync();
    rmSync(file, { force: true });
  }
}

/**
 * A generated log (ending in a sentinel that pushes the watermark past every deadline) published to
 * EVENTS, with the last stream sequence and the oracle's triggers for it.
 */
export async function publishedLogWithOracle(
  nc: NatsConnection,
  o: { seed: number; events: number; profiles: number; days: number },
  opts: OracleOptions,
) {
  const log = generateLog({
    seed: o.seed,
    events: o.events,
    profiles: o.profiles,
    startMs: Date.UTC(2026, 10, 1),
    spanMs: o.days * 86_400_000,
  });
  log.push(sentinel(log, o.seed));
  await publishLog(nc, log);
  return { log, end: await lastSeq(nc, "EVENTS"), expected: await oracle(log, opts) };
}
