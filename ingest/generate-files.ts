import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, quoteIdent } from "./db.ts";
import type { Shop } from "./generate.ts";
import {
  type EntityFile,
  type EntityFormat,
  type EventFileStats,
  writeEntityFiles,
  writeEventsFile,
} from "./generate-write.ts";
import { loadEntities } from "./load.ts";

/**
 * Writes the shop's entity files in `dir` (`profiles.csv`, …). Parquet goes through DuckDB: the rows
 * are loaded into the schema.sql tables (so the files carry those column types), then COPY'd out.
 */
export async function writeShopEntities(
  shop: Shop,
  dir: string,
  format: EntityFormat,
): Promise<EntityFile[]> {
  if (format !== "parquet") return writeEntityFiles(shop, dir, format);
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "nudge-shop-"));
  const db = await openDb(":memory:");
  try {
    // one thread: the same rows give the same Parquet bytes
    await db.conn.run("SET threads = 1");
    const files: EntityFile[] = [];
    for (const f of await writeEntityFiles(shop, tmp, "ndjson")) {
      await loadEntities(db, f.table, f.file, { mode: "replace" });
      const file = join(dir, `${f.table}.parquet`);
      const literal = `'${file.replaceAll("'", "''")}'`;
      await db.conn.run(`COPY ${quoteIdent(f.table)} TO ${literal} (FORMAT parquet)`);
      files.push({ table: f.table, file, rows: f.rows });
    }
    return files;
  } finally {
    db.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ShopFiles {
  events: EventFileStats & { file: string };
  entities: EntityFile[];
}

/**
 * Writes a whole shop to `dir`: `events.ndjson` and one file per entity table.
 *
 * @example await writeShop(generateShop(opts), "./data/shop", { format: "csv" })
 */
export async function writeShop(
  shop: Shop,
  dir: string,
  opts: { format?: EntityFormat; onProgress?: (s: EventFileStats) => void } = {},
): Promise<ShopFiles> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "events.ndjson");
  const stats = await writeEventsFile(shop, file, opts.onProgress);
  // after the events, so the span's orders are already collected
  const entities = await writeShopEntities(shop, dir, opts.format ?? "csv");
  return { events: { ...stats, file }, entities };
}
