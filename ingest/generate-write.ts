import { mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { SHOP_TABLES, type Shop, type ShopTable, shopRows } from "./generate.ts";
import type { MalformedReason } from "./generate-events.ts";

export type EntityFormat = "csv" | "ndjson" | "parquet";

/** Columns of each entity file, in ingest/schema.sql order. */
export const SHOP_COLUMNS: Readonly<Record<ShopTable, readonly string[]>> = {
  profiles: [
    "profile_id",
    "email",
    "first_name",
    "last_name",
    "locale",
    "timezone",
    "consent",
    "city",
    "country",
    "created_at",
    "attributes",
  ],
  products: ["product_id", "name", "category", "price", "currency", "stock", "active", "image_url", "url"],
  stores: ["store_id", "name", "city", "country", "timezone"],
  bookings: ["booking_id", "profile_id", "store_id", "starts_at", "service", "status"],
  orders: ["order_id", "profile_id", "store_id", "ordered_at", "total", "currency", "status"],
  order_items: ["order_id", "product_id", "quantity", "price"],
};

export interface EventFileStats {
  lines: number;
  /** Distinct valid events. */
  events: number;
  duplicates: number;
  malformed: Record<MalformedReason, number>;
  bytes: number;
}

const CHUNK = 1 << 20;

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) || s.trim() !== s ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One entity table as CSV text (header line, then rows) or NDJSON text. */
export function entityText(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  format: "csv" | "ndjson",
): string {
  const out: string[] = [];
  if (format === "csv") out.push(columns.join(","));
  for (const row of rows) {
    if (format === "csv") out.push(columns.map((c) => csvValue(row[c])).join(","));
    else out.push(JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null]))));
  }
  return `${out.join("\n")}\n`;
}

/**
 * Writes the event log as NDJSON (one event per line; malformed lines as their raw text), in 1 MiB
 * chunks. `onProgress(lines)` is called after each chunk.
 */
export async function writeEventsFile(
  shop: Shop,
  file: string,
  onProgress?: (stats: EventFileStats) => void,
): Promise<EventFileStats> {
  const stats: EventFileStats = {
    lines: 0,
    events: 0,
    duplicates: 0,
    malformed: { json: 0, schema: 0, subject: 0, oversize: 0 },
    bytes: 0,
  };
  const fh = await open(file, "w");
  try {
    let buf = "";
    let last: object | undefined;
    for (const line of shop.events()) {
      stats.lines++;
      if (line.kind === "event") {
        // the generator repeats a duplicate right after the original
        if (line.event === last) stats.duplicates++;
        else stats.events++;
        last = line.event;
        buf += `${JSON.stringify(line.event)}\n`;
      } else {
        stats.malformed[line.reason]++;
        buf += `${line.raw}\n`;
      }
      if (buf.length >= CHUNK) {
        stats.bytes += (await fh.write(buf)).bytesWritten;
        buf = "";
        onProgress?.(stats);
      }
    }
    if (buf.length > 0) stats.bytes += (await fh.write(buf)).bytesWritten;
    onProgress?.(stats);
  } finally {
    await fh.close();
  }
  return stats;
}

export interface EntityFile {
  table: ShopTable;
  file: string;
  rows: number;
}

/** Writes one file per entity table (`profiles.csv`, …) in `dir`. */
export async function writeEntityFiles(
  shop: Shop,
  dir: string,
  format: "csv" | "ndjson",
): Promise<EntityFile[]> {
  mkdirSync(dir, { recursive: true });
  const files: EntityFile[] = [];
  for (const table of SHOP_TABLES) {
    const file = join(dir, `${table}.${format}`);
    const fh = await open(file, "w");
    try {
      const rows = shopRows(shop, table);
      await fh.write(entityText(rows, SHOP_COLUMNS[table], format));
      files.push({ table, file, rows: rows.length });
    } finally {
      await fh.close();
    }
  }
  return files;
}
