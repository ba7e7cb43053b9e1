import { readFileSync } from "node:fs";
import { type DuckDBConnection, type DuckDBValue, listValue, timestampTZValue } from "@duckdb/node-api";
import { NudgeError, quoteIdent } from "../ingest/index.ts";

/** A value that may be bound to a DuckDB parameter. Dates bind as TIMESTAMPTZ, arrays as lists. */
export type SqlParam = DuckDBValue | Date | readonly string[] | readonly number[] | undefined;

const SQL = Symbol("sql");

/**
 * A piece of SQL text with its bound values, keyed by parameter name (`$name` in the text).
 * Made only by `sql`, `sql.ident`, `sql.join` and `sql.file`, so a plain string can never pass for SQL.
 */
export interface Sql {
  readonly text: string;
  readonly values: Readonly<Record<string, SqlParam>>;
  readonly [SQL]: true;
}

function fragment(text: string, values: Record<string, SqlParam>): Sql {
  return { text, values, [SQL]: true };
}

function isFragment(v: unknown): v is Sql {
  return typeof v === "object" && v !== null && SQL in v;
}

let counter = 0;

/**
 * Tagged template: every `${value}` becomes a bound parameter (`$_n`), never text.
 * Nested `sql` fragments are spliced in with their values. Identifiers go through `sql.ident`.
 *
 * @example
 * const q = sql`SELECT * FROM ${sql.ident("products")} WHERE price <= ${maxPrice}`;
 * const rows = await queryRows(db.conn, q);
 */
export function sql(strings: TemplateStringsArray, ...args: (SqlParam | Sql)[]): Sql {
  let text = strings[0] ?? "";
  const values: Record<string, SqlParam> = {};
  args.forEach((arg, i) => {
    if (isFragment(arg)) {
      text += arg.text;
      Object.assign(values, arg.values);
    } else {
      counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
      const name = `_${counter}`;
      values[name] = arg;
      text += `$${name}`;
    }
    text += strings[i + 1] ?? "";
  });
  return fragment(text, values);
}

/** A quoted identifier (table or column name). */
sql.ident = (name: string): Sql => fragment(quoteIdent(name), {});

/** Fragments joined with a separator (default `, `). */
sql.join = (parts: readonly Sql[], separator = ", "): Sql =>
  fragment(parts.map((p) => p.text).join(separator), Object.assign({}, ...parts.map((p) => p.values)));

/** Trusted SQL text from a `.sql` file, with named parameters bound from `params`. */
sql.file = (text: string, params: Readonly<Record<string, SqlParam>> = {}): Sql =>
  fragment(text, { ...params });

/** Reads a `.sql` file once (at module load, next to the caller). */
export function loadSql(url: URL): string {
  return readFileSync(url, "utf8");
}

/** The `$name` parameters a SQL text uses, ignoring comments, string literals and quoted identifiers. */
export function paramNames(text: string): Set<string> {
  const code = text.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"/g, " ");
  return new Set(Array.from(code.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g), (m) => m[1] ?? ""));
}

/** A value as DuckDB binds it: undefined as NULL, a Date as TIMESTAMPTZ, an array as a LIST. */
export function duckValue(value: SqlParam): DuckDBValue {
  if (value === undefined) return null;
  if (value instanceof Date) return timestampTZValue(BigInt(value.getTime()) * 1000n);
  if (Array.isArray(value)) return listValue(value as DuckDBValue[]);
  return value as DuckDBValue;
}

/**
 * The values DuckDB must receive for `q`: exactly the parameters its text uses
 * (DuckDB refuses extra ones), each converted. A missing one is a fault.
 */
export function bindValues(q: Sql): Record<string, DuckDBValue> {
  const out: Record<string, DuckDBValue> = {};
  for (const name of paramNames(q.text)) {
    if (!(name in q.values)) {
      throw new NudgeError("NUDGE_ERR_INTERNAL", `SQL parameter $${name} has no value`);
    }
    out[name] = duckValue(q.values[name]);
  }
  return out;
}

/** Runs `q` (no result rows wanted). */
export async function execute(conn: DuckDBConnection, q: Sql): Promise<void> {
  await conn.run(q.text, bindValues(q));
}

/** Runs `q` and returns its rows as plain JS objects (BIGINT → bigint, TIMESTAMPTZ → Date). */
export async function queryRows(conn: DuckDBConnection, q: Sql): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(q.text, bindValues(q));
  return reader.getRowObjectsJS();
}
