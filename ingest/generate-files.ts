import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, quoteIdent } from "./db.ts";
import type { Shop } from "./generate.ts";
import {
  ChunkedWriter,
  type EntityFile,
  type EntityFormat,
  type EventFileStats,
  entityLine,
  SHOP_COLUMNS,
  writeEntityFiles,
  writeEventsFile,
  writeHeader,
} from "./generate-write.ts";
import { loadEntities } from "./load.ts";

/**
 * Converts NDJSON entity files to Parquet in `dir` through DuckDB: the rows are loaded into the
 * schema.sql tables (so the files carry those column types), then COPY'd out.
 */
async function toParquet(files: readonly EntityFile[], dir: string): Promise<EntityFile[]> {
  const db = await openDb(":memory:");
  try {
    // one thread: the same rows give the same Parquet bytes
    await db.conn.run("SET threads = 1");
    const out: EntityFile[] = [];
    for (const f of files) {
      await loadEntities(db, f.table, f.file, { mode: "replace" });
      const file = join(dir, `${f.table}.parquet`);
      const literal = `'${file.replaceAll("'", "''")}'`;
      await db.conn.run(`COPY ${quoteIdent(f.table)} TO ${literal} (FORMAT parquet)`);
      out.push({ ...f, file });
    }
    return out;
  } finally {
    db.close();
  }
}

/** Runs `write(textDir, textFormat)`: straight into `dir`, or for Parquet into a temp dir then converted. */
async function inFormat(
  dir: string,
  format: EntityFormat,
  write: (textDir: string, textFormat: "csv" | "ndjson") => Promise<EntityFile[]>,
): Promise<EntityFile[]> {
  mkdirSync(dir, { recursive: true });
  if (format !== "parquet") return write(dir, format);
  const tmp = mkdtempSync(join(tmpdir(), "nudge-shop-"));
  try {
    return await toParquet(await write(tmp, "ndjson"), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes the shop's entity files in `dir` (`profiles.csv`, …) from its rows. */
export function writeShopEntities(shop: Shop, dir: string, format: EntityFormat): Promise<EntityFile[]> {
  return inFormat(dir, format, (d, f) => writeEntityFiles(shop, d, f));
}

export interface ShopFiles {
  events: EventFileStats & { file: string };
  entities: EntityFile[];
}

/**
 * Writes a whole shop to `dir`: `events.ndjson` and one file per entity table. Orders are streamed to
 * their files while the events are generated, so memory stays flat however many purchases there are.
 *
 * @example await writeShop(generateShop(opts), "./data/shop", { format: "csv" })
 */
export async function writeShop(
  shop: Shop,
  dir: string,
  opts: { format?: EntityFormat; onProgress?: (s: EventFileStats) => void } = {},
): Promise<ShopFiles> {
  const file = join(dir, "events.ndjson");
  let events: EventFileStats | undefined;
  const entities = await inFormat(dir, opts.format ?? "csv", async (d, f) => {
    const files = await writeEntityFiles(shop, d, f, ["profiles", "products", "stores", "bookings"]);
    const ordersFile = join(d, `orders.${f}`);
    const itemsFile = join(d, `order_items.${f}`);
    const orders = await ChunkedWriter.open(ordersFile);
    const items = await ChunkedWriter.open(itemsFile);
    let nOrders = 0;
    let nItems = 0;
    try {
      writeHeader(orders, "orders", f);
      writeHeader(items, "order_items", f);
      events = await writeEventsFile(shop, file, opts.onProgress, {
        alsoFlush: [orders, items],
        hooks: {
          onOrder(order, lines) {
            nOrders++;
            orders.add(`${entityLine(order, SHOP_COLUMNS.orders, f)}\n`);
            for (const line of lines) {
              nItems++;
              items.add(`${entityLine(line, SHOP_COLUMNS.order_items, f)}\n`);
            }
          },
        },
      });
    } finally {
      await orders.close();
      await items.close();
    }
    return [
      ...files,
      { table: "orders", file: ordersFile, rows: nOrders },
      { table: "order_items", file: itemsFile, rows: nItems },
    ];
  });
  return { events: { ...events!, file }, entities };
}
