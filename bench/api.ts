/**
 * bench:api — the HTTP API under load (autocannon, in the same process as the server):
 *   (a) POST /v1/events with batches of 100 distinct events → events/s, against the rate of a bare
 *       Fastify GET route × 100 and the raw JetStream publish rate of the same events (no HTTP);
 *   (b) POST /v1/segments/count on the generated shop of bench:queries → p50/p99 latency with 1 and 4
 *       connections (campaign managers asking at once), against the same count called in-process (no
 *       HTTP), and at 4 connections the API's count slots against the same counts piled up side by side.
 *
 *   npm run bench:api              # shop of 1M events, 100k profiles, 10k products
 *   npm run bench:api -- --full    # the full bench:queries shop (10M events, 1M profiles, 100k products)
 *   npm run bench:api -- --full --counts-only   # (b) alone
 *
 * Env: BENCH_DIR (default /tmp/nudge-bench-api; the DuckDB file is reused when its shape matches;
 * BENCH_DIR=/tmp/nudge-bench-queries reuses bench:queries' shop, read as it is, never rebuilt),
 * BENCH_SECONDS (default 10 per autocannon run).
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Fastify from "fastify";
import { buildApp, COUNT_SLOTS, createMetrics, defaultSegments, noCampaigns } from "../api/index.ts";
import {
  connectNats,
  type Db,
  loadConfig,
  openDb,
  provision,
  publishEvents,
  type ShopEvent,
  startNats,
} from "../ingest/index.ts";
import { countSegment, openSegmentRunner } from "../queries/index.ts";
import { buildShop, median, printTable, readShopShape, shopShape } from "./lib.ts";
import { BENCH_SEGMENTS } from "./queries-segments.ts";

const full = process.argv.includes("--full");
const countsOnly = process.argv.includes("--counts-only");
const size = full
  ? { events: 10_000_000, profiles: 1_000_000, products: 100_000 }
  : { events: 1_000_000, profiles: 100_000, products: 10_000 };
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = 100;
const NOW = new Date("2026-11-15T12:00:00Z");
const shape = shopShape(size);
const dir = process.env.BENCH_DIR ?? "/tmp/nudge-bench-api";
const file = join(dir, `shop-${size.events}.duckdb`);
/** Segments timed over HTTP: a one-table, a join, and an aggregate over the event history. */
const SEGMENTS = ["subscribed_big_spenders", "viewed_shoes_30d", "repeat_buyers_60d"];

let openedShape = shape;

async function openShop(): Promise<Db> {
  mkdirSync(dir, { recursive: true });
  if (existsSync(file)) {
    const db = await openDb(file);
    const got = await readShopShape(db);
    // Any version of bench:queries' shop of this size will do.
    if (got?.startsWith(`${size.events}/${size.profiles}/${size.products}/`)) {
      openedShape = got;
      return db;
    }
    db.close();
    if (process.env.BENCH_DIR) {
      // Someone else's file (e.g. bench:queries'): never delete it.
      throw new Error(
        `${file} is not a finished shop of shape ${shape}; let its bench finish or pick another BENCH_DIR`,
      );
    }
    rmSync(file, { force: true });
    rmSync(`${file}.wal`, { force: true });
  }
  const db = await openDb(file);
  await db.conn.run("SET preserve_insertion_order = false");
  const ms = await buildShop(db, size, NOW);
  console.log(`built the shop (${shape}) in ${(ms / 1000).toFixed(1)} s`);
  return db;
}

let seq = 0;
function batch(): ShopEvent[] {
  const ts = new Date(NOW.getTime() + seq).toISOString();
  return Array.from({ length: BATCH }, () => {
    const n = seq++;
    return {
      id: `b-${n}`,
      type: "product_view",
      profileId: `p${n % 100_000}`,
      ts,
      productId: `sku-${n % 10_000}`,
    } as ShopEvent;
  });
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: SECONDS, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const nats = await startNats();
const nc = await connectNats(nats.url, "bench-api");
await provision(nc);
const db = await openShop();
const segmentSql = (name: string) => BENCH_SEGMENTS.find((s) => s.name === name)?.sql ?? "";

/** The API over the shop, its counts `countSlots` at a time. */
async function shopApp(countSlots: number, config: ReturnType<typeof loadConfig>) {
  const app = await buildApp({
    config,
    nc,
    db,
    segments: await defaultSegments(db, config, { countSlots }),
    recommend: { recommend: async () => [] },
    campaigns: noCampaigns,
    email: { verifyUnsubscribeToken: () => undefined, unsubscribe: async () => {} },
    metrics: createMetrics(),
    now: Date.now,
    limits: { rateMax: 100_000_000 },
    logLevel: "silent",
  });
  return { app, url: await app.listen({ host: "127.0.0.1", port: 0 }) };
}

try {
  const config = loadConfig({ LOG_LEVEL: "silent", HTTP_PORT: "0", SEGMENTS_DIR: join(dir, "segments") });
  const { app, url } = await shopApp(COUNT_SLOTS, config);

  if (!countsOnly) {
    // Bare Fastify route on this machine, same process layout.
    const bare = Fastify();
    bare.get("/", async () => ({ hello: "world" }));
    const bareUrl = await bare.listen({ host: "127.0.0.1", port: 0 });
    const bareRes = await run({ url: bareUrl, connections: 10 });
    await bare.close();

    // Raw JetStream publish of the same kind of events (no HTTP): rounds before and after the HTTP run,
    // median of all (the first rounds after the server starts are noisy here).
    const rawN = 50_000;
    const rawRates: number[] = [];
    const rawRounds = async (n: number) => {
      for (let round = 0; round < n; round++) {
        const rawEvents = Array.from({ length: rawN / BATCH }, batch).flat();
        const t0 = performance.now();
        await publishEvents(nc, rawEvents);
        rawRates.push(rawN / ((performance.now() - t0) / 1000));
      }
    };
    await rawRounds(3);
    const eventsRes = await run({
      url: `${url}/v1/events`,
      connections: 10,
      requests: [
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          setupRequest: (req) => ({ ...req, body: JSON.stringify(batch()) }),
        },
      ],
    });
    const eventsPerSec = eventsRes.requests.average * BATCH;
    await rawRounds(4);
    const rawPublishRate = median(rawRates);

    console.log(
      `\nbench:api — shop ${openedShape}, ${SECONDS} s per run, autocannon in the server's process\n`,
    );
    printTable([
      { what: "bare Fastify GET", "req/s": bareRes.requests.average, "p99 ms": bareRes.latency.p99 },
      {
        what: `POST /v1/events ×${BATCH}`,
        "req/s": eventsRes.requests.average,
        "p99 ms": eventsRes.latency.p99,
      },
    ]);
    const bareTimesBatch = bareRes.requests.average * BATCH;
    const ceiling = Math.min(bareTimesBatch, rawPublishRate);
    console.log(
      `\nevents/s over HTTP:               ${Math.round(eventsPerSec).toLocaleString("en-US")}` +
        (eventsRes.non2xx ? ` (${eventsRes.non2xx} non-2xx!)` : ""),
    );
    console.log(`raw JetStream publish events/s:   ${Math.round(rawPublishRate).toLocaleString("en-US")}`);
    console.log(
      `bare route req/s × ${BATCH}:           ${Math.round(bareTimesBatch).toLocaleString("en-US")}`,
    );
    console.log(
      `ratio to min(bare × ${BATCH}, publish): ${(eventsPerSec / ceiling).toFixed(2)} (goal ≥ 0.50)`,
    );
    console.log(`ratio to raw publish:             ${(eventsPerSec / rawPublishRate).toFixed(2)}\n`);
  }

  // Counts: in-process (no HTTP, one at a time), then over HTTP with 1 and 4 campaign managers asking
  // at once (closed loop: each asks again as soon as it has its answer). At 4, the API's count slots
  // (COUNT_SLOTS at a time, the rest queued) against the same counts piled up side by side.
  const piled = await shopApp(1_000, config);
  const runner = await openSegmentRunner(db, { dir: config.SEGMENTS_DIR });
  const rows: Record<string, string | number>[] = [];
  const p99s: Record<string, number[]> = {};
  const count = async (target: string, connections: number, body: string, label: string) => {
    const res = await run({
      url: `${target}/v1/segments/count`,
      connections,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (res.non2xx > 0) throw new Error(`${label}: ${res.non2xx} answers were not 2xx`);
    p99s[label] = [...(p99s[label] ?? []), res.latency.p99];
    return `${res.latency.p50} / ${res.latency.p99}`;
  };
  for (const name of SEGMENTS) {
    const text = segmentSql(name);
    const params: Record<string, string> = text.includes("$now") ? { now: NOW.toISOString() } : {};
    const body = JSON.stringify({ sql: text, params });
    const direct: number[] = [];
    let n = 0;
    for (let i = 0; i < 7; i++) {
      const r = await countSegment(runner, { sql: text, params });
      direct.push(r.elapsedMs);
      n = r.count;
    }
    rows.push({
      segment: name,
      count: n,
      "direct p50 ms": Math.round(median(direct)),
      "1 conn p50/p99": await count(url, 1, body, "1 conn"),
      [`4 conn, ${COUNT_SLOTS} slot p50/p99`]: await count(url, 4, body, "4 conn"),
      "4 conn, piled p50/p99": await count(piled.url, 4, body, "4 conn piled"),
    });
  }
  await app.close();
  await piled.app.close();

  console.log(
    `\ncounts — shop ${openedShape}, ${SECONDS} s per run, ms (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})\n`,
  );
  printTable(rows);
  for (const [label, values] of Object.entries(p99s)) {
    console.log(`worst count p99, ${label.padEnd(12)}: ${Math.max(...values)} ms (goal < 300 ms)`);
  }
} finally {
  await nc.close();
  await nats.stop();
  db.close();
}
