import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Subscription } from "rxjs";
import { appendArrow } from "./arrow.ts";
import { consumeStream, type StreamMsg } from "./consumer.ts";
import type { Db } from "./db.ts";
import type { RejectReason } from "./decode.ts";
import { deadLetter } from "./dlq.ts";
import type { HistoryArrow } from "./history-columns.ts";
import {
  BatchPacker,
  type DecodedBatch,
  decodeBatch,
  decodedArrow,
  type PackedBatch,
  packBatch,
} from "./history-decode.ts";
import type { RecentIds } from "./recent-ids.ts";

const STATEMENTS = readFileSync(new URL("./history.sql", import.meta.url), "utf8")
  .split(/;\s*\n\s*\n/)
  .map((s) => s.trim())
  .filter((s) => s.replace(/--.*$/gm, "").trim().length > 0);
const [UPSERT_PROFILES, UPSERT_OFFSET] = STATEMENTS as [string, string];

/** The connection's staging table for profile updates (the only rows that need SQL to land). */
export const STAGING_SQL =
  "CREATE TEMP TABLE IF NOT EXISTS _profile_updates (profile_id VARCHAR, ts_ms DOUBLE, attributes VARCHAR)";

/**
 * DuckDB's row group (its default `row_group_size`). A transaction that appends whole row groups has
 * them compressed and written straight to the database file ("optimistic writes"): no WAL copy and
 * no later checkpoint rewrite. Measured (valgrind instruction counts, 500k events, one DuckDB thread):
 * commits of 122,880 rows cost 15.4k instructions per row including the final checkpoint, commits of
 * 50,000 rows 20.6k, of 125,000 or 250,000 rows (whole groups plus a tail) 24.6k and 22.4k.
 */
export const DUCKDB_ROW_GROUP = 122_880;

export interface HistoryStats {
  accepted: number;
  duplicates: number;
  deadLettered: Partial<Record<RejectReason, number>>;
  batches: number;
  lastSeq: number;
  appendMs: number;
}

export interface PreparedBatch {
  /** The accepted events as Arrow record batches (undefined when none were accepted). */
  arrow: HistoryArrow | undefined;
  accepted: number;
  duplicates: number;
  rejected: DecodedBatch["rejected"];
  lastSeq: number;
}

/**
 * The pure half of a micro-batch (no I/O), in this thread: decode, drop repeated ids, build the Arrow
 * record batches (through Arrow IPC, as they come back from the writer's decode thread).
 */
export function prepareHistoryBatch(
  msgs: readonly Pick<StreamMsg, "seq" | "subject" | "data">[],
  seen: RecentIds,
  receivedMs: number,
): PreparedBatch {
  const decoded = decodeBatch(packBatch(msgs), seen, receivedMs);
  return {
    arrow: decodedArrow(decoded),
    accepted: decoded.accepted,
    duplicates: decoded.duplicates,
    rejected: decoded.rejected,
    lastSeq: msgs.at(-1)?.seq ?? 0,
  };
}

/**
 * The durable half, one transaction: the Arrow batches appended straight into `events` and
 * `purchase_items`, profile updates upserted, and the stream offset — all or nothing.
 */
export async function commitHistoryBatch(
  conn: DuckDBConnection,
  batch: Pick<PreparedBatch, "arrow" | "lastSeq">,
  consumer: string,
) {
  await conn.run("BEGIN TRANSACTION");
  try {
    const arrow = batch.arrow;
    if (arrow) {
      await appendArrow(conn, "events", arrow.events);
      if (arrow.purchaseItems) await appendArrow(conn, "purchase_items", arrow.purchaseItems);
      if (arrow.profileUpdates) {
        await conn.run("DELETE FROM _profile_updates");
        await appendArrow(conn, "_profile_updates", arrow.profileUpdates);
        await conn.run(UPSERT_PROFILES);
      }
    }
    await conn.run(UPSERT_OFFSET, { consumer, last_seq: batch.lastSeq });
    await conn.run("COMMIT");
  } catch (err) {
    await conn.run("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** The last sequence whose effect is in the history for `consumer` (0 when none). */
export async function historyOffset(conn: DuckDBConnection, consumer: string): Promise<number> {
  const r = await conn.runAndReadAll("SELECT last_seq FROM ingest_offsets WHERE consumer = $c", {
    c: consumer,
  });
  return Number(r.getRows()[0]?.[0] ?? 0);
}

export interface HistoryWriter {
  stats(): HistoryStats;
  /** Resolves when the history holds the effect of every message up to `seq`. */
  caughtUp(seq: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HistoryDeps {
  nc: NatsConnection;
  db: Db;
  /** Un-acked messages at most (default 4 × 122,880 = 491,520: room for a batch of whole row groups
   * committing, one decoding and one gathering). */
  maxInFlight?: number;
  /** Largest batch gathered while the writer is idle (default: one DuckDB row group, or half of
   * maxInFlight when smaller). A batch gathered during a commit takes what arrived meanwhile: whole
   * row groups when that is at least one (the rest waits for the next batch), else all of it. */
  batchSize?: number;
  /** Rows per DuckDB row group (default DUCKDB_ROW_GROUP; smaller in tests, to exercise whole-group
   * batches with little data). */
  rowGroup?: number;
  /** How long the first message of a batch waits for company while the writer is idle (default 100 ms). */
  batchDelayMs?: number;
  durable?: string;
  dedupeCapacity?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/**
 * Consumes EVENTS into the DuckDB history: micro-batches as Arrow record batches, each committed with
 * its stream offset in one transaction, dead letters published before the ack, the ack last.
 * A crash anywhere replays from the committed offset: each event lands exactly once.
 *
 * Three stages overlap: this thread receives messages; a decode thread validates batch k+1 and builds
 * its Arrow record batches (sent back as Arrow IPC) while DuckDB commits batch k. A batch is what
 * arrived meanwhile, so batches grow with the load and commits (mostly a fixed cost) stay few.
 *
 * @example const history = await startHistory({ nc, db }); await history.caughtUp(lastPublishedSeq);
 */
export async function startHistory(deps: HistoryDeps): Promise<HistoryWriter> {
  const consumer = deps.durable ?? "history";
  const rowGroup = deps.rowGroup ?? DUCKDB_ROW_GROUP;
  const maxInFlight = deps.maxInFlight ?? 4 * rowGroup;
  const maxBatch = deps.batchSize ?? Math.max(1, Math.min(rowGroup, Math.floor(maxInFlight / 2)));
  const delayMs = deps.batchDelayMs ?? 100;
  // The decode thread boots (loading its modules takes a while) while the history is read.
  const decoder = startDecodeThread(deps.dedupeCapacity ?? 1_000_000, (buffers) =>
    gathering.recycle(buffers),
  );
  const conn = await deps.db.instance.connect();
  try {
    await conn.run(STAGING_SQL);
    const recent = await conn.runAndReadAll("SELECT id FROM events ORDER BY seq DESC LIMIT $n", {
      n: deps.dedupeCapacity ?? 1_000_000,
    });
    await decoder.seed((recent.getColumnsJS()[0] ?? []).map(String).reverse());
  } catch (err) {
    await decoder.close();
    conn.closeSync();
    throw err;
  }
  const stats: HistoryStats = {
    accepted: 0,
    duplicates: 0,
    deadLettered: {},
    batches: 0,
    lastSeq: 0,
    appendMs: 0,
  };
  stats.lastSeq = await historyOffset(conn, consumer);
  const waiters: { seq: number; resolve: () => void }[] = [];
  const now = deps.now ?? Date.now;
  let failed: unknown;

  // Messages are packed as they arrive; only the last one, and the last of each whole row group, are
  // kept (acking one acks its batch).
  const gathering = new BatchPacker();
  let lastGathered: StreamMsg | undefined;
  const rowGroupEnds: StreamMsg[] = [];
  let decoding = false;
  let ready: { last: StreamMsg; decoded: DecodedBatch } | undefined;
  let committing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due = false;

  const fail = (err: unknown) => {
    failed ??= err;
    sub.unsubscribe();
    for (const w of waiters.splice(0)) w.resolve();
    deps.onError?.(err);
  };
  /** Moves batches along: gathered → decode thread → DuckDB, one batch per stage at most. */
  const pump = () => {
    if (failed) return;
    if (!committing && ready) {
      const batch = ready;
      ready = undefined;
      committing = true;
      commit(batch.last, batch.decoded)
        .then(() => {
          committing = false;
          pump();
        })
        .catch(fail);
    }
    if (decoding || ready || gathering.length === 0) return;
    if (gathering.length >= maxBatch || committing || due) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      due = false;
      const groups = Math.floor(gathering.length / rowGroup);
      const last = groups > 0 ? rowGroupEnds[groups - 1]! : lastGathered!;
      const packed = gathering.take(groups > 0 ? groups * rowGroup : gathering.length);
      rowGroupEnds.length = 0;
      decoding = true;
      decoder
        .decode(packed, now())
        .then((decoded) => {
          decoding = false;
          ready = { last, decoded };
          pump();
        })
        .catch(fail);
    } else {
      timer ??= setTimeout(() => {
        due = true;
        pump();
      }, delayMs);
    }
  };
  async function commit(last: StreamMsg, decoded: DecodedBatch) {
    const t0 = performance.now();
    const rejected = decoded.rejected;
    await commitHistoryBatch(conn, { arrow: decodedArrow(decoded), lastSeq: last.seq }, consumer);
    await deadLetter(deps.nc, rejected);
    last.ack();
    stats.appendMs += performance.now() - t0;
    stats.accepted += decoded.accepted;
    stats.duplicates += decoded.duplicates;
    for (const r of rejected) stats.deadLettered[r.reason] = (stats.deadLettered[r.reason] ?? 0) + 1;
    stats.batches++;
    stats.lastSeq = last.seq;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.seq <= stats.lastSeq) waiters.splice(i, 1)[0]!.resolve();
    }
  }

  const sub: Subscription = consumeStream(deps.nc, {
    stream: "EVENTS",
    durable: consumer,
    startSeq: stats.lastSeq + 1,
    maxInFlight,
    // The offset committed with the rows is the position; acks would only cost the server.
    acks: "none",
  }).subscribe({
    next: (m) => {
      gathering.add(m);
      lastGathered = m;
      if (gathering.length % rowGroup === 0) rowGroupEnds.push(m);
      if (gathering.length === 1 || gathering.length >= maxBatch) pump();
    },
    error: fail,
  });

  return {
    stats: () => structuredClone(stats),
    caughtUp: (seq) =>
      failed
        ? Promise.reject(failed)
        : seq <= stats.lastSeq
          ? Promise.resolve()
          : new Promise((resolve, reject) =>
              waiters.push({ seq, resolve: () => (failed ? reject(failed) : resolve()) }),
            ),
    async stop() {
      if (timer) clearTimeout(timer);
      sub.unsubscribe();
      await decoder.close();
      conn.closeSync();
    },
  };
}

/** The decode thread: its own set of recent ids (seeded from the history), one batch at a time. */
function startDecodeThread(
  capacity: number,
  recycle: (buffers: Pick<PackedBatch, "seqs" | "offsets" | "bytes">) => void,
) {
  const worker = new Worker(new URL("./history-worker.mjs", import.meta.url), { workerData: { capacity } });
  let pending: { resolve: (d: DecodedBatch) => void; reject: (e: unknown) => void } | undefined;
  let dead: unknown;
  const failAll = (err: unknown) => {
    dead ??= err;
    pending?.reject(err);
    pending = undefined;
    seeded?.reject(err);
  };
  let seeded: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  worker.on(
    "message",
    (m: { decoded?: DecodedBatch; recycled?: PackedBatch; error?: string; seeded?: true }) => {
      if (m.seeded) {
        seeded?.resolve();
        return;
      }
      const p = pending;
      pending = undefined;
      if (m.recycled) recycle(m.recycled);
      if (m.decoded) p?.resolve(m.decoded);
      else p?.reject(new Error(`history decode thread: ${m.error}`));
    },
  );
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`history decode thread exited (${code})`)));
  return {
    /** The ids already in the history, oldest first (before the first batch); resolves once the
     * thread has loaded and holds them, so no message is pulled before it can be decoded. */
    seed(ids: string[]): Promise<void> {
      if (dead) return Promise.reject(dead);
      return new Promise((resolve, reject) => {
        seeded = { resolve, reject };
        worker.postMessage({ seed: ids });
      });
    },
    decode(batch: PackedBatch, receivedMs: number): Promise<DecodedBatch> {
      if (dead) return Promise.reject(dead); // a thread that died between batches fails the next one
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage({ batch, receivedMs }, [
          batch.seqs.buffer as ArrayBuffer,
          batch.bytes.buffer as ArrayBuffer,
          batch.offsets.buffer as ArrayBuffer,
        ]);
      });
    },
    async close() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}
