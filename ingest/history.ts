import { readFileSync } from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  Dictionary,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  type RecordBatch,
  Table,
  TimestampMicrosecond,
  Utf8,
  type Vector,
} from "apache-arrow";
import type { Subscription } from "rxjs";
import { appendArrow } from "./arrow.ts";
import { consumeStream, type StreamMsg } from "./consumer.ts";
import type { Db } from "./db.ts";
import { type Decoded, decodeEvent, type RejectReason } from "./decode.ts";
import { deadLetter } from "./dlq.ts";
import { flatEvent, type PurchaseItem } from "./event.ts";
import { RecentIds } from "./recent-ids.ts";

const STATEMENTS = readFileSync(new URL("./history.sql", import.meta.url), "utf8")
  .split(/;\s*\n\s*\n/)
  .map((s) => s.trim())
  .filter((s) => s.replace(/--.*$/gm, "").trim().length > 0);
const [UPSERT_PROFILES, UPSERT_OFFSET] = STATEMENTS as [string, string];

/** The connection's staging table for profile updates (the only rows that need SQL to land). */
export const STAGING_SQL =
  "CREATE TEMP TABLE IF NOT EXISTS _profile_updates (profile_id VARCHAR, ts_ms DOUBLE, attributes VARCHAR)";

const ASCII_ONLY = /^[ -~]*$/;
const encoder = new TextEncoder();

/** A Utf8 vector built in one pass: ASCII copied char by char, anything else through TextEncoder. */
export function utf8Vector(values: readonly (string | undefined)[]): Vector<Utf8> {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += (values[i]?.length ?? 0) * 3;
  const data = new Uint8Array(bytes);
  const validity = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined) nullCount++;
    else {
      validity[i >> 3]! |= 1 << (i & 7);
      if (v.length < 64 && ASCII_ONLY.test(v))
        for (let j = 0; j < v.length; j++) data[at++] = v.charCodeAt(j);
      else at += encoder.encodeInto(v, data.subarray(at)).written;
    }
    offsets[i + 1] = at;
  }
  return makeVector(
    makeData({
      type: new Utf8(),
      length: n,
      nullCount,
      nullBitmap: nullCount > 0 ? validity : null,
      valueOffsets: offsets,
      data: data.subarray(0, at),
    }),
  );
}

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
  return makeVector(
    makeData({
      type: new Dictionary(new Utf8(), new Int32()),
      length: n,
      nullCount,
      nullBitmap: nullCount > 0 ? validity : null,
      data: codes,
      dictionary: utf8Vector(dict),
    }),
  );
}

/** Int64 (or timestamp µs) column from safe-integer numbers, without a BigInt per value. */
function int64Data(values: readonly number[], scale = 1): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! * scale;
    const hi = Math.floor(v / 4_294_967_296);
    words[2 * i] = v - hi * 4_294_967_296;
    words[2 * i + 1] = hi;
  }
  return out;
}

const int64Vector = (values: readonly number[]) =>
  makeVector(makeData({ type: new Int64(), length: values.length, nullCount: 0, data: int64Data(values) }));
const TS = new TimestampMicrosecond("UTC");
const timestampVector = (ms: readonly number[]) =>
  makeVector(makeData({ type: TS, length: ms.length, nullCount: 0, data: int64Data(ms, 1000) }));

function numberVector<T extends Int32 | Float64>(type: T, values: readonly (number | undefined)[]) {
  const n = values.length;
  const data = type instanceof Int32 ? new Int32Array(n) : new Float64Array(n);
  const validity = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined) nullCount++;
    else {
      data[i] = v;
      validity[i >> 3]! |= 1 << (i & 7);
    }
  }
  return makeVector(
    makeData({ type, length: n, nullCount, nullBitmap: nullCount > 0 ? validity : null, data } as never),
  ) as unknown as Vector<T>;
}

const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));

export interface HistoryStats {
  accepted: number;
  duplicates: number;
  deadLettered: Partial<Record<RejectReason, number>>;
  batches: number;
  lastSeq: number;
  appendMs: number;
}

/** The history rows of a micro-batch, as Arrow record batches in the column order of their tables. */
export interface HistoryArrow {
  /** → `events` */
  events: RecordBatch;
  /** → `purchase_items`, one row per purchased item (undefined without purchases). */
  purchaseItems: RecordBatch | undefined;
  /** → `_profile_updates`, then upserted into `profiles` (undefined without profile updates). */
  profileUpdates: RecordBatch | undefined;
}

/**
 * The columns of a micro-batch, filled one accepted event at a time as messages arrive (so the parsed
 * events die young), then turned into Arrow record batches by `toArrow`.
 */
export class HistoryColumns {
  readonly seq: number[] = [];
  readonly tsMs: number[] = [];
  readonly id: string[] = [];
  readonly type: string[] = [];
  readonly profileId: string[] = [];
  readonly productId: (string | undefined)[] = [];
  readonly quantity: (number | undefined)[] = [];
  readonly price: (number | undefined)[] = [];
  readonly currency: (string | undefined)[] = [];
  readonly orderId: (string | undefined)[] = [];
  readonly sessionId: (string | undefined)[] = [];
  readonly attributes: (string | undefined)[] = [];
  readonly extra: (string | undefined)[] = [];
  /** Purchased items: the row of their event and the item. */
  readonly items: { row: number; item: PurchaseItem }[] = [];
  /** Rows of profile updates. */
  readonly updates: number[] = [];

  get length() {
    return this.seq.length;
  }

  add(seq: number, decoded: Extract<Decoded, { ok: true }>) {
    const e = decoded.event;
    const f = flatEvent(e);
    const row = this.seq.length;
    this.seq.push(seq);
    this.tsMs.push(decoded.tsMs);
    this.id.push(e.id);
    this.type.push(e.type);
    this.profileId.push(e.profileId);
    this.productId.push(f.productId);
    this.quantity.push(f.quantity);
    this.price.push(e.price);
    this.currency.push(e.currency);
    this.orderId.push(f.orderId);
    this.sessionId.push(e.sessionId);
    this.attributes.push(json(f.attributes));
    this.extra.push(json(decoded.extra));
    if (f.items) for (const item of f.items) this.items.push({ row, item });
    if (e.type === "profile_update") this.updates.push(row);
  }

  /**
   * Arrow record batches in the tables' column order: strings dictionary-encoded (plain Utf8 for ids,
   * which never repeat, and JSON), timestamps in microseconds.
   */
  toArrow(receivedMs: number): HistoryArrow {
    const batch = (columns: Record<string, Vector>) => new Table(columns).batches[0]!;
    const { items, updates } = this;
    return {
      events: batch({
        seq: int64Vector(this.seq),
        id: utf8Vector(this.id),
        type: dictionaryVector(this.type),
        profile_id: dictionaryVector(this.profileId),
        ts: timestampVector(this.tsMs),
        product_id: dictionaryVector(this.productId),
        quantity: numberVector(new Int32(), this.quantity),
        price: numberVector(new Float64(), this.price),
        currency: dictionaryVector(this.currency),
        order_id: dictionaryVector(this.orderId),
        session_id: dictionaryVector(this.sessionId),
        attributes: utf8Vector(this.attributes),
        extra: utf8Vector(this.extra),
        received_at: timestampVector(new Array(this.length).fill(receivedMs)),
      }),
      purchaseItems:
        items.length === 0
          ? undefined
          : batch({
              seq: int64Vector(items.map((x) => this.seq[x.row]!)),
              event_id: utf8Vector(items.map((x) => this.id[x.row]!)),
              profile_id: dictionaryVector(items.map((x) => this.profileId[x.row]!)),
              ts: timestampVector(items.map((x) => this.tsMs[x.row]!)),
              order_id: dictionaryVector(items.map((x) => this.orderId[x.row]!)),
              product_id: dictionaryVector(items.map((x) => x.item.productId)),
              quantity: numberVector(
                new Int32(),
                items.map((x) => x.item.quantity ?? 1),
              ),
              price: numberVector(
                new Float64(),
                items.map((x) => x.item.price),
              ),
            }),
      profileUpdates:
        updates.length === 0
          ? undefined
          : batch({
              profile_id: utf8Vector(updates.map((i) => this.profileId[i]!)),
              ts_ms: numberVector(
                new Float64(),
                updates.map((i) => this.tsMs[i]!),
              ),
              attributes: utf8Vector(updates.map((i) => this.attributes[i]!)),
            }),
    };
  }
}

export interface PreparedBatch {
  /** The accepted events as Arrow record batches (undefined when none were accepted). */
  arrow: HistoryArrow | undefined;
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
 * The pure half of a micro-batch (no I/O): decode, drop repeated ids, build the Arrow record batches.
 * Runs while DuckDB is still committing the previous batch.
 */
export function prepareHistoryBatch(
  msgs: readonly Pick<StreamMsg, "seq" | "subject" | "data">[],
  seen: RecentIds,
  receivedMs: number,
): PreparedBatch {
  const batch = emptyBatch<Pick<StreamMsg, "seq" | "subject" | "data">>();
  for (const m of msgs) addToBatch(batch, m, seen);
  return prepared(batch, receivedMs);
}

/**
 * The durable half, one transaction: the Arrow batches appended straight into `events` and
 * `purchase_items`, profile updates upserted, and the stream offset — all or nothing.
 */
export async function commitHistoryBatch(conn: DuckDBConnection, batch: PreparedBatch, consumer: string) {
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
  /** Un-acked messages at most (default 100,000); a batch is at most half of it, so delivery never stalls. */
  maxInFlight?: number;
  /** Largest batch gathered while the writer is idle (default: half of maxInFlight); a batch gathered
   * during a commit takes whatever arrived, at most maxInFlight. */
  batchSize?: number;
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
 * Events are decoded as they arrive, while DuckDB commits the previous batch; a batch is everything
 * that arrived meanwhile (up to `batchSize`), so batches grow with the load and commits stay few.
 *
 * @example const history = await startHistory({ nc, db }); await history.caughtUp(lastPublishedSeq);
 */
export async function startHistory(deps: HistoryDeps): Promise<HistoryWriter> {
  const consumer = deps.durable ?? "history";
  const maxInFlight = deps.maxInFlight ?? 100_000;
  const maxBatch = deps.batchSize ?? Math.max(1, Math.floor(maxInFlight / 2));
  const delayMs = deps.batchDelayMs ?? 100;
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

  /** The batch being gathered: decoded on arrival. */
  let open = emptyBatch<StreamMsg>();
  let writing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const fail = (err: unknown) => {
    failed ??= err;
    sub.unsubscribe();
    for (const w of waiters.splice(0)) w.resolve();
    deps.onError?.(err);
  };
  const kick = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!writing && open.count > 0) void drain().catch(fail);
  };
  async function drain() {
    writing = true;
    while (open.count > 0 && !failed) {
      const batch = open;
      open = emptyBatch<StreamMsg>();
      const t0 = performance.now();
      const out = prepared(batch, now());
      await commitHistoryBatch(conn, out, consumer);
      await deadLetter(deps.nc, out.rejected);
      batch.last!.ack();
      stats.appendMs += performance.now() - t0;
      stats.accepted += out.accepted;
      stats.duplicates += out.duplicates;
      for (const r of out.rejected) stats.deadLettered[r.reason] = (stats.deadLettered[r.reason] ?? 0) + 1;
      stats.batches++;
      stats.lastSeq = out.lastSeq;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.seq <= stats.lastSeq) waiters.splice(i, 1)[0]!.resolve();
      }
    }
    writing = false;
  }

  const sub: Subscription = consumeStream(deps.nc, {
    stream: "EVENTS",
    durable: consumer,
    startSeq: stats.lastSeq + 1,
    maxInFlight,
  }).subscribe({
    next: (m) => {
      addToBatch(open, m, seen);
      if (writing) return; // drain() takes this batch when the commit in flight ends
      if (open.count >= maxBatch) kick();
      else timer ??= setTimeout(kick, delayMs);
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
      conn.closeSync();
    },
  };
}

type Msg = Pick<StreamMsg, "seq" | "subject" | "data">;

/** A batch being gathered, its messages decoded on arrival. */
interface OpenBatch<M extends Msg> {
  rows: HistoryColumns;
  rejected: PreparedBatch["rejected"];
  duplicates: number;
  count: number;
  last: M | undefined;
}

const emptyBatch = <M extends Msg>(): OpenBatch<M> => ({
  rows: new HistoryColumns(),
  rejected: [],
  duplicates: 0,
  count: 0,
  last: undefined,
});

function prepared(batch: OpenBatch<Msg>, receivedMs: number): PreparedBatch {
  return {
    arrow: batch.rows.length > 0 ? batch.rows.toArrow(receivedMs) : undefined,
    accepted: batch.rows.length,
    duplicates: batch.duplicates,
    rejected: batch.rejected,
    lastSeq: batch.last?.seq ?? 0,
  };
}

/** Decodes one message into the open batch: a row, a dead letter, or a dropped repeat. */
function addToBatch<M extends Msg>(batch: OpenBatch<M>, m: M, seen: RecentIds) {
  batch.count++;
  batch.last = m;
  const decoded = decodeEvent(m.subject, m.data);
  if (!decoded.ok) batch.rejected.push({ reason: decoded.reason, original: m, error: decoded.error });
  else if (!seen.add(decoded.event.id)) batch.duplicates++;
  else batch.rows.add(m.seq, decoded);
}
