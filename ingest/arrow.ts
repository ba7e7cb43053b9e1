import { type DuckDBConnection, DuckDBDataChunk, DuckDBTypeId } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import {
  type Data,
  type DataType,
  type Dictionary,
  type Float64,
  Precision,
  type RecordBatch,
  Table,
  type TimestampMicrosecond,
  TimeUnit,
  Type,
} from "apache-arrow";

const CHUNK = 2048;

/** DuckDB's `string_t`: 16 bytes, the length then up to 12 bytes inline (longer strings point elsewhere). */
const STRING_T = 16;
const INLINE = 12;

const ARROW_FOR_DUCK: Partial<Record<DuckDBTypeId, (t: DataType) => boolean>> = {
  [DuckDBTypeId.VARCHAR]: (t) =>
    t.typeId === Type.Utf8 ||
    (t.typeId === Type.Dictionary && (t as Dictionary).dictionary.typeId === Type.Utf8),
  [DuckDBTypeId.INTEGER]: (t) =>
    t.typeId === Type.Int && (t as unknown as { bitWidth: number }).bitWidth === 32,
  [DuckDBTypeId.BIGINT]: (t) =>
    t.typeId === Type.Int && (t as unknown as { bitWidth: number }).bitWidth === 64,
  [DuckDBTypeId.DOUBLE]: (t) => t.typeId === Type.Float && (t as Float64).precision === Precision.DOUBLE,
  [DuckDBTypeId.BOOLEAN]: (t) => t.typeId === Type.Bool,
  [DuckDBTypeId.TIMESTAMP]: (t) => isMicros(t) && !(t as TimestampMicrosecond).timezone,
  [DuckDBTypeId.TIMESTAMP_TZ]: (t) => isMicros(t) && !!(t as TimestampMicrosecond).timezone,
};
const isMicros = (t: DataType) =>
  t.typeId === Type.Timestamp && (t as TimestampMicrosecond).unit === TimeUnit.MICROSECOND;

/** Whether row r of an Arrow column is valid, read straight from its bitmap (undefined: no nulls). */
function bitmapReader(data: Data): ((r: number) => boolean) | undefined {
  if (data.nullCount <= 0 || !data.nullBitmap) return undefined;
  const bitmap = data.nullBitmap;
  const offset = data.offset;
  return (r) => ((bitmap[(r + offset) >> 3]! >> ((r + offset) & 7)) & 1) === 1;
}

/** Copies rows [from, from+n) of one Arrow column into one DuckDB vector of a data chunk. */
function writeColumn(vector: duckdb.Vector, data: Data, from: number, n: number) {
  const t = data.type;
  const dict = t.typeId === Type.Dictionary ? data.dictionary!.data[0]! : undefined;
  const codes = dict ? (data.values as Int32Array) : undefined;
  // A row is null when its slot is, or (dictionary) when the value its code points at is.
  const slotValid = bitmapReader(data);
  const valueValid = dict ? bitmapReader(dict) : undefined;
  const valid =
    valueValid && slotValid
      ? (r: number) => slotValid(r) && valueValid(codes![r]!)
      : valueValid
        ? (r: number) => valueValid(codes![r]!)
        : slotValid;
  if (valid) {
    // DuckDB's mask has Arrow's bitmap layout (bit i of byte i>>3 = row i, 1 = valid): byte-aligned
    // slices of a plain column's bitmap are copied as they are.
    duckdb.vector_ensure_validity_writable(vector);
    const start = data.offset + from;
    let bits: Uint8Array;
    if (!valueValid && start % 8 === 0) bits = data.nullBitmap!.slice(start >> 3, (start + n + 7) >> 3);
    else {
      bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (valid(from + i)) bits[i >> 3]! |= 1 << (i & 7);
    }
    duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer as ArrayBuffer, 0, bits.byteLength);
  }
  if (t.typeId === Type.Bool) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = (data.values[(from + i) >> 3] >> ((from + i) & 7)) & 1;
    duckdb.copy_data_to_vector(vector, 0, bytes.buffer, 0, n);
    return;
  }
  if (t.typeId !== Type.Utf8 && t.typeId !== Type.Dictionary) {
    // Fixed width: the bytes are DuckDB's already (int32, int64, double; timestamps as int64 µs).
    const values = data.values as ArrayBufferView & { BYTES_PER_ELEMENT: number };
    const width = values.BYTES_PER_ELEMENT;
    duckdb.copy_data_to_vector(
      vector,
      0,
      values.buffer as ArrayBuffer,
      values.byteOffset + from * width,
      n * width,
    );
    return;
  }
  // Strings: short ones written inline into string_t in one copy, long ones assigned one by one.
  const strings = dict ?? data;
  const offsets = strings.valueOffsets as Int32Array;
  const bytes = strings.values as Uint8Array;
  const out = new Uint8Array(n * STRING_T);
  const lengths = new Uint32Array(out.buffer);
  const long: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = from + i;
    if (valid && !valid(r)) continue;
    const k = codes ? codes[r]! : r;
    const start = offsets[k]!;
    const len = offsets[k + 1]! - start;
    if (len <= INLINE) {
      lengths[i * 4] = len;
      const to = i * STRING_T + 4;
      for (let b = 0; b < len; b++) out[to + b] = bytes[start + b]!; // no subarray object per value
    } else long.push(i, start, len);
  }
  duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, out.byteLength);
  for (let j = 0; j < long.length; j += 3) {
    const start = long[j + 1]!;
    duckdb.vector_assign_string_element_len(vector, long[j]!, bytes.subarray(start, start + long[j + 2]!));
  }
}

function isBatchList(d: RecordBatch | readonly RecordBatch[]): d is readonly RecordBatch[] {
  return Array.isArray(d);
}

/**
 * Appends Arrow record batches to a DuckDB table whose columns match them in order and type
 * (Utf8 or dictionary-encoded Utf8 → VARCHAR/JSON, Int32 → INTEGER, Int64 → BIGINT, Float64 → DOUBLE,
 * Bool → BOOLEAN, Timestamp µs → TIMESTAMP / TIMESTAMPTZ), through the appender, writing Arrow's
 * buffers straight into DuckDB's vectors: no per-value JS conversion. Runs inside the connection's
 * open transaction, if any.
 *
 * @example await appendArrow(conn, "events", batch);
 */
export async function appendArrow(
  conn: DuckDBConnection,
  tableName: string,
  data: Table | RecordBatch | readonly RecordBatch[],
): Promise<number> {
  const batches: readonly RecordBatch[] =
    data instanceof Table ? data.batches : isBatchList(data) ? data : [data];
  if (batches.length === 0) return 0;
  const appender = await conn.createAppender(tableName);
  let rows = 0;
  try {
    const types = Array.from({ length: appender.columnCount }, (_, c) => appender.columnType(c));
    const fields = batches[0]!.schema.fields;
    if (fields.length !== types.length) {
      throw new Error(`${tableName} has ${types.length} columns, the Arrow batch ${fields.length}`);
    }
    fields.forEach((f, c) => {
      if (!ARROW_FOR_DUCK[types[c]!.typeId]?.(f.type)) {
        throw new Error(
          `column ${c + 1} of ${tableName} is ${types[c]}, the Arrow field ${f.name} is ${f.type}`,
        );
      }
    });
    for (const batch of batches) {
      const columns = fields.map((_, c) => batch.getChildAt(c)!.data);
      if (columns.some((d) => d.length !== 1))
        throw new Error("appendArrow: one data chunk per column expected");
      for (let from = 0; from < batch.numRows; from += CHUNK) {
        const n = Math.min(CHUNK, batch.numRows - from);
        const chunk = DuckDBDataChunk.create(types, n);
        columns.forEach((d, c) => {
          writeColumn(duckdb.data_chunk_get_vector(chunk.chunk, c), d[0]!, from, n);
        });
        appender.appendDataChunk(chunk);
        rows += n;
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows;
}
