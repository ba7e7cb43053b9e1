import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Db,
  generateShop,
  isNudgeError,
  loadDir,
  loadEntities,
  type NudgeError,
  openDb,
  writeShop,
} from "../ingest/index.ts";

const tmp = mkdtempSync(join(tmpdir(), "nudge-load-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

const PRODUCTS_CSV = `product_id,name,category,price,currency,stock,active,image_url,url
sku-1,"Wool Coat, Navy",Outerwear,199.95,EUR,4,true,https://shop.example/i/1.jpg,https://shop.example/p/1
sku-2,Sneakers,Shoes,89.99,EUR,0,true,https://shop.example/i/2.jpg,https://shop.example/p/2
`;
const PRODUCTS_NDJSON = `{"product_id":"sku-2","name":"Sneakers","category":"Shoes","price":79.99,"stock":12}
{"product_id":"sku-3","name":"Beanie","category":"Accessories","price":19.95,"stock":30,"active":false}
`;

let db: Db;
beforeEach(async () => {
  db = await openDb(":memory:");
});
afterEach(() => db.close());

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.conn.runAndReadAll(sql)).getRowObjectsJS();
}

async function parquetOf(sql: string, name: string): Promise<string> {
  const path = join(tmp, name);
  await db.conn.run(`COPY (${sql}) TO '${path}' (FORMAT parquet)`);
  return path;
}

async function loadError(p: Promise<unknown>): Promise<NudgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isNudgeError(err)) throw new Error(`expected a NudgeError, got ${String(err)}`);
  return err;
}

describe("loadEntities into a known table", () => {
  it("loads CSV with the table's types (quoted commas, booleans, numbers)", async () => {
    const r = await loadEntities(db, "products", file("p.csv", PRODUCTS_CSV), { mode: "replace" });
    expect(r).toMatchObject({ table: "products", rows: 2, created: false });
    expect(await query("SELECT product_id, name, price, stock, active FROM products ORDER BY 1")).toEqual([
      { product_id: "sku-1", name: "Wool Coat, Navy", price: 199.95, stock: 4, active: true },
      { product_id: "sku-2", name: "Sneakers", price: 89.99, stock: 0, active: true },
    ]);
  });

  it("loads NDJSON with a subset of the columns (the rest NULL)", async () => {
    const r = await loadEntities(db, "products", file("p.ndjson", PRODUCTS_NDJSON), { mode: "replace" });
    expect(r.rows).toBe(2);
    expect(await query("SELECT product_id, price, active, currency FROM products ORDER BY 1")).toEqual([
      { product_id: "sku-2", price: 79.99, active: null, currency: null },
      { product_id: "sku-3", price: 19.95, active: false, currency: null },
    ]);
  });

  it("loads a JSON array file (.json)", async () => {
    const path = file("p.json", '[{"product_id":"a","price":1.5},{"product_id":"b","price":2}]');
    expect((await loadEntities(db, "products", path, { mode: "upsert" })).rows).toBe(2);
    expect(await query("SELECT product_id, price FROM products ORDER BY 1")).toEqual([
      { product_id: "a", price: 1.5 },
      { product_id: "b", price: 2 },
    ]);
  });

  it("loads Parquet, casting to the table's types", async () => {
    const path = await parquetOf(
      "SELECT 'p1' AS profile_id, 'p1@example.com' AS email, TIMESTAMPTZ '2026-01-02 03:04:05+00' AS created_at, '{\"tier\":\"gold\"}' AS attributes",
      "profiles.parquet",
    );
    await loadEntities(db, "profiles", path, { mode: "replace" });
    expect(
      await query(
        "SELECT profile_id, email, attributes->>'tier' AS tier, epoch_ms(created_at)::DOUBLE AS ms FROM profiles",
      ),
    ).toEqual([
      { profile_id: "p1", email: "p1@example.com", tier: "gold", ms: Date.parse("2026-01-02T03:04:05Z") },
    ]);
  });

  it("replace swaps the rows; upsert updates by key and keeps the others", async () => {
    await loadEntities(db, "products", file("a.csv", PRODUCTS_CSV), { mode: "replace" });
    const up = await loadEntities(db, "products", file("b.ndjson", PRODUCTS_NDJSON), { mode: "upsert" });
    expect(up.rows).toBe(2);
    expect(await query("SELECT product_id, price, name FROM products ORDER BY 1")).toEqual([
      { product_id: "sku-1", price: 199.95, name: "Wool Coat, Navy" },
      { product_id: "sku-2", price: 79.99, name: "Sneakers" },
      { product_id: "sku-3", price: 19.95, name: "Beanie" },
    ]);
    // upsert of some columns leaves the other columns of existing rows alone
    await loadEntities(db, "products", file("stock.csv", "product_id,stock\nsku-1,0\n"), { mode: "upsert" });
    expect(await query("SELECT stock, name FROM products WHERE product_id = 'sku-1'")).toEqual([
      { stock: 0, name: "Wool Coat, Navy" },
    ]);
    await loadEntities(db, "products", file("c.ndjson", PRODUCTS_NDJSON), { mode: "replace" });
    expect(await query("SELECT product_id FROM products ORDER BY 1")).toEqual([
      { product_id: "sku-2" },
      { product_id: "sku-3" },
    ]);
  });

  it("upserts composite keys (order_items)", async () => {
    await loadEntities(
      db,
      "order_items",
      file("oi1.csv", "order_id,product_id,quantity,price\no1,a,1,10\no1,b,2,5\n"),
      {
        mode: "replace",
      },
    );
    await loadEntities(
      db,
      "order_items",
      file("oi2.csv", "order_id,product_id,quantity,price\no1,b,3,5\no2,a,1,10\n"),
      {
        mode: "upsert",
      },
    );
    expect(await query("SELECT order_id, product_id, quantity FROM order_items ORDER BY 1, 2")).toEqual([
      { order_id: "o1", product_id: "a", quantity: 1 },
      { order_id: "o1", product_id: "b", quantity: 3 },
      { order_id: "o2", product_id: "a", quantity: 1 },
    ]);
  });
});

describe("loadEntities into a new table", () => {
  it.each([
    ["csv", () => file("tiers.csv", "tier,min_spend\nsilver,500\ngold,2000\n")],
    [
      "ndjson",
      () => file("tiers.ndjson", '{"tier":"silver","min_spend":500}\n{"tier":"gold","min_spend":2000}\n'),
    ],
    [
      "parquet",
      () =>
        parquetOf(
          "SELECT * FROM (VALUES ('silver', 500), ('gold', 2000)) t(tier, min_spend)",
          "tiers.parquet",
        ),
    ],
  ])("creates it from the %s file's inferred schema", async (_fmt, make) => {
    const r = await loadEntities(db, "loyalty_tiers", await make(), { mode: "replace" });
    expect(r).toMatchObject({ table: "loyalty_tiers", rows: 2, created: true });
    expect(
      await query("SELECT tier, min_spend::INTEGER AS min_spend FROM loyalty_tiers ORDER BY min_spend"),
    ).toEqual([
      { tier: "silver", min_spend: 500 },
      { tier: "gold", min_spend: 2000 },
    ]);
    // a second replace keeps the table and swaps its rows
    const again = await loadEntities(db, "loyalty_tiers", await make(), { mode: "replace" });
    expect(again).toMatchObject({ rows: 2, created: false });
    expect(await query("SELECT count(*)::INTEGER AS n FROM loyalty_tiers")).toEqual([{ n: 2 }]);
  });

  it("refuses to upsert into a table without a primary key", async () => {
    await loadEntities(db, "loyalty_tiers", file("t1.csv", "tier,min_spend\nsilver,500\n"), {
      mode: "replace",
    });
    const err = await loadError(
      loadEntities(db, "loyalty_tiers", file("t2.csv", "tier,min_spend\ngold,9\n"), { mode: "upsert" }),
    );
    expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err.message).toMatch(/no primary key/);
  });
});

describe("loadEntities errors", () => {
  it("a missing file is NUDGE_ERR_LOAD_FILE", async () => {
    const err = await loadError(loadEntities(db, "products", join(tmp, "nope.csv"), { mode: "replace" }));
    expect(err.code).toBe("NUDGE_ERR_LOAD_FILE");
    expect(err.message).toContain("nope.csv");
  });

  it("an unknown extension is NUDGE_ERR_LOAD_FILE", async () => {
    const err = await loadError(loadEntities(db, "products", file("p.xlsx", "x"), { mode: "replace" }));
    expect(err.code).toBe("NUDGE_ERR_LOAD_FILE");
  });

  it("a column that is not in the table is named", async () => {
    const err = await loadError(
      loadEntities(db, "products", file("bad-col.csv", "product_id,colour\nsku-1,red\n"), {
        mode: "replace",
      }),
    );
    expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err.message).toContain('"colour"');
    expect(err.context.column).toBe("colour");
  });

  it("a missing key column is named", async () => {
    const err = await loadError(
      loadEntities(db, "order_items", file("no-key.csv", "order_id,quantity\no1,2\n"), { mode: "upsert" }),
    );
    expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err.message).toContain('"product_id"');
  });

  it("a value that does not cast names the line and column (CSV), and replace keeps the old rows", async () => {
    await loadEntities(db, "products", file("good.csv", PRODUCTS_CSV), { mode: "replace" });
    const err = await loadError(
      loadEntities(db, "products", file("bad-type.csv", "product_id,price\nsku-9,12.5\nsku-8,cheap\n"), {
        mode: "replace",
      }),
    );
    expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err.message).toMatch(/Line: 3/);
    expect(err.message).toMatch(/price/);
    expect(err.message).toMatch(/cheap/);
    expect(await query("SELECT product_id FROM products ORDER BY 1")).toEqual([
      { product_id: "sku-1" },
      { product_id: "sku-2" },
    ]);
  });

  it("a key repeated in one file refuses an upsert (and a replace), naming the key", async () => {
    const path = file("dup.csv", "order_id,product_id,quantity\no1,a,1\no1,a,2\n");
    const err = await loadError(loadEntities(db, "order_items", path, { mode: "upsert" }));
    expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err.message).toContain("order_id=o1, product_id=a");
    const err2 = await loadError(loadEntities(db, "order_items", path, { mode: "replace" }));
    expect(err2.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err2.message).toMatch(/duplicate key/);
  });

  it("a value that does not cast in NDJSON names the line", async () => {
    const err = await loadError(
      loadEntities(
        db,
        "products",
        file("bad-type.ndjson", '{"product_id":"a","stock":1}\n{"product_id":"b","stock":"lots"}\n'),
        {
          mode: "upsert",
        },
      ),
    );
    expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    expect(err.message).toMatch(/line 2/);
  });

  it.each([["Products"], ["drop table x"], ["1abc"], ["events"]])(
    "refuses the table name %j",
    async (name) => {
      const err = await loadError(loadEntities(db, name, file("x.csv", "a\n1\n"), { mode: "replace" }));
      expect(err.code).toBe("NUDGE_ERR_LOAD_SCHEMA");
    },
  );
});

describe("loadDir with a generated shop", () => {
  it("loads every entity file, and purchases join to products", async () => {
    const dir = join(tmp, "shop");
    const shop = generateShop({
      seed: 3,
      profiles: 200,
      products: 80,
      stores: 4,
      events: 3_000,
      startMs: Date.parse("2026-11-01T00:00:00Z"),
      spanMs: 86_400_000,
    });
    await writeShop(shop, dir, { format: "csv" });
    const results = await loadDir(db, dir, { mode: "replace" });
    expect(Object.fromEntries(results.map((r) => [r.table, r.rows]))).toEqual({
      profiles: 200,
      products: 80,
      stores: 4,
      bookings: shop.bookings.length,
      orders: shop.orders.length,
      order_items: shop.orderItems.length,
    });
    expect(
      await query(
        "SELECT count(*)::INTEGER AS orphans FROM order_items i LEFT JOIN products p USING (product_id) WHERE p.product_id IS NULL",
      ),
    ).toEqual([{ orphans: 0 }]);
    expect(
      await query("SELECT count(*)::INTEGER AS n FROM orders WHERE store_id IS NULL AND status = 'paid'"),
    ).toEqual([{ n: shop.orders.filter((o) => o.status === "paid").length }]);
  });
});
