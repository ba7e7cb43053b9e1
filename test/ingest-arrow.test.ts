import { DuckDBInstance } from "@duckdb/node-api";
import {
  Bool,
  Dictionary,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { appendArrow, utf8Vector } from "../ingest/index.ts";

const N = 5_000; // crosses DuckDB's 2,048-row chunks
const word = (i: number) =>
  [
    undefined,
    "",
    "twelve-bytes",
    "thirteen-byte",
    "é".repeat(6), // 6 characters, 12 bytes: inline
    "é".repeat(7), // 7 characters, 14 bytes: not inline
    "日本語のテキスト🙂",
    `id-${i}-${"x".repeat(i % 40)}`,
  ][i % 8];

describe("appendArrow", () => {
  it("writes every supported column type, nulls and string lengths exactly, inside the open transaction", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    await conn.run(
      "CREATE TABLE t (s VARCHAR, d VARCHAR, i INTEGER, b BIGINT, f DOUBLE, ok BOOLEAN, ts TIMESTAMPTZ, j JSON)",
    );
    const words = Array.from({ length: N }, (_, i) => word(i));
    const ints = Array.from({ length: N }, (_, i) => i * 3 - 7);
    const big = new BigInt64Array(N).map((_, i) => BigInt(i) * 10_000_000_000n);
    const micros = new BigInt64Array(N).map((_, i) => 1_795_000_000_000_000n + BigInt(i) * 1_001n);
    const validity = new Uint8Array(Math.ceil(N / 8)).map((_, k) => (k % 3 === 0 ? 0b1010_1010 : 0xff));
    const bools = new Uint8Array(Math.ceil(N / 8)).fill(0b0110_0101);
    const v = (type: never, data: ArrayLike<number | bigint>, nulls = false) =>
      makeVector(
        makeData({
          type,
          length: N,
          nullCount: nulls ? -1 : 0,
          nullBitmap: nulls ? validity : null,
          data,
        } as never),
      );
    const dict = new Table({ d: utf8Vector(words) }).getChild("d")!; // plain Utf8
    const table = new Table({
      s: utf8Vector(words),
      d: makeVector(
        makeData({
          type: new Dictionary(dict.type, new Int32()),
          length: N,
          nullCount: 0,
          data: new Int32Array(N).map((_, i) => (i * 7) % N),
          dictionary: dict,
        }),
      ),
      i: v(new Int32() as never, Int32Array.from(ints), true),
      b: v(new Int64() as never, big),
      f: v(
        new Float64() as never,
        Float64Array.from(ints, (x) => x / 4),
        true,
      ),
      ok: v(new Bool() as never, bools, true),
      ts: v(new TimestampMicrosecond("UTC") as never, micros),
      j: utf8Vector(words.map((w, i) => (w === undefined ? undefined : JSON.stringify({ w, i })))),
    });

    await conn.run("BEGIN TRANSACTION");
    expect(await appendArrow(conn, "t", table)).toBe(N);
    await conn.run("ROLLBACK");
    expect((await conn.runAndReadAll("SELECT count(*) FROM t")).getRows()[0]![0]).toBe(0n);

    await appendArrow(conn, "t", table);
    const read = await conn.runAndReadAll(
      "SELECT s, d, i, b::VARCHAR, f, ok, epoch_us(ts)::VARCHAR, j ->> 'w' FROM t",
    );
    const rows = read.getRowsJS();
    expect(rows.length).toBe(N);
    const valid = (i: number) => (validity[i >> 3]! & (1 << (i & 7))) !== 0;
    rows.forEach((r, i) => {
      expect(r).toEqual([
        words[i] ?? null,
        words[(i * 7) % N] ?? null,
        valid(i) ? ints[i] : null,
        String(big[i]),
        valid(i) ? ints[i]! / 4 : null,
        valid(i) ? (bools[i >> 3]! & (1 << (i & 7))) !== 0 : null,
        String(micros[i]),
        words[i] ?? null,
      ]);
    });
    conn.closeSync();
  });

  it("refuses a batch whose columns do not match the table, naming the column", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    await conn.run("CREATE TABLE t (a INTEGER, b VARCHAR)");
    const t = new Table({ a: utf8Vector(["x"]), b: utf8Vector(["y"]) });
    await expect(appendArrow(conn, "t", t)).rejects.toThrow(/column 1 of t is INTEGER/);
    await expect(appendArrow(conn, "t", new Table({ a: utf8Vector(["x"]) }))).rejects.toThrow(/2 columns/);
    conn.closeSync();
  });
});
