// npm run bench:ingest [-- --events 1000000 --runs 3]
// Publishes N events to a fresh embedded nats-server, then measures in the same run:
//   raw:  JetStream pull consume (callback) + ack every 1,000, no processing — the limit; and the same
//         with AckPolicy.None (the history writer's own consumer kind since its offset lives in DuckDB);
//   e2e:  the history writer (decode + validate + dedupe + Arrow batch + DuckDB append + offset commit + ack),
//         from the moment startHistory returns (its decode thread up), and also counting that start;
//   append: DuckDB append alone (Arrow batches of one row group → events, commits + final CHECKPOINT), rows/s;
//   CPU µs per event by thread and for nats-server, for raw and e2e (steadier than rates on a shared machine).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  commitHistoryBatch,
  connectNats,
  DUCKDB_ROW_GROUP,
  eventMessage,
  openDb,
  type PreparedBatch,
  prepareHistoryBatch,
  provision,
  publishMany,
  RecentIds,
  type ShopEvent,
  STAGING_SQL,
  startHistory,
  startNats,
} from "../ingest/index.ts";
import { arg, cpuPerItem, cpuSeconds, median, printTable, threadCpu, trackPeakRss } from "./lib.ts";

const N = arg("events", 1_000_000);
const RUNS = arg("runs", 3);
const TYPES = [
  "product_view",
  "product_view",
  "product_view",
  "product_view",
  "cart_add",
  "cart_remove",
  "checkout_start",
  "purchase",
] as const;

function makeEvent(i: number): ShopEvent {
  const t = TYPES[i % TYPES.length]!;
  const base = {
    id: `b${i}`,
    profileId: `p${(i * 7919) % 100_000}`,
    ts: new Date(1_795_000_000_000 + i * 100).toISOString(),
  };
  const productId = `sku-${(i * 31) % 10_000}`;
  switch (t) {
    case "purchase":
      return {
        ...base,
        type: t,
        orderId: `o${i}`,
        items: [{ productId, quantity: 1, price: 19.9 }],
        currency: "EUR",
      };
    case "cart_add":
    case "cart_remove":
      return { ...base, type: t, productId, quantity: 1, price: 19.9 };
    case "checkout_start":
      return { ...base, type: t };
    default:
      return { ...base, type: "product_view", productId, price: 19.9, currency: "EUR" };
  }
}

/** Raw consume: with `acks`, AckPolicy.All acked every 1,000 (a reader the server tracks); without,
 * AckPolicy.None (what the history writer now uses: its offset lives in DuckDB). */
async function rawConsume(nc: NatsConnection, n: number, acks: boolean): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const name = `raw${Math.random().toString(36).slice(2, 8)}`;
  await jsm.consumers.add(
    "EVENTS",
    acks
      ? { durable_name: name, ack_policy: AckPolicy.All, max_ack_pending: 20_000 }
      : { durable_name: name, ack_policy: AckPolicy.None },
  );
  const c = await jetstream(nc).consumers.get("EVENTS", name);
  const t0 = performance.now();
  const cpu0 = [cpuSeconds(`self/task/${process.pid}`), cpuSeconds(server.process.pid)];
  let count = 0;
  await new Promise<void>((resolve) => {
    void c.consume({
      max_messages: 2_000,
      callback: (m) => {
        count++;
        if (acks && (count % 1_000 === 0 || count === n)) m.ack();
        if (count === n) resolve();
      },
    });
  });
  const secs = (performance.now() - t0) / 1000;
  (acks ? rawCpu : rawNoAckCpu).push([
    ((cpuSeconds(`self/task/${process.pid}`) - cpu0[0]!) * 1e6) / n,
    ((cpuSeconds(server.process.pid) - cpu0[1]!) * 1e6) / n,
  ]);
  await jsm.consumers.delete("EVENTS", name);
  return n / secs;
}

const rss = trackPeakRss();
const dir = mkdtempSync(join(tmpdir(), "nudge-bench-ingest-"));
const server = await startNats({ storeDir: join(dir, "nats") });
const nc = await connectNats(server.url, "bench");
await provision(nc);

console.log(`publishing ${N.toLocaleString()} events…`);
let t0 = performance.now();
for (let from = 0; from < N; from += 50_000) {
  const msgs = [];
  for (let i = from; i < Math.min(N, from + 50_000); i++) msgs.push(eventMessage(makeEvent(i)));
  await publishMany(nc, msgs);
}
const publishRate = N / ((performance.now() - t0) / 1000);

/** History append alone (no NATS): prepared Arrow batches (the writer's default size, 50,000) → DuckDB
 * commits, then a CHECKPOINT (so the WAL's deferred work is counted); and decode+Arrow alone. */
async function appendOnly(n: number): Promise<{ prepare: number; append: number }> {
  const db = await openDb(join(dir, `append-${Math.random().toString(36).slice(2, 8)}.duckdb`));
  const conn = await db.instance.connect();
  await conn.run(STAGING_SQL);
  const seen = new RecentIds(2_000_000);
  const batches: PreparedBatch[] = [];
  let prepMs = 0;
  const size = arg("batch", DUCKDB_ROW_GROUP); // the writer's batch under load
  for (let from = 0; from < n; from += size) {
    const msgs = [];
    for (let i = from; i < Math.min(n, from + size); i++) {
      const m = eventMessage(makeEvent(i));
      msgs.push({ seq: i + 1, subject: m.subject, data: m.data });
    }
    const t = performance.now();
    batches.push(prepareHistoryBatch(msgs, seen, Date.now()));
    prepMs += performance.now() - t;
  }
  const t = performance.now();
  for (const b of batches) await commitHistoryBatch(conn, b, "bench");
  await conn.run("CHECKPOINT"); // the deferred work of writing the rows into the database file counts too
  const appendMs = performance.now() - t;
  conn.closeSync();
  db.close();
  return { prepare: n / (prepMs / 1000), append: n / (appendMs / 1000) };
}

const raw: number[] = [];
const rawNoAck: number[] = [];
const rawNoAckCpu: number[][] = [];
/** µs of CPU per event: [consuming thread, nats-server] for raw; by thread name (+ nats-server) for e2e. */
const rawCpu: number[][] = [];
const e2eCpu: (readonly (readonly [string, number])[])[] = [];
const appendAlone: number[] = [];
const prepareAlone: number[] = [];
const e2e: number[] = [];
/** End to end counted from before startHistory (the decode thread's start included), and that start. */
const e2eWithStart: number[] = [];
const starts: number[] = [];
const append: number[] = [];
for (let run = 0; run < RUNS; run++) {
  raw.push(await rawConsume(nc, N, true));
  rawNoAck.push(await rawConsume(nc, N, false));
  const db = await openDb(join(dir, `h${run}.duckdb`));
  t0 = performance.now();
  const threadsBefore = threadCpu(); // the decode thread is the one startHistory adds
  const history = await startHistory({
    nc,
    db,
    durable: `history-bench-${run}`,
    ...(process.argv.includes("--inflight") ? { maxInFlight: arg("inflight", 0) } : {}),
  });
  // startHistory returns once the decode thread is up (it loads its modules, ~1 s) and before the
  // consumer pulls anything: from here on is the writer's throughput.
  const started = performance.now();
  starts.push((started - t0) / 1000);
  const threads0 = threadCpu();
  const nats0 = cpuSeconds(server.process.pid);
  await history.caughtUp(N);
  const done = performance.now();
  e2eCpu.push([
    ...cpuPerItem(threads0, threadCpu(), N, threadsBefore),
    ["nats-server", ((cpuSeconds(server.process.pid) - nats0) * 1e6) / N],
  ]);
  const st = history.stats();
  e2e.push(N / ((done - started) / 1000));
  e2eWithStart.push(N / ((done - t0) / 1000));
  const alone = await appendOnly(Math.min(N, 500_000));
  appendAlone.push(alone.append);
  prepareAlone.push(alone.prepare);
  append.push(st.accepted / (st.appendMs / 1000));
  await history.stop();
  db.close();
  console.log(
    `run ${run + 1}: raw ${Math.round(raw.at(-1)!)}/s (no acks ${Math.round(rawNoAck.at(-1)!)}/s), e2e ${Math.round(e2e.at(-1)!)}/s ` +
      `(${Math.round(e2eWithStart.at(-1)!)}/s counting the writer's start), batches ${st.batches}`,
  );
}

printTable([
  { measure: "publish (PubAck awaited, windowed)", "events/s": Math.round(publishRate) },
  { measure: "raw JetStream consume + ack (limit)", "events/s": Math.round(median(raw)) },
  { measure: "raw JetStream consume, AckPolicy.None", "events/s": Math.round(median(rawNoAck)) },
  { measure: "end to end into DuckDB history (writer started)", "events/s": Math.round(median(e2e)) },
  {
    measure: `same, counting the writer's start (${median(starts).toFixed(1)} s)`,
    "events/s": Math.round(median(e2eWithStart)),
  },
  { measure: "history write path inside e2e (shares the thread)", "events/s": Math.round(median(append)) },
  { measure: "decode + validate + Arrow batch alone", "events/s": Math.round(median(prepareAlone)) },
  {
    measure: "history append alone (Arrow → DuckDB commits + checkpoint)",
    "events/s": Math.round(median(appendAlone)),
  },
]);
console.log(
  `\nend-to-end / raw consume: ${(median(e2e) / median(raw)).toFixed(2)} (goal ≥ 0.50); ` +
    `counting the writer's start: ${(median(e2eWithStart) / median(raw)).toFixed(2)}; ` +
    `to the raw consume without acks: ${(median(e2e) / median(rawNoAck)).toFixed(2)}`,
);
console.log(
  `history append rows/s (alone): ${Math.round(median(appendAlone)).toLocaleString()} (goal ≥ 500,000)`,
);
const fmtCpu = (xs: readonly (readonly [string, number])[]) =>
  xs.map(([name, us]) => `${name} ${us.toFixed(2)}`).join(", ");
console.log(
  `CPU µs per event (median run): raw consume (main thread) ${median(rawCpu.map((c) => c[0]!)).toFixed(2)}, ` +
    `nats-server ${median(rawCpu.map((c) => c[1]!)).toFixed(2)}; without acks: main thread ` +
    `${median(rawNoAckCpu.map((c) => c[0]!)).toFixed(2)}, nats-server ${median(rawNoAckCpu.map((c) => c[1]!)).toFixed(2)}`,
);
for (const [i, c] of e2eCpu.entries()) {
  const total = c.reduce((sum, [, us]) => sum + us, 0);
  console.log(
    `CPU µs per event, e2e run ${i + 1}: ${total.toFixed(2)} in all: ${fmtCpu(c)} (new threads: the decode thread)`,
  );
}
console.log(`peak RSS: ${rss.peakMiB.toFixed(0)} MiB; medians of ${RUNS} runs, ${N.toLocaleString()} events`);
rss.stop();
await nc.close();
await server.stop();
rmSync(dir, { recursive: true, force: true });
