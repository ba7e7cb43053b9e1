import {
  BOOLEAN as DUCK_BOOLEAN,
  DOUBLE as DUCK_DOUBLE,
  INTEGER as DUCK_INTEGER,
  VARCHAR as DUCK_VARCHAR,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from "@duckdb/node-api";
import {
  Bool,
  type DataType,
  Dictionary,
  Float64,
  Int32,
  type RecordBatch,
  Table,
  TimestampMillisecond,
  Type,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";

const CHUNK = 2048;

function duckTypeOf(t: DataType): DuckDBType {
  switch (t.typeId) {
    case Type.Utf8:
    case Type.Dictionary:
      return DUCK_VARCHAR;
    case Type.Int:
      return DUCK_INTEGER;
    case Type.Float:
      return DUCK_DOUBLE;
    case Type.Bool:
      return DUCK_BOOLEAN;
    default:
      throw new Error(`no DuckDB appender mapping for Arrow type ${t}`);
  }
}

/** The JS values of rows [from, from+n) of an Arrow column, ready for `DuckDBDataChunk.setColumnValues`. */
function columnValues(vec: Vector, from: number, n: number, dictCache: Map<unknown, (string | null)[]>) {
  const out: DuckDBValue[] = new Array(n);
  if (vec.type.typeId === Type.Dictionary && vec.data.length === 1) {
    // Dictionary strings: decode the dictionary once, then index it by code (FACTS.md: the fast path).
    const data = vec.data[0]!;
    let dict = dictCache.get(data.dictionary);
    if (!dict) {
      const decoded: (string | null)[] = data.dictionary ? Array.from(data.dictionary.toArray()) : [];
      dictCache.set(data.dictionary, decoded);
      dict = decoded;
    }
    const codes = data.values;
    const hasNulls = data.nullCount > 0;
    for (let i = 0; i < n; i++) {
      const r = from + i;
      out[i] = hasNulls && !vec.isValid(r) ? null : (dict[codes[r]] ?? null);
    }
    return out;
  }
  if ((vec.type.typeId === Type.Float || vec.type.typeId === Type.Int) && vec.data.length === 1) {
    const data = vec.data[0]!;
    const values = data.values;
    const hasNulls = data.nullCount > 0;
    for (let i = 0; i < n; i++) {
      const r = from + i;
      out[i] = hasNulls && !vec.isValid(r) ? null : Number(values[r]);
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = (vec.get(from + i) as DuckDBValue | null) ?? null;
  return out;
}

function isBatchList(d: RecordBatch | readonly RecordBatch[]): d is readonly RecordBatch[] {
  return Array.isArray(d);
}

/**
 * Appends an Arrow table (or record batches) to a DuckDB table whose columns match it in order,
 * through the appender fed with data chunks column by column.
 *
 * @example await appendArrow(conn, "staging", batch);
 */
export async function appendArrow(
  conn: DuckDBConnection,
  tableName: string,
  data: Table | RecordBatch | readonly RecordBatch[],
): Promise<number> {
  const batches: readonly RecordBatch[] =
    data instanceof Table ? data.batches : isBatchList(data) ? data : [data];
  if (batches.length === 0) return 0;
  const types = batches[0]!.schema.fields.map((f) => duckTypeOf(f.type));
  const appender = await conn.createAppender(tableName);
  let rows = 0;
  try {
    for (const batch of batches) {
      const cache = new Map<unknown, (string | null)[]>();
      const columns = batch.schema.fields.map((_, c) => batch.getChildAt(c)!);
      for (let from = 0; from < batch.numRows; from += CHUNK) {
        const n = Math.min(CHUNK, batch.numRows - from);
        const chunk = DuckDBDataChunk.create(types, n);
        columns.forEach((vec, c) => {
          chunk.setColumnValues(c, columnValues(vec, from, n, cache));
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

/**
 * Runs a query and returns the result as an Arrow table: strings as dictionary vectors, numbers as
 * Float64/Int32, timestamps as milliseconds.
 *
 * @example const t = await queryArrow(conn, "SELECT product_id, count(*) n FROM events GROUP BY 1");
 */
export async function queryArrow(
  conn: DuckDBConnection,
  sql: string,
  params?: Record<string, DuckDBValue>,
): Promise<Table> {
  const reader = await conn.runAndReadAll(sql, params);
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const cols = reader.getColumnsJS();
  const vectors: Record<string, Vector> = {};
  names.forEach((name, i) => {
    const values = cols[i] ?? [];
    switch (types[i]!.typeId) {
      case DuckDBTypeId.VARCHAR:
        vectors[name] = vectorFromArray(values as (string | null)[], new Dictionary(new Utf8(), new Int32()));
        break;
      case DuckDBTypeId.INTEGER:
      case DuckDBTypeId.SMALLINT:
      case DuckDBTypeId.TINYINT:
        vectors[name] = vectorFromArray(values as (number | null)[], new Int32());
        break;
      case DuckDBTypeId.BOOLEAN:
        vectors[name] = vectorFromArray(values as (boolean | null)[], new Bool());
        break;
      case DuckDBTypeId.TIMESTAMP:
      case DuckDBTypeId.TIMESTAMP_TZ:
      case DuckDBTypeId.DATE:
        vectors[name] = vectorFromArray(values as (Date | null)[], new TimestampMillisecond());
        break;
      default:
        vectors[name] = vectorFromArray(
          values.map((v) => (v === null ? null : Number(v))),
          new Float64(),
        );
    }
  });
  return new Table(vectors);
}
