import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, openDb } from "../ingest/index.ts";
import {
  countSegment,
  inSandbox,
  openSegmentRunner,
  type SegmentRunner,
  selectSegment,
} from "../queries/segments/index.ts";
import { buildShop, loadShop } from "./segments-fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "nudge-safety-"));
const out = (name: string) => join(dir, name);

let db: Db;
let runner: SegmentRunner;
let profileRows: number;

async function scalar(sql: string): Promise<unknown> {
  return (await db.conn.runAndReadAll(sql)).getRows()[0]?.[0];
}

async function settings() {
  const r = await db.conn.runAndReadAll(
    "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit', 'enable_external_access', 'lock_configuration', 'enable_profiling', 'TimeZone') ORDER BY name",
  );
  return r.getRows();
}

beforeAll(async () => {
  // A file database, so the database's own file is there to be (not) read.
  db = await openDb(out("shop.duckdb"));
  await loadShop(db, buildShop(3, 100));
  await db.conn.run("CREATE SEQUENCE ticket");
  mkdirSync(out("uploads"));
  writeFileSync(out("uploads/people.csv"), "profile_id\nu1\nu2\n");
  writeFileSync(out("secret.csv"), "profile_id\ns1\n");
  runner = await openSegmentRunner(db, {
    dir: out("segments"),
    timeoutMs: 300,
    maxRows: 50,
    allowedDirectories: [out("uploads")],
  });
  profileRows = Number(await scalar("SELECT count(*) FROM profiles"));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("segment SQL that reaches outside the data is refused, and nothing is read or changed", () => {
  const cases: [string, string, RegExp][] = [
    ["read_csv", "SELECT * FROM read_csv('/etc/passwd')", /read_csv/],
    [
      "read_csv of the allowed upload folder",
      `SELECT * FROM read_csv('${out("uploads/people.csv")}')`,
      /read_csv/,
    ],
    ["an uploaded file as a table", `SELECT * FROM '${out("uploads/people.csv")}'`, /looks like a file/],
    ["read_text", "SELECT content AS profile_id FROM read_text('/etc/hostname')", /read_text/],
    [
      "read_blob of the database file",
      `SELECT filename AS profile_id FROM read_blob('${out("shop.duckdb")}')`,
      /read_blob/,
    ],
    ["glob", "SELECT file AS profile_id FROM glob('/etc/*')", /glob/],
    ["a file as a table", "SELECT * FROM '/etc/passwd'", /looks like a file/],
    ["a relative file as a table", "SELECT * FROM 'shop.duckdb'", /looks like a file/],
    ["COPY TO", `COPY (SELECT 1) TO '${out("x.csv")}'`, /SELECT/],
    ["ATTACH", `ATTACH '${out("x.db")}'`, /SELECT/],
    ["ATTACH memory", "ATTACH ':memory:' AS m", /SELECT/],
    ["INSTALL", "INSTALL httpfs", /SELECT/],
    ["LOAD", "LOAD httpfs", /SELECT/],
    ["SET", "SET threads=1", /SELECT/],
    ["PRAGMA assignment", "PRAGMA threads=1", /SELECT/],
    ["PRAGMA call", "PRAGMA enable_profiling", /SELECT/],
    ["PRAGMA rewritten to a SELECT", "PRAGMA version", /SELECT/],
    ["CALL", "CALL pragma_version()", /SELECT/],
    ["two statements", "SELECT 1 AS profile_id; DROP TABLE profiles", /exactly one/],
    [
      "two statements, second hidden after a comment",
      "SELECT 1 AS profile_id; /* x */ DELETE FROM profiles",
      /exactly one/,
    ],
    ["CREATE TABLE", "CREATE TABLE stolen AS SELECT * FROM profiles", /SELECT/],
    ["DELETE", "DELETE FROM profiles", /SELECT/],
    ["UPDATE", "UPDATE profiles SET city = 'x'", /SELECT/],
    ["INSERT … RETURNING", "INSERT INTO profiles (profile_id) VALUES ('z') RETURNING profile_id", /SELECT/],
    ["EXPORT DATABASE", `EXPORT DATABASE '${out("export")}'`, /SELECT/],
    ["query() of a write", "SELECT * FROM query('DELETE FROM profiles')", /query/],
    ["nextval writes a sequence", "SELECT nextval('ticket')::VARCHAR AS profile_id", /read-only/],
    ["DETACH", "DETACH shop", /SELECT/],
    ["CHECKPOINT", "CHECKPOINT", /SELECT/],
  ];

  it.each(cases)("%s", async (_label, sql, message) => {
    const before = await settings();
    const err = await countSegment(runner, { sql }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NUDGE_ERR_SEGMENT_REFUSED", message: expect.stringMatching(message) });
    const rows = await selectSegment(runner, { sql }).catch((e: unknown) => e);
    expect(rows).toMatchObject({ code: "NUDGE_ERR_SEGMENT_REFUSED" });
    expect(Number(await scalar("SELECT count(*) FROM profiles"))).toBe(profileRows);
    expect(await scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'stolen'")).toBe(0n);
    expect(await scalar("SELECT count(*) FROM duckdb_databases() WHERE NOT internal")).toBe(1n);
    expect(existsSync(out("x.csv")) || existsSync(out("x.db")) || existsSync(out("export"))).toBe(false);
    expect(await settings()).toEqual(before);
  });

  it("reading settings is fine, and leaves them as they were", async () => {
    const before = await settings();
    const r = await selectSegment(runner, {
      sql: "SELECT current_setting('threads')::VARCHAR AS threads, 'p' AS profile_id",
    });
    expect(r.rows[0]?.threads).toBe(String(before.find(([n]) => n === "threads")?.[1]));
    expect(await settings()).toEqual(before);
  });
});

describe("the locked instance itself, under the vetting", () => {
  // Straight on a sandbox connection, skipping the parser checks: the instance must still say no.
  it.each([
    ["read_csv", "SELECT * FROM read_csv('/etc/passwd')"],
    ["COPY", `COPY (SELECT 1) TO '${out("y.csv")}'`],
    ["ATTACH", `ATTACH '${out("y.db")}'`],
    ["INSTALL", "INSTALL httpfs"],
    ["LOAD", "LOAD httpfs"],
    ["SET", "SET threads=1"],
    ["SET back", "SET enable_external_access=true"],
    ["unlock", "SET lock_configuration=false"],
    ["write", "DELETE FROM profiles"],
    ["nextval", "SELECT nextval('ticket')"],
  ])("%s", async (_label, sql) => {
    await expect(inSandbox(runner, (conn) => conn.run(sql))).rejects.toMatchObject({
      code: expect.stringMatching(/NUDGE_ERR_SEGMENT_(REFUSED|SQL)/),
    });
    expect(Number(await scalar("SELECT count(*) FROM profiles"))).toBe(profileRows);
    expect(existsSync(out("y.csv")) || existsSync(out("y.db"))).toBe(false);
    expect(await scalar("SELECT current_setting('enable_external_access')")).toBe(false);
  });

  it("trusted code still reads the allowed upload folder, and nothing else", async () => {
    const csv = out("uploads/people.csv");
    expect((await db.conn.runAndReadAll(`SELECT count(*) FROM read_csv('${csv}')`)).getRows()).toEqual([
      [2n],
    ]);
    await expect(db.conn.run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(/Permission Error/);
    await expect(db.conn.run(`SELECT * FROM read_csv('${out("uploads/../secret.csv")}')`)).rejects.toThrow(
      /Permission Error/,
    );
  });

  it("the trusted connection still writes the history after the lock", async () => {
    await db.conn.run(
      "INSERT INTO events (seq, id, type, profile_id, ts, received_at) VALUES (999999, 'late', 'purchase', 'p0001', now(), now())",
    );
    await db.conn.run("CHECKPOINT");
    expect(await scalar("SELECT count(*) FROM events WHERE id = 'late'")).toBe(1n);
    await db.conn.run("DELETE FROM events WHERE id = 'late'");
  });
});

describe("limits", () => {
  it("a segment running past its time limit is interrupted", async () => {
    const started = performance.now();
    const err = await countSegment(runner, {
      sql: "SELECT (a.range * b.range)::VARCHAR AS profile_id FROM range(100000) a, range(100000) b",
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NUDGE_ERR_SEGMENT_TIMEOUT" });
    expect(performance.now() - started).toBeLessThan(10_000);
    // The runner is fine afterwards.
    expect((await countSegment(runner, { sql: "SELECT profile_id FROM profiles" })).count).toBe(profileRows);
  });

  it("selectSegment returns at most maxRows and says it truncated", async () => {
    const all = await selectSegment(runner, { sql: "SELECT profile_id FROM profiles" });
    expect(all.rows).toHaveLength(50);
    expect(all.truncated).toBe(true);
    const few = await selectSegment(runner, { sql: "SELECT profile_id FROM profiles" }, { limit: 7 });
    expect(few.rows).toHaveLength(7);
    expect(few.truncated).toBe(true);
    const exact = await selectSegment(runner, { sql: "SELECT profile_id FROM profiles LIMIT 50" });
    expect(exact).toMatchObject({ truncated: false, rows: expect.any(Array) });
    expect(exact.rows).toHaveLength(50);
    const more = await selectSegment(runner, { sql: "SELECT profile_id FROM profiles" }, { limit: 10_000 });
    expect(more.rows).toHaveLength(50); // the runner's ceiling wins
  });
});
