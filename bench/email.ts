/**
 * npm run bench:email [-- --emails 100000 --threads 2 --raw 20000 --batch 2000 --delay 500 --batch-concurrency 2 --send-concurrency 200]
 *
 * 1. raw: nodemailer pooled SMTP sending one pre-rendered message over and over (3 runs, median), to
 *    a discarding smtp-server in its own process: the ceiling of one sending thread.
 * 2. pipeline: N triggers published to TRIGGERS on an embedded nats-server, consumed by the real
 *    email sink (KV ledger before+after every email, DuckDB lookups + one recommendation query per
 *    batch, consent/cap/quiet rules, send log) rendering and sending on worker threads, to the same
 *    server. Prints emails/s, peak RSS, and the ratio to raw.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import { connectNats, loadConfig, openDb, provision, publishMany, startNats } from "../ingest/index.ts";
import { recommend, refreshModels } from "../queries/index.ts";
import {
  buildMime,
  createRenderer,
  inProcessDispatcher,
  newEmailCounters,
  type RenderContext,
  smtpMailer,
  startEmailSink,
  workerDispatcher,
} from "../sinks/index.ts";
import { arg, cpuSeconds, median, printTable, threadCpu, trackPeakRss } from "./lib.ts";

const EMAILS = arg("emails", 100_000);
const THREADS = arg("threads", 2);
const RAW = arg("raw", 20_000);
const CONNECTIONS = arg("connections", 5);
const PRODUCTS = 2_000;

/** This process's thread ids. */
const threadIds = () => [...threadCpu().keys()];

const threadsCpu = (tids: readonly string[]) =>
  tids.reduce((sum, t) => sum + cpuSeconds(`self/task/${t}`), 0);

async function startDiscardServer(): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(new URL("./email-smtp-server.ts", import.meta.url).pathname, [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve) => {
    child.stdout?.on("data", (c: Buffer) => {
      const m = /port (\d+)/.exec(c.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return { port, child };
}

function sampleContext(): RenderContext {
  return {
    profile: { profileId: "p1", email: "p1@example.com", firstName: "Ada", locale: "en-US", timezone: "UTC" },
    items: [1, 2].map((i) => ({
      productId: `sku-${i}`,
      name: `Product ${i}`,
      price: 10 * i,
      currency: "USD",
      quantity: 1,
      imageUrl: `https://cdn.example.com/${i}.jpg`,
      url: `https://shop.example.com/p/${i}`,
    })),
    recommendations: [3, 4, 5, 6].map((i) => ({
      productId: `sku-${i}`,
      name: `Product ${i}`,
      price: 10 * i,
      currency: "USD",
      imageUrl: `https://cdn.example.com/${i}.jpg`,
      url: `https://shop.example.com/p/${i}`,
      reason: "popular",
    })),
    links: {
      shop: "https://shop.example.com",
      cart: "https://shop.example.com/cart",
      unsubscribe: "https://x/u",
    },
    tracking: { campaign: "cart_abandoned", sendId: "s1" },
    now: "2026-11-23T15:00:00.000Z",
  };
}

/**
 * `sendMail` of one pre-rendered email (html + text, nodemailer defaults), or with `prebuilt` the
 * same MIME bytes built once and sent raw (the SMTP-only ceiling).
 */
async function raw(url: string, n: number, prebuilt: boolean): Promise<number> {
  const cpu0 = [cpuSeconds(process.pid), cpuSeconds(server.child.pid)] as const;
  const content = createRenderer().render("cart-reminder", sampleContext());
  const transport = createTransport({ url, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
  const mail = { from: "shop@example.com", to: "p1@example.com", ...content };
  const bytes = await buildMime({ ...mail, sendId: "s", key: "k", messageId: "<m@nudge>", headers: {} });
  const envelope = { from: "shop@example.com", to: ["p1@example.com"] };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < n) {
        next++;
        await transport.sendMail(prebuilt ? { raw: bytes, envelope } : mail);
      }
    }),
  );
  const rate = n / ((performance.now() - started) / 1000);
  transport.close();
  const ms = [cpuSeconds(process.pid) - cpu0[0], cpuSeconds(server.child.pid) - cpu0[1]].map(
    (s) => (s * 1000) / n,
  );
  rawCpu[prebuilt ? "prebuilt" : "sendMail"] = { client: ms[0] ?? 0, server: ms[1] ?? 0 };
  return rate;
}

async function pipeline(url: string, smtpPid: number | undefined) {
  const dir = mkdtempSync(join(tmpdir(), "nudge-bench-email-"));
  const nats = await startNats();
  const nc = await connectNats(nats.url, "bench-email");
  await provision(nc);
  const db = await openDb(":memory:");
  await db.conn.run(`
    INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent)
    SELECT 'p' || i, 'p' || i || '@example.com', 'Shopper ' || i, 'en-US', 'UTC', 'subscribed' FROM range(${EMAILS}) t(i);
    INSERT INTO products (product_id, name, category, price, currency, stock, active, image_url, url)
    SELECT 'sku-' || i, 'Product ' || i, 'cat-' || (i % 20), 5 + (i % 200), 'USD', 100, true,
           'https://cdn.example.com/' || i || '.jpg', 'https://shop.example.com/p/' || i FROM range(${PRODUCTS}) t(i);
    INSERT INTO events (seq, id, type, profile_id, ts, product_id, quantity, received_at)
    SELECT i, 'e' || i, CASE WHEN i % 3 = 0 THEN 'cart_add' ELSE 'product_view' END, 'h' || (i % 20000),
           TIMESTAMPTZ '2026-11-20 10:00:00+00' + to_seconds(i), 'sku-' || ((i * 7919) % ${PRODUCTS}), 1,
           TIMESTAMPTZ '2026-11-20 10:00:00+00'
    FROM range(200000) t(i);
    INSERT INTO purchase_items (seq, event_id, profile_id, ts, order_id, product_id, quantity, price)
    SELECT i, 'b' || i, 'h' || (i % 20000), TIMESTAMPTZ '2026-11-20 12:00:00+00', 'o' || (i % 20000),
           'sku-' || ((i * 104729) % ${PRODUCTS}), 1, 10 FROM range(40000) t(i);
  `);
  const enc = new TextEncoder();
  const msgs = Array.from({ length: EMAILS }, (_, i) => {
    const kind = i % 2 === 0 ? "cart_abandoned" : "browse_abandoned";
    const id = `${kind}:p${i}:w1`;
    const t = {
      id,
      kind,
      profileId: `p${i}`,
      at: "2026-11-23T14:00:00.000Z",
      items: [
        { productId: `sku-${(i * 31) % PRODUCTS}`, quantity: 1, price: 12 },
        { productId: `sku-${(i * 17 + 5) % PRODUCTS}`, quantity: 2, price: 7 },
      ],
      windowStart: "2026-11-23T12:00:00.000Z",
      windowEnd: "2026-11-23T14:00:00.000Z",
    };
    return { subject: `triggers.${kind}`, data: enc.encode(JSON.stringify(t)), msgId: id };
  });
  await publishMany(nc, msgs);

  const config = loadConfig({
    NATS_URL: nats.url,
    SMTP_URL: url,
    DATA_DIR: dir,
    UNSUBSCRIBE_SECRET: "bench-secret-0123456789abcdef",
    SEND_RATE: "1000000",
    FREQUENCY_CAP: "100",
    BATCH_SIZE: String(arg("batch", 2000)),
    BATCH_DELAY: `${arg("delay", 500)}ms`,
  });
  const counters = newEmailCounters();
  const now = Date.parse("2026-11-23T15:00:00Z");
  // The co-occurrence models are rebuilt on their own schedule (queries' ModelRefresher), not per email.
  await refreshModels(db, { now: new Date(now) });
  const t0 = Date.now();
  const renderer = createRenderer();
  const before = new Set(threadIds());
  const workers =
    THREADS > 0
      ? workerDispatcher({ threads: THREADS, smtpUrl: url, maxConnections: CONNECTIONS })
      : undefined;
  await workers?.ready();
  const dispatcher =
    workers ?? inProcessDispatcher(renderer, smtpMailer(url, { maxConnections: CONNECTIONS }));
  const recCalls: number[] = [];
  let warnings = 0;
  const baseMiB = process.memoryUsage.rss() / 1024 / 1024;
  const rss = trackPeakRss();
  // What the process's memory was made of when RSS peaked (sampled every 250 ms).
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > atPeak.rss) atPeak = m;
  }, 250);
  // Threads that appeared with the workers (each worker, and the module-loader thread tsx gives it).
  const workerTids = threadIds().filter((t) => !before.has(t));
  const mainTid = String(process.pid);
  const thread0 = { main: cpuSeconds(`self/task/${mainTid}`), workers: threadsCpu(workerTids) };
  const cpu0 = {
    self: cpuSeconds(process.pid),
    smtp: cpuSeconds(smtpPid),
    nats: cpuSeconds(nats.process.pid),
  };
  const started = performance.now();
  const running = await startEmailSink({
    nc,
    db,
    config,
    renderer,
    dispatcher,
    counters,
    now: () => now + (Date.now() - t0),
    recommend: async (requests, opts) => {
      const s = performance.now();
      const rows = await recommend(db, requests, opts);
      recCalls.push(performance.now() - s);
      return rows;
    },
    options: {
      batchConcurrency: arg("batch-concurrency", 2),
      // The sink's own default unless asked.
      ...(process.argv.includes("--send-concurrency") ? { sendConcurrency: arg("send-concurrency", 0) } : {}),
    },
    logger: {
      info() {},
      warn: (o) => void (warnings++ === 0 && process.stderr.write(`  first warning: ${JSON.stringify(o)}\n`)),
      error: (o) => process.stderr.write(`  error: ${JSON.stringify(o)}\n`),
    },
  });
  const finished = () =>
    counters.sent + counters.failed + Object.values(counters.skipped).reduce((a, b) => a + b, 0);
  let lastReport = performance.now();
  let firstMs: number | undefined;
  while (finished() < EMAILS) {
    await new Promise((r) => setTimeout(r, 100));
    if (firstMs === undefined && finished() > 0) firstMs = performance.now() - started;
    if (performance.now() - lastReport > 5_000) {
      lastReport = performance.now();
      process.stderr.write(`  … ${finished()} / ${EMAILS} (${JSON.stringify(counters)})\n`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  // CPU per email, by process: less sensitive to a shared machine's load than emails/s.
  const cpuMs = {
    sink: ((cpuSeconds(process.pid) - cpu0.self) * 1000) / EMAILS,
    mainThread: ((cpuSeconds(`self/task/${mainTid}`) - thread0.main) * 1000) / EMAILS,
    workerThreads: ((threadsCpu(workerTids) - thread0.workers) * 1000) / EMAILS,
    smtpServer: ((cpuSeconds(smtpPid) - cpu0.smtp) * 1000) / EMAILS,
    nats: ((cpuSeconds(nats.process.pid) - cpu0.nats) * 1000) / EMAILS,
  };
  const peak = rss.peakMiB;
  (globalThis as { gc?: () => void }).gc?.(); // with node --expose-gc: what is retained, not garbage
  const mem = process.memoryUsage();
  const duck = (
    await db.conn.runAndReadAll("SELECT sum(memory_usage_bytes)::DOUBLE AS b FROM duckdb_memory()")
  ).getRowObjectsJS()[0]?.b;
  process.stderr.write(
    `  at the end: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, main JS heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, ` +
      `DuckDB ${(Number(duck) / 2 ** 20).toFixed(0)} MiB\n`,
  );
  rss.stop();
  clearInterval(sampler);
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  process.stderr.write(
    `  at the sampled peak: rss ${mib(atPeak.rss)} MiB, main JS heap ${mib(atPeak.heapUsed)} used / ${mib(atPeak.heapTotal)} total, ` +
      `external ${mib(atPeak.external)} MiB (array buffers ${mib(atPeak.arrayBuffers)})\n`,
  );
  await running.stop();
  await nc.close();
  await nats.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, peak, baseMiB, counters, recCalls, firstMs: firstMs ?? 0, cpuMs };
}

const rawCpu: Record<string, { client: number; server: number }> = {};
const server = await startDiscardServer();
const url = `smtp://127.0.0.1:${server.port}`;
const rawRates: number[] = [];
const prebuiltRates: number[] = [];
for (let i = 0; i < 3; i++) {
  rawRates.push(await raw(url, RAW, false));
  prebuiltRates.push(await raw(url, RAW, true));
  process.stderr.write(
    `  raw run ${i + 1}: ${rawRates.at(-1)?.toFixed(0)} / prebuilt ${prebuiltRates.at(-1)?.toFixed(0)} emails/s\n`,
  );
}
const rawRate = median(rawRates);
const prebuiltRate = median(prebuiltRates);
const p = await pipeline(url, server.child.pid);
const rate = EMAILS / p.seconds;
printTable([
  {
    measure: "raw: nodemailer sendMail, pre-rendered (median of 3)",
    "emails/s": rawRate,
    "peak RSS MiB": "",
  },
  {
    measure: "raw: same MIME bytes prebuilt, sent raw (median of 3)",
    "emails/s": prebuiltRate,
    "peak RSS MiB": "",
  },
  {
    measure: `pipeline: ${EMAILS} triggers → sink → SMTP (${THREADS} worker threads)`,
    "emails/s": rate,
    "peak RSS MiB": p.peak,
  },
]);
console.log(
  `\nratio to raw sendMail: ${((rate / rawRate) * 100).toFixed(0)}% (goal ≥ 60%); to prebuilt raw: ${((rate / prebuiltRate) * 100).toFixed(0)}%; ` +
    `goal ≥ 2,000 emails/s: ${rate >= 2000 ? "met" : "not met"}; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
);
console.log(
  `sent ${p.counters.sent}, failed ${p.counters.failed}, skipped ${JSON.stringify(p.counters.skipped)}, ` +
    `recommend calls ${p.recCalls.length} (median ${median(p.recCalls).toFixed(0)} ms), first email after ${p.firstMs.toFixed(0)} ms, ` +
    `RSS before the sink started (DuckDB with ${EMAILS} profiles, workers up) ${p.baseMiB.toFixed(0)} MiB`,
);
for (const [k, v] of Object.entries(rawCpu)) {
  console.log(
    `raw ${k} CPU ms per email: client ${v.client.toFixed(2)}, smtp-server ${v.server.toFixed(2)} (last run)`,
  );
}
console.log(
  `CPU ms per email: sink process ${p.cpuMs.sink.toFixed(2)} (main thread ${p.cpuMs.mainThread.toFixed(2)}, ` +
    `worker threads ${p.cpuMs.workerThreads.toFixed(2)}, the rest: DuckDB, GC, libuv), smtp-server ${p.cpuMs.smtpServer.toFixed(2)}, ` +
    `nats-server ${p.cpuMs.nats.toFixed(2)}`,
);
server.child.kill("SIGTERM");
