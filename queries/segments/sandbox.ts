import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * The settings that make an instance safe for segment SQL, applied in this order. Each is one-way
 * once `lock_configuration` is on: no connection (trusted or not) can turn them back.
 *
 * - `enable_external_access=false`: no file reads or writes (read_csv, COPY, ATTACH of a file,
 *   INSTALL), except the database's own file, which DuckDB keeps reachable (we refuse file-reading
 *   table functions in `vet.ts` for that reason).
 * - extensions: nothing is auto-installed or auto-loaded, no community or unsigned extensions.
 * - `lock_configuration=true`: no `SET` / `PRAGMA x=y` from anyone afterwards.
 *
 * Not used: `disabled_filesystems='LocalFileSystem'` — on a file database it makes the next
 * checkpoint fail with a FATAL error that invalidates the whole instance (measured, DuckDB 1.5.6).
 */
export const LOCKDOWN_SETTINGS: readonly (readonly [string, string])[] = [
  ["enable_external_access", "false"],
  ["allow_community_extensions", "false"],
  ["autoinstall_known_extensions", "false"],
  ["autoload_known_extensions", "false"],
  ["allow_persistent_secrets", "false"],
  ["lock_configuration", "true"],
];

async function setting(conn: DuckDBConnection, name: string): Promise<string> {
  const reader = await conn.runAndReadAll("SELECT current_setting($name)::VARCHAR AS v", { name });
  return String(reader.getRowObjectsJS()[0]?.v ?? "");
}

/**
 * Locks the instance down for untrusted SQL (idempotent). Call it AFTER the trusted setup that
 * needs files or settings (schema, memory_limit, threads, TimeZone): from here on no connection of
 * this instance can read files, load extensions or change settings (`search_path` still can).
 * `allowedDirectories` stay readable and writable for every connection (e.g. an upload folder that
 * trusted code loads entity files from); segment SQL still cannot reach them, because `vet.ts`
 * refuses file-reading table functions and file paths as tables.
 *
 * @example
 * const db = await openDb(config.DUCKDB_PATH);
 * await db.conn.run("SET memory_limit='4GB'");
 * await lockDownInstance(db.conn);
 */
export async function lockDownInstance(
  conn: DuckDBConnection,
  opts: { allowedDirectories?: readonly string[] } = {},
): Promise<void> {
  if ((await setting(conn, "lock_configuration")) === "true") {
    // Already locked (by us or someone else): only accept it if it is locked the way we need.
    for (const [name, value] of LOCKDOWN_SETTINGS) {
      if ((await setting(conn, name)) !== value) {
        throw new Error(`instance configuration is locked with ${name}=${await setting(conn, name)}`);
      }
    }
    return;
  }
  const dirs = opts.allowedDirectories ?? [];
  if (dirs.length > 0) {
    // SET takes no bound parameters: the directories (trusted config) go in as quoted literals.
    const list = dirs.map((d) => `'${(d.endsWith("/") ? d : `${d}/`).replaceAll("'", "''")}'`).join(", ");
    await conn.run(`SET allowed_directories = [${list}]`);
  }
  // Values are constants from the list above.
  for (const [name, value] of LOCKDOWN_SETTINGS) await conn.run(`SET ${name}=${value}`);
}
