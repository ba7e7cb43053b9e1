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
import { flatEvent } from "./event.ts";

const encoder = new TextEncoder();

/** A Utf8 vector of `values` (undefined is null). */
export function utf8Vector(values: readonly (string | undefined)[]): Vector<Utf8> {
  const builder = new Utf8Builder();
  for (const v of values) builder.add(v);
  return builder.finish();
}

/** Int64 (or timestamp µs) column from safe-integer numbers, without a BigInt per value. */
function int64Data(values: ArrayLike<number>, scale = 1): BigInt64Array {
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

const TS = new TimestampMicrosecond("UTC");

function grown<T extends Uint8Array | Int32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

/** A validity bitmap filled row by row (Arrow's: bit i set when row i is not null). */
class Validity {
  bits = new Uint8Array(128);
  nullCount = 0;

  set(i: number, valid: boolean) {
    if (i >> 3 >= this.bits.length) this.bits = grown(this.bits, (i >> 3) + 1);
    if (valid) this.bits[i >> 3]! |= 1 << (i & 7);
    else this.nullCount++;
  }

  /** Empty again, keeping the buffer (reused memory costs no page faults). */
  reset(n: number) {
    this.bits.fill(0, 0, (n + 7) >> 3);
    this.nullCount = 0;
  }

  bitmap(n: number): Uint8Array | null {
    return this.nullCount > 0 ? this.bits.subarray(0, (n + 7) >> 3) : null;
  }
}

/**
 * A Utf8 column filled as values arrive, so no string outlives its event: ASCII copied char by char,
 * anything else (or long) through TextEncoder.
 */
class Utf8Builder {
  length = 0;
  #bytes = new Uint8Array(16 * 1024);
  #offsets = new Int32Array(1024);
  #at = 0;
  readonly #validity = new Validity();

  add(v: string | undefined) {
    const i = this.length++;
    if (i + 2 > this.#offsets.length) this.#offsets = grown(this.#offsets, i + 2);
    this.#validity.set(i, v !== undefined);
    if (v !== undefined) {
      const n = v.length;
      if (this.#at + n * 3 > this.#bytes.length) this.#bytes = grown(this.#bytes, this.#at + n * 3);
      const bytes = this.#bytes;
      const at = this.#at;
      let j = 0;
      if (n < 64) {
        for (; j < n; j++) {
          const c = v.charCodeAt(j);
          if (c >= 0x80) break;
          bytes[at + j] = c;
        }
      }
      this.#at += j === n ? n : encoder.encodeInto(v, bytes.subarray(at)).written;
    }
    this.#offsets[i + 1] = this.#at;
  }

  reset() {
    this.#validity.reset(this.length);
    this.length = 0;
    this.#at = 0;
  }

  finish(): Vector<Utf8> {
    const n = this.length;
    return makeVector(
      makeData({
        type: new Utf8(),
        length: n,
        nullCount: this.#validity.nullCount,
        nullBitmap: this.#validity.bitmap(n),
        valueOffsets: this.#offsets.subarray(0, n + 1),
        data: this.#bytes.subarray(0, this.#at),
      }),
    );
  }
}

/** A dictionary-encoded Utf8 column filled as values arrive: one Map lookup per value. */
class DictionaryBuilder {
  length = 0;
  readonly #index = new Map<string, number>();
  readonly #dict = new Utf8Builder();
  #codes = new Int32Array(1024);
  readonly #validity = new Validity();

  add(v: string | undefined) {
    const i = this.length++;
    if (i >= this.#codes.length) this.#codes = grown(this.#codes, i + 1);
    this.#validity.set(i, v !== undefined);
    if (v === undefined) return;
    let code = this.#index.get(v);
    if (code === undefined) {
      code = this.#dict.length;
      this.#index.set(v, code);
      this.#dict.add(v);
    }
    this.#codes[i] = code;
  }

  reset() {
    this.#validity.reset(this.length);
    this.length = 0;
    this.#index.clear();
    this.#dict.reset();
  }

  finish(): Vector<Dictionary<Utf8, Int32>> {
    const n = this.length;
    return makeVector(
      makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        length: n,
        nullCount: this.#validity.nullCount,
        nullBitmap: this.#validity.bitmap(n),
        data: this.#codes.subarray(0, n),
        dictionary: this.#dict.finish(),
      }),
    );
  }
}

/** A number column (Int32, Float64, or Int64/timestamp from safe integers) filled as values arrive. */
class NumberBuilder {
  length = 0;
  #values = new Float64Array(1024);
  readonly #validity = new Validity();

  add(v: number | undefined) {
    const i = this.length++;
    if (i >= this.#values.length) this.#values = grown(this.#values, i + 1);
    this.#validity.set(i, v !== undefined);
    if (v !== undefined) this.#values[i] = v;
  }

  reset() {
    this.#validity.reset(this.length);
    this.length = 0;
  }

  finish<T extends Int32 | Float64>(type: T): Vector<T> {
    const n = this.length;
    const values = this.#values.subarray(0, n);
    const data = type instanceof Int32 ? Int32Array.from(values) : values;
    return makeVector(
      makeData({
        type,
        length: n,
        nullCount: this.#validity.nullCount,
        nullBitmap: this.#validity.bitmap(n),
        data,
      } as never),
    ) as unknown as Vector<T>;
  }

  /** Int64 (or, with `scale` 1000 from ms, microsecond timestamps) from safe integers; no nulls. */
  finishInt64(scale = 1): Vector {
    return int64Vector(this.#values.subarray(0, this.length), scale);
  }
}

const int64Vector = (values: ArrayLike<number>, scale = 1): Vector =>
  makeVector(
    makeData({
      type: scale === 1 ? new Int64() : TS,
      length: values.length,
      nullCount: 0,
      data: int64Data(values, scale),
    } as never),
  );

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
 * The columns of a micro-batch, filled one accepted event at a time as messages arrive: values go
 * straight into Arrow buffers (strings as UTF-8 bytes or dictionary codes), so the parsed events and
 * their strings die young. `toArrow` then wraps the buffers as record batches.
 */
export class HistoryColumns {
  readonly #seq = new NumberBuilder();
  readonly #tsMs = new NumberBuilder();
  readonly #id = new Utf8Builder();
  readonly #type = new DictionaryBuilder();
  readonly #profileId = new DictionaryBuilder();
  readonly #productId = new DictionaryBuilder();
  readonly #quantity = new NumberBuilder();
  readonly #price = new NumberBuilder();
  readonly #currency = new DictionaryBuilder();
  readonly #orderId = new DictionaryBuilder();
  readonly #sessionId = new DictionaryBuilder();
  readonly #attributes = new Utf8Builder();
  readonly #extra = new Utf8Builder();
  /** → purchase_items, one row per purchased item. */
  readonly #items = {
    seq: new NumberBuilder(),
    eventId: new Utf8Builder(),
    profileId: new DictionaryBuilder(),
    tsMs: new NumberBuilder(),
    orderId: new DictionaryBuilder(),
    productId: new DictionaryBuilder(),
    quantity: new NumberBuilder(),
    price: new NumberBuilder(),
  };
  /** → _profile_updates. */
  readonly #updates = {
    profileId: new Utf8Builder(),
    tsMs: new NumberBuilder(),
    attributes: new Utf8Builder(),
  };

  get length() {
    return this.#seq.length;
  }

  /**
   * Empty again, keeping every buffer: a decode thread reuses one HistoryColumns for every batch, so
   * its memory is touched once (fresh memory costs a page fault per 4 KiB, measured here at ~5 ms per
   * MB). The record batches of the previous `toArrow` are views on these buffers: use them first.
   */
  reset() {
    for (const b of [
      this.#seq,
      this.#tsMs,
      this.#id,
      this.#type,
      this.#profileId,
      this.#productId,
      this.#quantity,
      this.#price,
      this.#currency,
      this.#orderId,
      this.#sessionId,
      this.#attributes,
      this.#extra,
      ...Object.values(this.#items),
      ...Object.values(this.#updates),
    ]) {
      b.reset();
    }
  }

  add(seq: number, decoded: Extract<Decoded, { ok: true }>) {
    const e = decoded.event;
    const f = flatEvent(e);
    this.#seq.add(seq);
    this.#tsMs.add(decoded.tsMs);
    this.#id.add(e.id);
    this.#type.add(e.type);
    this.#profileId.add(e.profileId);
    this.#productId.add(f.productId);
    this.#quantity.add(f.quantity);
    this.#price.add(e.price);
    this.#currency.add(e.currency);
    this.#orderId.add(f.orderId);
    this.#sessionId.add(e.sessionId);
    const attributes = json(f.attributes);
    this.#attributes.add(attributes);
    this.#extra.add(json(decoded.extra));
    if (f.items) {
      const items = this.#items;
      for (const item of f.items) {
        items.seq.add(seq);
        items.eventId.add(e.id);
        items.profileId.add(e.profileId);
        items.tsMs.add(decoded.tsMs);
        items.orderId.add(f.orderId);
        items.productId.add(item.productId);
        items.quantity.add(item.quantity ?? 1);
        items.price.add(item.price);
      }
    }
    if (e.type === "profile_update") {
      this.#updates.profileId.add(e.profileId);
      this.#updates.tsMs.add(decoded.tsMs);
      this.#updates.attributes.add(attributes);
    }
  }

  /**
   * Arrow record batches in the tables' column order: strings dictionary-encoded (plain Utf8 for ids,
   * which never repeat, and JSON), timestamps in microseconds.
   */
  toArrow(receivedMs: number): HistoryArrow {
    const batch = (columns: Record<string, Vector>) => new Table(columns).batches[0]!;
    const items = this.#items;
    const updates = this.#updates;
    return {
      events: batch({
        seq: this.#seq.finishInt64(),
        id: this.#id.finish(),
        type: this.#type.finish(),
        profile_id: this.#profileId.finish(),
        ts: this.#tsMs.finishInt64(1000),
        product_id: this.#productId.finish(),
        quantity: this.#quantity.finish(new Int32()),
        price: this.#price.finish(new Float64()),
        currency: this.#currency.finish(),
        order_id: this.#orderId.finish(),
        session_id: this.#sessionId.finish(),
        attributes: this.#attributes.finish(),
        extra: this.#extra.finish(),
        received_at: int64Vector(new Float64Array(this.length).fill(receivedMs), 1000),
      }),
      purchaseItems:
        items.seq.length === 0
          ? undefined
          : batch({
              seq: items.seq.finishInt64(),
              event_id: items.eventId.finish(),
              profile_id: items.profileId.finish(),
              ts: items.tsMs.finishInt64(1000),
              order_id: items.orderId.finish(),
              product_id: items.productId.finish(),
              quantity: items.quantity.finish(new Int32()),
              price: items.price.finish(new Float64()),
            }),
      profileUpdates:
        updates.profileId.length === 0
          ? undefined
          : batch({
              profile_id: updates.profileId.finish(),
              ts_ms: updates.tsMs.finish(new Float64()),
              attributes: updates.attributes.finish(),
            }),
    };
  }
}
