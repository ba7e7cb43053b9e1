import { type DuckDBConnection, type DuckDBPreparedStatement, StatementType } from "@duckdb/node-api";
import { messageOf, NudgeError } from "../../ingest/index.ts";

/**
 * Table functions a segment may call. Everything else is refused: most other table functions read
 * files (read_csv, read_blob, glob, parquet_scan …), and DuckDB leaves the database's own file
 * readable even with external access off.
 */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  "range",
  "generate_series",
  "unnest",
  "json_each",
  "json_tree",
]);

/** What DuckDB's parser says about a vetted segment. */
export interface VettedSegment {
  readonly prepared: DuckDBPreparedStatement;
  readonly columns: readonly string[];
  readonly params: readonly string[];
}

const refuse = (message: string, context: Record<string, unknown> = {}): NudgeError =>
  new NudgeError("NUDGE_ERR_SEGMENT_REFUSED", message, { context });

/** Maps a DuckDB error to our codes: permission and read-only refusals vs plain SQL errors. */
export function duckError(err: unknown): NudgeError {
  if (err instanceof NudgeError) return err;
  const message = messageOf(err);
  if (/^(Permission Error|TransactionContext Error: Cannot write)/.test(message)) {
    return new NudgeError("NUDGE_ERR_SEGMENT_REFUSED", `refused by DuckDB: ${message}`, { cause: err });
  }
  return new NudgeError("NUDGE_ERR_SEGMENT_SQL", message, { cause: err });
}

/** Every table function and base table a parsed statement reads (from DuckDB's JSON AST). */
export function tableRefs(node: unknown, out = { functions: new Set<string>(), tables: new Set<string>() }) {
  if (Array.isArray(node)) {
    for (const child of node) tableRefs(child, out);
  } else if (typeof node === "object" && node !== null) {
    const rec = node as Record<string, unknown>;
    if (rec.type === "TABLE_FUNCTION") {
      const fn = rec.function as Record<string, unknown> | undefined;
      out.functions.add(String(fn?.function_name ?? "?").toLowerCase());
    }
    if (rec.type === "BASE_TABLE") out.tables.add(String(rec.table_name ?? ""));
    for (const child of Object.values(rec)) tableRefs(child, out);
  }
  return out;
}

async function parseTree(conn: DuckDBConnection, text: string): Promise<unknown> {
  const reader = await conn.runAndReadAll("SELECT json_serialize_sql($text::VARCHAR) AS ast", { text });
  const ast = JSON.parse(String(reader.getRowObjectsJS()[0]?.ast)) as Record<string, unknown>;
  if (ast.error === true) {
    const msg = String(ast.error_message);
    if (ast.error_type === "parser") throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", `Parser Error: ${msg}`);
    throw refuse(`a segment must be a single SELECT (${msg})`);
  }
  return ast.statements;
}

/**
 * Checks untrusted segment SQL with DuckDB's own parser, then prepares it on `conn`:
 * exactly one statement; a true SELECT node (PRAGMA, SET, COPY, ATTACH, INSTALL, DDL and DML are
 * refused, as are SELECTs that DuckDB rewrites from PRAGMA/CALL); only allowed table functions;
 * no file paths as tables; the prepared statement's type is SELECT.
 * `conn` must belong to a locked-down instance: preparing binds table functions, which may touch files.
 */
export async function vetSegmentSql(conn: DuckDBConnection, text: string): Promise<VettedSegment> {
  let count: number;
  try {
    count = (await conn.extractStatements(text)).count;
  } catch (err) {
    throw duckError(err);
  }
  if (count !== 1) throw refuse(`a segment must be exactly one SELECT statement, got ${count} statements`);

  const statements = await parseTree(conn, text);
  if (!Array.isArray(statements) || statements.length !== 1) {
    throw refuse("a segment must be exactly one SELECT statement");
  }
  const { functions, tables } = tableRefs(statements);
  for (const fn of functions) {
    if (!ALLOWED_TABLE_FUNCTIONS.has(fn)) {
      throw refuse(`table function ${fn}() is not allowed in a segment`, { function: fn });
    }
  }
  for (const table of tables) {
    // A parsed table name with a path separator or a dot is a replacement scan of a file.
    if (/[/\\:.]/.test(table)) {
      throw refuse(`"${table}" looks like a file, not a table`, { table });
    }
  }

  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await conn.prepare(text);
  } catch (err) {
    throw duckError(err);
  }
  if (prepared.statementType !== StatementType.SELECT) {
    prepared.destroySync();
    throw refuse(`a segment must be a SELECT (DuckDB says ${StatementType[prepared.statementType]})`);
  }
  const columns = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i));
  const params = Array.from({ length: prepared.parameterCount }, (_, i) => prepared.parameterName(i + 1));
  return { prepared, columns, params };
}
