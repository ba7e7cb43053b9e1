import { readFileSync } from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  Dictionary,
  Float64,
  Int32,
  makeTable,
  type RecordBatch,
  Table,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { bufferTime, concatMap, filter, type Subscription } from "rxjs";
import { appendArrow } from "./arrow.ts";
import { consumeStream, type StreamMsg } from "./consumer.ts";
import type { Db } from "./db.ts";
import { type Decoded, decodeEvent, type RejectReason } from "./decode.ts";
import { deadLetter } from "./dlq.ts";
import { type FlatEvent, flatEvent } from "./event.ts";
import { RecentIds } from "./recent-ids.ts";

const STATEMENTS = readFileSync(new URL("./history.sql", import.meta.url), "utf8")
  .split(/;\s*\n\s*\n/)
  .map((s) => s.trim())
  .filter((s) => s.replace(/--.*$/gm, "").trim().length > 0);

const STAGING = `CREATE TEMP TABLE IF NOT EXISTS _staging (
  seq DOUBLE, id VARCHAR, type VARCHAR, profile_id VARCHAR, ts_ms DOUBLE, product_id VARCHAR, quantity INTEGER,
  price DOUBLE, currency VARCHAR, order_id VARCHAR, session_id VARCHAR, items VARCHAR, attributes VARCHAR,
  extra VARCHAR, received_ms DOUBLE)`;

const dictUtf8 = () => new Dictionary(new Utf8(), new Int32());

export interface HistoryStats {
  accepted: number;
  duplicates: number;
  deadLettered: Partial<Record<RejectReason, number>>;
  batches: number;
  lastSeq: number;
  appendMs: number;
}

/** One accepted event, ready for the history. */
interface Row {
  seq: number;
  decoded: Extract<Decoded, { ok: true }>;
}

/**
 * Builds the Arrow record batch of a micro-batch of accepted events (strings dictionary-encoded),
 * in the column order of the `_staging` table.
 */
export function eventsToArrow(rows: readonly Row[], receivedMs: number): RecordBatch {
  const n = rows.length;
  const seq = new Float64Array(n);
  const tsMs = new Float64Array(n);
  const received = new Float64Array(n).fill(receivedMs);
  const flat: FlatEvent[] = new Array(n);
  rows.forEach((r, i) => {
    seq[i] = r.seq;
    tsMs[i] = r.decoded.tsMs;
    flat[i] = flatEvent(r.decoded.event);
  });
  const str = (f: (r: Row, i: number) => string | undefined) => rows.map((r, i) => f(r, i) ?? null);
  const e = (r: Row) => r.decoded.event;
  const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));
  const table = makeTable({ seq, ts_ms: tsMs, received_ms: received });
  const cols = {
    seq: table.getChild("seq")!,
    id: vectorFromArray(
      str((r) => e(r).id),
      new Utf8(),
    ),
    type: vectorFromArray(
      str((r) => e(r).type),
      dictUtf8(),
    ),
    profile_id: vectorFromArray(
      str((r) => e(r).profileId),
      dictUtf8(),
    ),
    ts_ms: table.getChild("ts_ms")!,
    product_id: vectorFromArray(
      str((_, i) => flat[i]!.productId),
      dictUtf8(),
    ),
    quantity: vectorFromArray(
      flat.map((f) => f.quantity ?? null),
      new Int32(),
    ),
    price: vectorFromArray(
      rows.map((r) => e(r).price ?? null),
      new Float64(),
    ),
    currency: vectorFromArray(
      str((r) => e(r).currency),
      dictUtf8(),
    ),
    order_id: vectorFromArray(
      str((_, i) => flat[i]!.orderId),
      new Utf8(),
    ),
    session_id: vectorFromArray(
      str((r) => e(r).sessionId),
      dictUtf8(),
    ),
    items: vectorFromArray(
      str((_, i) => json(flat[i]!.items)),
      new Utf8(),
    ),
    attributes: vectorFromArray(
      str((_, i) => json(flat[i]!.attributes)),
      new Utf8(),
    ),
    extra: vectorFromArray(
      str((r) => json(r.decoded.extra)),
      new Utf8(),
    ),
    received_ms: table.getChild("received_ms")!,
  };
  return new Table(cols).batches[0]!;
}

export interface BatchOutcome {
  accepted: number;
  duplicates: number;
  rejected: {
    reason: RejectReason;
    original: { subject: string; data: Uint8Array; seq: number };
    error: string;
  }[];
  lastSeq: number;
}

/**
 * The history's effect of one micro-batch: decode, drop repeated ids, append the accepted events
 * (Arrow → staging → one transaction with the offset). Returns the rejects for the dead-letter stream.
 */
export async function writeHistoryBatch(
  conn: DuckDBConnection,
  msgs: readonly Pick<StreamMsg, "seq" | "subject" | "data">[],
  seen: RecentIds,
  opts: { consumer: string; receivedMs: number },
): Promise<BatchOutcome> {
  const rows: Row[] = [];
  const rejected: BatchOutcome["rejected"] = [];
  let duplicates = 0;
  for (const m of msgs) {
    const decoded = decodeEvent(m.subject, m.data);
    if (!decoded.ok) {
      rejected.push({ reason: decoded.reason, original: m, error: decoded.error });
    } else if (!seen.add(decoded.event.id)) {
      duplicates++;
    } else {
      rows.push({ seq: m.seq, decoded });
    }
  }
  const lastSeq = msgs.at(-1)?.seq ?? 0;
  await conn.run("DELETE FROM _staging");
  if (rows.length > 0) await appendArrow(conn, "_staging", eventsToArrow(rows, opts.receivedMs));
  await conn.run("BEGIN TRANSACTION");
  try {
    if (rows.length > 0) for (const sql of STATEMENTS.slice(0, -1)) await conn.run(sql);
    await conn.run(STATEMENTS.at(-1)!, { consumer: opts.consumer, last_seq: lastSeq });
    await conn.run("COMMIT");
  } catch (err) {
    await conn.run("ROLLBACK").catch(() => {});
    throw err;
  }
  return { accepted: rows.length, duplicates, rejected, lastSeq };
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
  maxInFlight?: number;
  batchSize?: number;
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
 * @example const history = await startHistory({ nc, db }); await history.caughtUp(lastPublishedSeq);
 */
export async function startHistory(deps: HistoryDeps): Promise<HistoryWriter> {
  const consumer = deps.durable ?? "history";
  const conn = await deps.db.instance.connect();
  await conn.run(STAGING);
  const seen = new RecentIds(deps.dedupeCapacity ?? 1_000_000);
  const recent = await conn.runAndReadAll("SELECT id FROM events ORDER BY seq DESC LIMIT $n", {
    n: seen.capacity,
  });
  for (const [id] of recent.getRows().reverse()) seen.add(String(id));
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

  const sub: Subscription = consumeStream(deps.nc, {
    stream: "EVENTS",
    durable: consumer,
    startSeq: stats.lastSeq + 1,
    maxInFlight: deps.maxInFlight ?? 20_000,
  })
    .pipe(
      bufferTime(deps.batchDelayMs ?? 100, null, deps.batchSize ?? 10_000),
      filter((batch) => batch.length > 0),
      concatMap(async (batch) => {
        const t0 = performance.now();
        const out = await writeHistoryBatch(conn, batch, seen, { consumer, receivedMs: now() });
        await deadLetter(deps.nc, out.rejected);
        batch.at(-1)!.ack();
        stats.appendMs += performance.now() - t0;
        stats.accepted += out.accepted;
        stats.duplicates += out.duplicates;
        for (const r of out.rejected) stats.deadLettered[r.reason] = (stats.deadLettered[r.reason] ?? 0) + 1;
        stats.batches++;
        stats.lastSeq = out.lastSeq;
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.seq <= stats.lastSeq) waiters.splice(i, 1)[0]!.resolve();
        }
      }),
    )
    .subscribe({
      error: (err: unknown) => {
        failed = err;
        deps.onError?.(err);
      },
    });

  return {
    stats: () => structuredClone(stats),
    caughtUp: (seq) =>
      failed
        ? Promise.reject(failed)
        : seq <= stats.lastSeq
          ? Promise.resolve()
          : new Promise((resolve) => waiters.push({ seq, resolve })),
    async stop() {
      sub.unsubscribe();
      conn.closeSync();
    },
  };
}
