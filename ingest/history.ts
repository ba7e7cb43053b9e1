import { readFileSync } from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  Dictionary,
  Float64,
  Int32,
  makeData,
  makeTable,
  makeVector,
  type RecordBatch,
  Table,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { bufferTime, concatMap, filter, map, type Subscription } from "rxjs";
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

/** The connection's staging table, in the column order of `eventsToArrow`. */
export const STAGING_SQL = `CREATE TEMP TABLE IF NOT EXISTS _staging (
  seq DOUBLE, id VARCHAR, type VARCHAR, profile_id VARCHAR, ts_ms DOUBLE, product_id VARCHAR, quantity INTEGER,
  price DOUBLE, currency VARCHAR, order_id VARCHAR, session_id VARCHAR, items VARCHAR, attributes VARCHAR,
  extra VARCHAR, received_ms DOUBLE)`;

/** Dictionary-encodes strings in one pass (Map lookup per value): much cheaper than a generic builder. */
function dictionaryVector(values: readonly (string | undefined)[]): Vector<Dictionary<Utf8, Int32>> {
  const n = values.length;
  const index = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Int32Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined) {
      nullCount++;
      continue;
    }
    let code = index.get(v);
    if (code === undefined) {
      code = dict.length;
      index.set(v, code);
      dict.push(v);
    }
    codes[i] = code;
    validity[i >> 3]! |= 1 << (i & 7);
  }
  const type = new Dictionary(new Utf8(), new Int32());
  const dictionary = vectorFromArray(dict, new Utf8());
  return makeVector(
    makeData({
      type,
      length: n,
      nullCount,
      nullBitmap: nullCount > 0 ? validity : null,
      data: codes,
      dictionary,
    }),
  );
}

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
  const flat: FlatEvent[] = new Array(n);
  rows.forEach((r, i) => {
    seq[i] = r.seq;
    tsMs[i] = r.decoded.tsMs;
    flat[i] = flatEvent(r.decoded.event);
  });
  const events = rows.map((r) => r.decoded.event);
  const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));
  const numbers = makeTable({ seq, ts_ms: tsMs, received_ms: new Float64Array(n).fill(receivedMs) });
  // Column order = the _staging table's. Every string column is dictionary-encoded (one code path
  // into DuckDB; for repeated values like type, profile and product it also shrinks the batch).
  return new Table({
    seq: numbers.getChild("seq")!,
    id: dictionaryVector(events.map((e) => e.id)),
    type: dictionaryVector(events.map((e) => e.type)),
    profile_id: dictionaryVector(events.map((e) => e.profileId)),
    ts_ms: numbers.getChild("ts_ms")!,
    product_id: dictionaryVector(flat.map((f) => f.productId)),
    quantity: vectorFromArray(
      flat.map((f) => f.quantity ?? null),
      new Int32(),
    ),
    price: vectorFromArray(
      events.map((e) => e.price ?? null),
      new Float64(),
    ),
    currency: dictionaryVector(events.map((e) => e.currency)),
    order_id: dictionaryVector(flat.map((f) => f.orderId)),
    session_id: dictionaryVector(events.map((e) => e.sessionId)),
    items: dictionaryVector(flat.map((f) => json(f.items))),
    attributes: dictionaryVector(flat.map((f) => json(f.attributes))),
    extra: dictionaryVector(rows.map((r) => json(r.decoded.extra))),
    received_ms: numbers.getChild("received_ms")!,
  }).batches[0]!;
}

export interface PreparedBatch {
  /** The accepted events as one Arrow record batch (undefined when none were accepted). */
  arrow: RecordBatch | undefined;
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
 * The pure half of a micro-batch (no I/O): decode, drop repeated ids, build the Arrow record batch.
 * Runs while DuckDB is still committing the previous batch.
 */
export function prepareHistoryBatch(
  msgs: readonly Pick<StreamMsg, "seq" | "subject" | "data">[],
  seen: RecentIds,
  receivedMs: number,
): PreparedBatch {
  const rows: Row[] = [];
  const rejected: PreparedBatch["rejected"] = [];
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
  return {
    arrow: rows.length > 0 ? eventsToArrow(rows, receivedMs) : undefined,
    accepted: rows.length,
    duplicates,
    rejected,
    lastSeq: msgs.at(-1)?.seq ?? 0,
  };
}

/** The durable half: append the Arrow batch and commit it with the stream offset in one transaction. */
export async function commitHistoryBatch(conn: DuckDBConnection, batch: PreparedBatch, consumer: string) {
  await conn.run("DELETE FROM _staging");
  if (batch.arrow) await appendArrow(conn, "_staging", batch.arrow);
  await conn.run("BEGIN TRANSACTION");
  try {
    if (batch.arrow) for (const sql of STATEMENTS.slice(0, -1)) await conn.run(sql);
    await conn.run(STATEMENTS.at(-1)!, { consumer, last_seq: batch.lastSeq });
    await conn.run("COMMIT");
  } catch (err) {
    await conn.run("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** Both halves, for callers without a pipeline (tests, tools). */
export async function writeHistoryBatch(
  conn: DuckDBConnection,
  msgs: readonly Pick<StreamMsg, "seq" | "subject" | "data">[],
  seen: RecentIds,
  opts: { consumer: string; receivedMs: number },
): Promise<PreparedBatch> {
  const batch = prepareHistoryBatch(msgs, seen, opts.receivedMs);
  await commitHistoryBatch(conn, batch, opts.consumer);
  return batch;
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
  await conn.run(STAGING_SQL);
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
      // Decoding and Arrow building happen here, as batches arrive, overlapping the previous commit.
      map((msgs) => ({ msgs, out: prepareHistoryBatch(msgs, seen, now()) })),
      concatMap(async ({ msgs, out }) => {
        const t0 = performance.now();
        await commitHistoryBatch(conn, out, consumer);
        await deadLetter(deps.nc, out.rejected);
        msgs.at(-1)!.ack();
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
