/**
 * bench:detect — detection throughput and memory, each run in a fresh child process:
 *   (a) 1,000,000 generated events (100k profiles, skewed products, 3 days) published to a fresh
 *       embedded nats-server; then, alternating, the raw JetStream consume rate (callback consume +
 *       ack, no processing) and decode → detect → trigger publish → checkpoint (startProcessors),
 *       3 runs each: medians and their ratio (goal ≥ 70%);
 *   (b) 1,000,000 distinct profiles in one hour of event time (800k views, 200k cart adds, so 200k
 *       carts open at the peak): peak RSS of the processors (goal < 1 GiB).
 *
 *   npm run bench:detect                 # both
 *   npm run bench:detect -- --events 200000 --runs 1
 *   npm run bench:detect -- --only memory     # or --only throughput
 *   BENCH_DETECT_THREAD=1 npm run bench:detect # decode → detect on a worker thread (detect-child.ts)
 */
import { execFileSync } from "node:child_process";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  decodeEvent,
  provision,
  type ShopEvent,
  startNats,
  validateEventWithZod,
} from "../ingest/index.ts";
import { detect, initialDetectState } from "../processors/index.ts";
import { generateLog, type LoggedEvent, sentinel } from "../test/helpers/detect-log.ts";
import { logMessage } from "../test/helpers/detect-stream.ts";
import { arg, cpuSeconds, median, printTable } from "./lib.ts";

const EVENTS = arg("events", 1_000_000);
const RUNS = arg("runs", 3);
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const child = new URL("./detect-child.ts", import.meta.url).pathname;
const MIN = 60_000;

interface RunResult {
  ms: number;
  maxRssMiB: number;
  /** CPU of the child process (all threads), ms; per thread ("main", the others by thread id). */
  cpuMs: number;
  threads: Record<string, number>;
  /** CPU nats-server spent during the run, ms. */
  serverCpuMs: number;
  peakOpenCarts?: number;
  peakOpenSessions?: number;
  stats?: {
    triggersOut: Record<string, number>;
    checkpoints: number;
    late: number;
    lastCheckpoint: { bytes: number };
  };
}

/** CPU time of a process so far, ms (0 where /proc is missing). */
const processCpuMs = (pid: number | undefined) => cpuSeconds(pid) * 1000;

function run(mode: "raw" | "detect", url: string, end: number, serverPid: number | undefined): RunResult {
  const server0 = processCpuMs(serverPid);
  const out = execFileSync(process.execPath, ["--import", "tsx", child, mode, url, String(end)], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const r: RunResult = JSON.parse(out.trim().split("\n").at(-1)!);
  r.serverCpuMs = processCpuMs(serverPid) - server0;
  return r;
}

/** Median CPU µs per event: the child's threads (main, the rest) and nats-server. */
function cpuPerEvent(runs: RunResult[], events: number) {
  const us = (f: (r: RunResult) => number) => median(runs.map((r) => (1000 * f(r)) / events));
  const main = us((r) => r.threads.main ?? 0);
  return {
    "process µs/event": us((r) => r.cpuMs),
    "main thread": main,
    "other threads": us((r) => r.cpuMs) - main,
    "nats-server µs/event": us((r) => r.serverCpuMs),
  };
}

/** Core publishes (the stream stores them; no PubAck per message), flushed in slices. */
async function load(
  nc: NatsConnection,
  events: Iterable<{ event: ShopEvent; tsMs: number; arriveMs: number }>,
) {
  let n = 0;
  for (const l of events) {
    const m = logMessage(l);
    nc.publish(m.subject, m.data);
    if (++n % 10_000 === 0) await nc.flush();
  }
  await nc.flush();
  const jsm = await jetstreamManager(nc);
  for (;;) {
    const stored = (await jsm.streams.info("EVENTS")).state.messages;
    if (stored >= n) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fresh TRIGGERS, DLQ and checkpoints, so every detection run starts from nothing. */
async function reset(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  for (const s of ["TRIGGERS", "DLQ", "KV_nudge_checkpoints"]) await jsm.streams.delete(s).catch(() => false);
  for (const c of ["processors", "bench-raw"]) await jsm.consumers.delete("EVENTS", c).catch(() => false);
  await provision(nc);
}

function* wide(
  profiles: number,
  startMs: number,
): Generator<{ event: ShopEvent; tsMs: number; arriveMs: number }> {
  for (let i = 0; i < profiles; i++) {
    const tsMs = startMs + Math.floor((i / profiles) * 60 * MIN);
    const base = {
      id: `w-${i}`,
      profileId: `wide-${i}`,
      ts: new Date(tsMs).toISOString(),
      productId: `sku-${i % 5_000}`,
    };
    const event: ShopEvent =
      i % 5 === 0
        ? { ...base, type: "cart_add", quantity: 1, price: 19.9 }
        : { ...base, type: "product_view" };
    yield { event, tsMs, arriveMs: tsMs };
  }
}

/** The stages alone, in this process, no NATS: where the time of a detection run goes. */
function inProcess(log: LoggedEvent[]) {
  const msgs = log.map(logMessage);
  const rate = (f: () => void) => {
    const t0 = performance.now();
    f();
    return msgs.length / ((performance.now() - t0) / 1000);
  };
  const text = new TextDecoder();
  const zod = rate(() => {
    for (const m of msgs) validateEventWithZod(JSON.parse(text.decode(m.data)), m.subject);
  });
  const decoded = msgs.map((m) => decodeEvent(m.subject, m.data));
  const fast = rate(() => {
    for (const m of msgs) decodeEvent(m.subject, m.data);
  });
  const opts = { abandonAfterMs: 7_200_000, sessionGapMs: 1_800_000, minViews: 2, latenessMs: 300_000 };
  let state = initialDetectState();
  const det = rate(() => {
    for (const d of decoded)
      if (d.ok) [state] = detect(state, { type: "event", event: d.event, tsMs: d.tsMs }, opts);
  });
  return { zod, fast, det };
}

const mib = (n: number) => `${n.toFixed(0)} MiB`;

// (a) throughput
if (ONLY !== "memory") {
  await using nats = await startNats();
  const nc = await connectNats(nats.url, "bench-detect");
  await provision(nc);
  let t0 = performance.now();
  const log = generateLog({
    seed: 42,
    events: EVENTS,
    profiles: Math.max(1, EVENTS / 10),
    startMs: Date.UTC(2026, 10, 1),
    spanMs: 3 * 1_440 * MIN,
    products: 10_000,
  });
  log.push(sentinel(log, 42));
  const end = await load(nc, log);
  const stages = inProcess(log);
  log.length = 0;
  console.log(
    `loaded ${end.toLocaleString("en-US")} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const raw: RunResult[] = [];
  const det: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    await reset(nc);
    raw.push(run("raw", nats.url, end, nats.process.pid));
    await reset(nc);
    det.push(run("detect", nats.url, end, nats.process.pid));
    t0 = performance.now();
  }
  const rawRate = median(raw.map((r) => end / (r.ms / 1000)));
  const detRate = median(det.map((r) => end / (r.ms / 1000)));
  const s = det.at(-1)!.stats!;
  printTable([
    { measure: "raw consume (callback + ack, no work)", "events/s": rawRate, runs: RUNS },
    { measure: "decode → detect → publish → checkpoint", "events/s": detRate, runs: RUNS },
  ]);
  // On a shared 2-core machine rates swing with the neighbours; CPU per event is the steadier measure.
  printTable([
    { run: "raw consume", ...cpuPerEvent(raw, end) },
    { run: "detection", ...cpuPerEvent(det, end) },
  ]);
  printTable([
    { "stage alone (in process, no NATS)": "decode with zod alone", "events/s": stages.zod },
    {
      "stage alone (in process, no NATS)": "decodeEvent (checks by hand, zod on failure)",
      "events/s": stages.fast,
    },
    { "stage alone (in process, no NATS)": "detect", "events/s": stages.det },
  ]);
  console.log(`ratio detection / raw consume: ${((100 * detRate) / rawRate).toFixed(1)}% (goal ≥ 70%)`);
  console.log(
    `per run: ${s.triggersOut.cart_abandoned} cart + ${s.triggersOut.browse_abandoned} browse triggers, ${s.late} late, ${s.checkpoints} checkpoints (last ${(s.lastCheckpoint.bytes / 1024).toFixed(0)} KiB gzip); peak RSS ${mib(median(det.map((r) => r.maxRssMiB)))}`,
  );
  await nc.close();
}

// (b) memory
if (ONLY !== "throughput") {
  await using nats = await startNats();
  const nc = await connectNats(nats.url, "bench-detect-wide");
  await provision(nc);
  const profiles = 1_000_000;
  const startMs = Date.UTC(2026, 10, 1);
  // A last view 6 minutes on applies every buffered event (lateness 5m) before any 2h deadline: at the
  // end all 200k carts are open, so the end of the run is its peak.
  const last: ShopEvent = {
    id: "w-last",
    type: "product_view",
    profileId: "wide-last",
    productId: "sku-0",
    ts: new Date(startMs + 66 * MIN).toISOString(),
  };
  const end = await load(
    nc,
    (function* () {
      yield* wide(profiles, startMs);
      yield { event: last, tsMs: 0, arriveMs: 0 };
    })(),
  );
  const r = run("detect", nats.url, end, nats.process.pid);
  printTable([
    {
      profiles,
      "peak open carts": r.peakOpenCarts ?? 0,
      "peak open sessions": r.peakOpenSessions ?? 0,
      "peak RSS": mib(r.maxRssMiB),
      "events/s": end / (r.ms / 1000),
      goal: "< 1024 MiB",
    },
  ]);
  await nc.close();
}
process.exit(0);
