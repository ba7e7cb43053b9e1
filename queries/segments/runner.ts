import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { type Db, NudgeError } from "../../ingest/index.ts";
import { lockDownInstance } from "./sandbox.ts";
import { type SegmentStore, segmentStore } from "./store.ts";
import { duckError } from "./vet.ts";

/** Where segment SQL runs: a locked-down instance, the limits every run gets, and the stored segments. */
export interface SegmentRunner {
  readonly instance: DuckDBInstance;
  /** Wall-clock limit for one segment run (vetting + execution), in ms. */
  readonly timeoutMs: number;
  /** Most rows `selectSegment` returns. */
  readonly maxRows: number;
  readonly store: SegmentStore;
}

export interface SegmentRunnerOptions {
  /** The segments folder (SEGMENTS_DIR). */
  dir: string;
  timeoutMs?: number;
  maxRows?: number;
  /** Folders trusted code may still read and write after the lock (see `lockDownInstance`). */
  allowedDirectories?: readonly string[];
}

/**
 * Locks `db`'s instance down (see `lockDownInstance`: after this no connection of it reads files or
 * changes settings) and returns the runner segment counts and selections use.
 *
 * @example
 * const runner = await openSegmentRunner(db, { dir: config.SEGMENTS_DIR });
 * const { count } = await countSegment(runner, { name: "subscribed" });
 */
export async function openSegmentRunner(db: Db, opts: SegmentRunnerOptions): Promise<SegmentRunner> {
  await lockDownInstance(db.conn, { allowedDirectories: opts.allowedDirectories });
  return {
    instance: db.instance,
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxRows: opts.maxRows ?? 1_000_000,
    store: segmentStore(opts.dir),
  };
}

/**
 * Runs `fn` on a fresh connection of the locked instance, inside a READ ONLY transaction, and
 * interrupts it when the time limit passes. The connection is closed afterwards, so an interrupt
 * never leaks into another run.
 */
export async function inSandbox<T>(
  runner: SegmentRunner,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const conn = await runner.instance.connect();
  let timedOut = false;
  let repeat: NodeJS.Timeout | undefined;
  // Interrupt, and keep interrupting: an interrupt landing between two statements is cleared by the next.
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
    repeat = setInterval(() => conn.interrupt(), 20);
  }, runner.timeoutMs);
  try {
    await conn.run("BEGIN TRANSACTION READ ONLY");
    return await fn(conn);
  } catch (err) {
    if (timedOut) {
      throw new NudgeError(
        "NUDGE_ERR_SEGMENT_TIMEOUT",
        `segment stopped after its time limit of ${runner.timeoutMs} ms`,
        {
          cause: err,
          context: { timeoutMs: runner.timeoutMs },
        },
      );
    }
    throw duckError(err);
  } finally {
    clearTimeout(timer);
    clearInterval(repeat);
    await conn.run("ROLLBACK").catch(() => undefined);
    conn.closeSync();
  }
}
