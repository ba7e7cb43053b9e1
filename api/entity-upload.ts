import type { DuckDBConnection } from "@duckdb/node-api";
import { type Db, ENTITY_KEYS, messageOf, NudgeError, quoteIdent } from "../ingest/index.ts";
import type { EntitiesService } from "./deps.ts";

/** Tables written by ingest itself; never loaded over HTTP. */
const RESERVED = new Set(["events", "purchase_items", "ingest_offsets"]);

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. The first row is the header. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
    } else field += c;
  }
  if (field !== "" || row.length > 0) endRow();
  const [header, ...body] = rows.filter((r) => r.length > 1 || r[0] !== "");
  if (!header) return [];
  return body.map((r, n) => {
    if (r.length !== header.length) {
      throw new NudgeError(
        "NUDGE_ERR_LOAD_SCHEMA",
        `CSV row ${n + 2} has ${r.length} fields, the header ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ""]));
  });
}

/** NDJSON: one JSON object a line; blank lines skipped. */
export function parseNdjson(text: string): Record<string, unknown>[] {
  return text.split(/\r?\n/).flatMap((line, n) => {
    if (!line.trim()) return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new NudgeError("NUDGE_ERR_LOAD_SCHEMA", `line ${n + 1} is not JSON: ${messageOf(err)}`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new NudgeError("NUDGE_ERR_LOAD_SCHEMA", `line ${n + 1} is not a JSON object`);
    }
    return [value as Record<string, unknown>];
  });
}

const asText = (v: unknown) =>
  v === null || v === undefined ? null : typeof v === "object" ? JSON.stringify(v) : String(v);

/**
 * Loads uploaded rows into an existing entity table, upserting by its primary key. The DuckDB instance
 * is locked against file access once segments run, so rows go in as one bound JSON parameter
 * (`from_json`) and are cast to the table's column types in SQL; a value that does not cast fails the
 * whole load (one transaction) with DuckDB's message.
 *
 * @example await entityUploader(db).load("products", "csv", Buffer.from("product_id,name\nsku-1,Coat\n"))
 */
export function entityUploader(db: Db): EntitiesService {
  return {
    async load(table, format, body) {
      if (RESERVED.has(table)) {
        throw new NudgeError(
          "NUDGE_ERR_LOAD_SCHEMA",
          `table ${table} is written by ingest and cannot be loaded`,
        );
      }
      const text = body.toString("utf8");
      const rows = format === "csv" ? parseCsv(text) : parseNdjson(text);
      const conn = await db.instance.connect(); // its own: the transaction below must not mix with others' work
      try {
        return await loadRows(conn, table, rows);
      } finally {
        conn.closeSync();
      }
    },
  };
}

async function loadRows(conn: DuckDBConnection, table: string, rows: Record<string, unknown>[]) {
  const info = await conn.runAndReadAll(
    "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $table ORDER BY ordinal_position",
    { table },
  );
  const columns = info.getRowObjectsJS() as { name: string; type: string }[];
  if (columns.length === 0) {
    throw new NudgeError(
      "NUDGE_ERR_LOAD_SCHEMA",
      `no table ${table}: create it first with \`nudge load ${table} <file>\``,
    );
  }
  const known = new Set(columns.map((c) => c.name));
  const unknown = [...new Set(rows.flatMap(Object.keys))].filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new NudgeError("NUDGE_ERR_LOAD_SCHEMA", `table ${table} has no column(s) ${unknown.join(", ")}`);
  }
  const keys = ENTITY_KEYS[table] ?? [];
  if (rows.length === 0) return { table, rows: 0 };
  const present = columns.filter((c) => rows.some((r) => c.name in r));
  const missingKey = keys.filter((k) => !present.some((c) => c.name === k));
  if (missingKey.length > 0)
    throw new NudgeError("NUDGE_ERR_LOAD_SCHEMA", `rows need ${missingKey.join(", ")}`);
  const json = JSON.stringify(
    rows.map((r) => Object.fromEntries(present.map((c) => [c.name, asText(r[c.name])]))),
  );
  const structure = JSON.stringify([Object.fromEntries(present.map((c) => [c.name, "VARCHAR"]))]);
  // Identifiers come from the table's own catalog and are quoted; values are bound.
  const casts = present
    .map((c) => {
      const v = `r.${quoteIdent(c.name)}`;
      const value = c.type === "VARCHAR" ? v : `CAST(NULLIF(${v}, '') AS ${c.type})`;
      return `${value} AS ${quoteIdent(c.name)}`;
    })
    .join(", ");
  const verb = keys.length > 0 ? "INSERT OR REPLACE INTO" : "INSERT INTO";
  const statement = `${verb} ${quoteIdent(table)} BY NAME SELECT ${casts} FROM (SELECT unnest(from_json($rows, $structure), recursive := true)) AS r`;
  try {
    await conn.run("BEGIN TRANSACTION");
    await conn.run(statement, { rows: json, structure });
    await conn.run("COMMIT");
  } catch (err) {
    await conn.run("ROLLBACK").catch(() => {});
    throw new NudgeError("NUDGE_ERR_LOAD_SCHEMA", `rows do not fit table ${table}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return { table, rows: rows.length };
}
