import { mkdirSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { type EventHooks, SHOP_TABLES, type Shop, type ShopTable, shopRows } from "./generate.ts";
import type { MalformedReason } from "./generate-malformed.ts";

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

/** One entity row as a CSV line or an NDJSON line (no newline). */
export function entityLine(
  row: Record<string, unknown>,
  columns: readonly string[],
  format: "csv" | "ndjson",
): string {
  if (format === "csv") return columns.map((c) => csvValue(row[c])).join(",");
  return JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
}

/** Appends text to a file in 1 MiB writes. */
export class ChunkedWriter {
  #buf = "";
  bytes = 0;
  private readonly fh: FileHandle;

  private constructor(fh: FileHandle) {
    this.fh = fh;
  }

  static async open(file: string): Promise<ChunkedWriter> {
    return new ChunkedWriter(await open(file, "w"));
  }

  add(text: string): void {
    this.#buf += text;
  }

  get full(): boolean {
    return this.#buf.length >= CHUNK;
  }

  async flush(): Promise<void> {
    if (this.#buf.length === 0) return;
    const text = this.#buf;
    this.#buf = "";
    this.bytes += (await this.fh.write(text)).bytesWritten;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.fh.close();
    }
  }
}

/**
 * Writes the event log as NDJSON (one event per line; malformed lines as their raw text), in 1 MiB
 * chunks; `onProgress` is called after each chunk. `hooks` go to `shop.events()`; `alsoFlush` are
 * writers those hooks fill, flushed along with the events.
 */
export async function writeEventsFile(
  shop: Shop,
  file: string,
  onProgress?: (stats: EventFileStats) => void,
  opts: { hooks?: EventHooks; alsoFlush?: readonly ChunkedWriter[] } = {},
): Promise<EventFileStats> {
  const stats: EventFileStats = {
    lines: 0,
    events: 0,
    duplicates: 0,
    malformed: { json: 0, schema: 0, subject: 0, oversize: 0 },
    bytes: 0,
  };
  const out = await ChunkedWriter.open(file);
  const flushAll = async () => {
    await out.flush();
    for (const w of opts.alsoFlush ?? []) await w.flush();
  };
  try {
    let last: object | undefined;
    for (const line of shop.events(opts.hooks)) {
      stats.lines++;
      if (line.kind === "event") {
        // the generator repeats a duplicate right after the original
        if (line.event === last) stats.duplicates++;
        else stats.events++;
        last = line.event;
        out.add(`${JSON.stringify(line.event)}\n`);
      } else {
        stats.malformed[line.reason]++;
        out.add(`${line.raw}\n`);
      }
      if (out.full) {
        await flushAll();
        stats.bytes = out.bytes;
        onProgress?.(stats);
      }
    }
    await flushAll();
  } finally {
    await out.close();
  }
  stats.bytes = out.bytes;
  onProgress?.(stats);
  return stats;
}

export interface EntityFile {
  table: ShopTable;
  file: string;
  rows: number;
}

/** Starts an entity file: the CSV header line (NDJSON has none). */
export function writeHeader(w: ChunkedWriter, table: ShopTable, format: "csv" | "ndjson"): void {
  if (format === "csv") w.add(`${SHOP_COLUMNS[table].join(",")}\n`);
}

/** Writes one file per entity table (`profiles.csv`, …) in `dir`. */
export async function writeEntityFiles(
  shop: Shop,
  dir: string,
  format: "csv" | "ndjson",
  tables: readonly ShopTable[] = SHOP_TABLES,
): Promise<EntityFile[]> {
  mkdirSync(dir, { recursive: true });
  const files: EntityFile[] = [];
  for (const table of tables) {
    const file = join(dir, `${table}.${format}`);
    const rows = shopRows(shop, table);
    const w = await ChunkedWriter.open(file);
    try {
      writeHeader(w, table, format);
      for (const row of rows) {
        w.add(`${entityLine(row, SHOP_COLUMNS[table], format)}\n`);
        if (w.full) await w.flush();
      }
    } finally {
      await w.close();
    }
    files.push({ table, file, rows: rows.length });
  }
  return files;
}
