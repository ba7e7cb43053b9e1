import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "../ingest/index.ts";
import { bindValues, execute, queryRows, sql } from "../queries/index.ts";

describe("sql tagged template", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(":memory:");
  });
  afterAll(() => db.close());

  it("binds every interpolated value as a parameter, never as text", async () => {
    const evil = "x'; DROP TABLE products; --";
    const q = sql`SELECT ${evil} AS v, ${42} AS n`;
    expect(q.text).not.toContain("DROP");
    expect(await queryRows(db.conn, q)).toEqual([{ v: evil, n: 42 }]);
    expect(await queryRows(db.conn, sql`SELECT count(*)::INT AS c FROM products`)).toEqual([{ c: 0 }]);
  });

  it("splices nested fragments, identifiers, dates and lists", async () => {
    const at = new Date("2026-01-02T03:04:05.000Z");
    const where = sql`WHERE v = ${"b"}`;
    await execute(db.conn, sql`CREATE TEMP TABLE ${sql.ident('my "t"')} (v VARCHAR, ts TIMESTAMPTZ)`);
    await execute(db.conn, sql`INSERT INTO ${sql.ident('my "t"')} VALUES (${"a"}, ${at}), (${"b"}, ${at})`);
    const rows = await queryRows(
      db.conn,
      sql`SELECT v, ts, ${["x", "y"]} AS l FROM ${sql.ident('my "t"')} ${where}`,
    );
    expect(rows).toEqual([{ v: "b", ts: at, l: ["x", "y"] }]);
  });

  it("passes a .sql file exactly the parameters it names", async () => {
    const q = sql.file("SELECT $limit::INT AS l", { limit: 3, unused: "x" });
    expect(Object.keys(bindValues(q))).toEqual(["limit"]);
    expect(await queryRows(db.conn, q)).toEqual([{ l: 3 }]);
    expect(() => bindValues(sql.file("SELECT $missing", {}))).toThrow(/\$missing/);
    // names in comments and string literals are not parameters
    const commented = sql.file("-- uses $a\nSELECT '$b' AS s, $c::INT AS c /* $d */", { c: 1 });
    expect(Object.keys(bindValues(commented))).toEqual(["c"]);
    expect(await queryRows(db.conn, commented)).toEqual([{ s: "$b", c: 1 }]);
  });
});
