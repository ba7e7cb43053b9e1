import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SegmentsService } from "../api/index.ts";
import { type Db, openDb } from "../ingest/index.ts";
import {
  countSegment,
  openSegmentRunner,
  parseParamPairs,
  type SegmentRunner,
  saveSegment,
  segmentStore,
  segmentsService,
  selectSegment,
} from "../queries/segments/index.ts";
import { buildShop, expected, loadShop, type Shop } from "./segments-fixture.ts";

const SEGMENTS_DIR = new URL("../segments/", import.meta.url).pathname;

let db: Db;
let shop: Shop;
let runner: SegmentRunner;

beforeAll(async () => {
  db = await openDb(":memory:");
  shop = buildShop();
  await loadShop(db, shop);
  runner = await openSegmentRunner(db, { dir: SEGMENTS_DIR, timeoutMs: 10_000 });
});
afterAll(() => db.close());

describe("exact counts of the example segments match an independent JS computation", () => {
  it("subscribed", async () => {
    const want = expected.subscribed(shop);
    const got = await countSegment(runner, { name: "subscribed" });
    expect(want.size).toBeGreaterThan(0);
    expect(got.count).toBe(want.size);
    expect(got.perEntity).toBeUndefined();
    expect(got.elapsedMs).toBeGreaterThan(0);
  });

  it("cart_abandoners_7d with $now bound as a Date", async () => {
    const want = expected.cartAbandoners7d(shop);
    expect(want.size).toBeGreaterThan(0);
    const got = await countSegment(runner, { name: "cart_abandoners_7d", params: { now: shop.now } });
    expect(got.count).toBe(want.size);
    const rows = await selectSegment(runner, { name: "cart_abandoners_7d", params: { now: shop.now } });
    expect(new Set(rows.rows.map((r) => r.profile_id))).toEqual(want);
  });

  it("paris_outerwear_bookers joins profiles, events, products and bookings", async () => {
    const want = expected.parisOuterwearBookers(shop);
    expect(want.size).toBeGreaterThan(0);
    const got = await countSegment(runner, {
      name: "paris_outerwear_bookers",
      params: { now: shop.now.toISOString() },
    });
    expect(got.count).toBe(want.size);
    const rows = await selectSegment(runner, { name: "paris_outerwear_bookers", params: { now: shop.now } });
    expect(new Set(rows.rows.map((r) => r.profile_id))).toEqual(want);
  });

  it("bookings_next_week counts recipients and bookings separately", async () => {
    const want = expected.bookingsNextWeek(shop);
    expect(want.bookings.size).toBeGreaterThan(want.profiles.size); // someone has two bookings
    const got = await countSegment(runner, { name: "bookings_next_week", params: { now: shop.now } });
    expect(got.count).toBe(want.profiles.size);
    expect(got.perEntity).toEqual({ key: "booking_id", count: want.bookings.size });
    const rows = await selectSegment(runner, { name: "bookings_next_week", params: { now: shop.now } });
    expect(rows.columns).toEqual(["profile_id", "booking_id"]);
    expect(new Set(rows.rows.map((r) => r.booking_id))).toEqual(want.bookings);
  });

  it("inline SQL with a named entity key and string parameters (as from the CLI)", async () => {
    const params = parseParamPairs(["city=Lyon", "min=3"]);
    const got = await countSegment(runner, {
      sql: `SELECT e.profile_id, e.product_id FROM events e JOIN profiles p USING (profile_id)
            WHERE p.city = $city AND e.type = 'product_view'
            QUALIFY count(*) OVER (PARTITION BY e.profile_id) >= $min::INTEGER;`,
      params,
      entityKey: "product_id",
    });
    const lyon = new Set(shop.profiles.filter((p) => p.city === "Lyon").map((p) => p.profile_id));
    const views = shop.events.filter((e) => e.type === "product_view" && lyon.has(e.profile_id));
    const per = new Map<string, number>();
    for (const e of views) per.set(e.profile_id, (per.get(e.profile_id) ?? 0) + 1);
    const keep = views.filter((e) => (per.get(e.profile_id) ?? 0) >= 3);
    expect(got.count).toBe(new Set(keep.map((e) => e.profile_id)).size);
    expect(got.perEntity).toEqual({ key: "product_id", count: new Set(keep.map((e) => e.product_id)).size });
  });

  it("allowed table functions: range, unnest, json_each", async () => {
    const r = await countSegment(runner, {
      sql: `SELECT 'p' || lpad(range::VARCHAR, 4, '0') AS profile_id FROM range(10)
            UNION ALL SELECT unnest(['a', 'b']) UNION ALL SELECT key FROM json_each('{"x": 1}')`,
    });
    expect(r.count).toBe(13);
  });

  it("a parameter that carries SQL is a plain value", async () => {
    const q = "SELECT profile_id FROM profiles WHERE city = $city";
    expect((await countSegment(runner, { sql: q, params: { city: "x' OR 1=1 --" } })).count).toBe(1);
    expect((await countSegment(runner, { sql: q, params: { city: "x'' OR 1=1 --" } })).count).toBe(0);
    expect((await countSegment(runner, { sql: q, params: { city: "Paris' OR '1'='1" } })).count).toBe(0);
  });
});

describe("segment errors", () => {
  it.each([
    ["missing parameter", { name: "cart_abandoners_7d" }, /missing \$now/],
    ["unknown parameter", { name: "subscribed", params: { now: "x" } }, /unknown \$now/],
    ["no profile_id", { sql: "SELECT email FROM profiles" }, /must return a profile_id column/],
    [
      "DuckDB's own message",
      { sql: "SELECT profile_idd FROM profiles" },
      /Referenced column "profile_idd" not found/,
    ],
    ["syntax error", { sql: "SELEC profile_id FROM profiles" }, /syntax error/],
    ["no such entity key", { name: "subscribed", entityKey: "booking_id" }, /no booking_id column/],
  ])("%s", async (_label, spec, message) => {
    const err = await countSegment(runner, spec).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NUDGE_ERR_SEGMENT_SQL", message: expect.stringMatching(message) });
  });

  it("an unknown stored segment", async () => {
    await expect(countSegment(runner, { name: "nope" })).rejects.toMatchObject({
      code: "NUDGE_ERR_SEGMENT_NOT_FOUND",
    });
  });
});

describe("segment store", () => {
  const dir = mkdtempSync(join(tmpdir(), "nudge-segments-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists, gets, puts and deletes .sql files", async () => {
    const store = segmentStore(dir);
    expect(await store.list()).toEqual([]);
    await store.put("vip", "-- Big spenders.\nSELECT profile_id FROM orders WHERE total > $min");
    expect(await store.get("vip")).toMatchObject({ name: "vip", description: "Big spenders." });
    expect((await store.list()).map((s) => s.name)).toEqual(["vip"]);
    expect(await store.delete("vip")).toBe(true);
    expect(await store.delete("vip")).toBe(false);
    await expect(store.get("vip")).rejects.toMatchObject({ code: "NUDGE_ERR_SEGMENT_NOT_FOUND" });
  });

  it("segmentsService is what the HTTP API plugs in", async () => {
    const service: SegmentsService = segmentsService({ ...runner, store: segmentStore(dir) });
    const want = expected.bookingsNextWeek(shop);
    const counted = await service.count(
      { sql: (await runner.store.get("bookings_next_week")).sql },
      {
        now: shop.now.toISOString(),
      },
    );
    expect(counted).toMatchObject({
      count: want.profiles.size,
      perEntity: { booking_id: want.bookings.size },
    });
    const put = await service.put("Lyon", {
      sql: "SELECT profile_id FROM profiles WHERE city = 'Lyon'",
      description: "Lyon",
    });
    expect(put).toMatchObject({ name: "Lyon", description: "Lyon" });
    expect(await service.get("Lyon")).toMatchObject({ sql: expect.stringContaining("-- Lyon\nSELECT") });
    expect(await service.get("nope")).toBeUndefined();
    await expect(service.put("bad", { sql: "SELECT 1 AS x" })).rejects.toMatchObject({
      code: "NUDGE_ERR_SEGMENT_SQL",
    });
    expect(await service.delete("Lyon")).toBe(true);
  });

  it.each(["../etc/passwd", "a.b", "", "Has Space", "x/y", "-dash", "a".repeat(65)])(
    "refuses the name %j",
    async (name) => {
      const store = segmentStore(dir);
      await expect(store.put(name, "SELECT 1 AS profile_id")).rejects.toMatchObject({
        code: "NUDGE_ERR_SEGMENT_NAME",
      });
      await expect(store.get(name)).rejects.toMatchObject({ code: "NUDGE_ERR_SEGMENT_NAME" });
    },
  );

  it("saveSegment vets before storing", async () => {
    const vetting = { ...runner, store: segmentStore(dir) };
    await expect(saveSegment(vetting, "bad", "DELETE FROM profiles")).rejects.toMatchObject({
      code: "NUDGE_ERR_SEGMENT_REFUSED",
    });
    expect(await vetting.store.list()).toEqual([]);
    const saved = await saveSegment(vetting, "paris", "SELECT profile_id FROM profiles WHERE city = $city;");
    expect(saved.params).toEqual(["city"]);
    expect((await countSegment(vetting, { name: "paris", params: { city: "Paris" } })).count).toBe(
      shop.profiles.filter((p) => p.city === "Paris").length,
    );
  });
});
