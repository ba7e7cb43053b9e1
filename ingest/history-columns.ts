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
import type { Decoded } from "./decode.ts";
import { flatEvent, type PurchaseItem } from "./event.ts";

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
