/**
 * One measured run for bench/detect.ts, in its own process so its peak RSS is its own:
 *   tsx bench/detect-child.ts raw|detect <natsUrl> <endSeq>
 * Prints one JSON line: { ms, maxRssMiB, peakOpenCarts, peakOpenSessions, stats }.
 * Env: BENCH_DETECT_THREAD=1 runs detection on a worker thread; BENCH_MEM=1 prints memory every second
 * (stderr; heap used/total); BENCH_LOG=debug shows the processors' log (one line per checkpoint).
 */

import { pino } from "pino";
import { connectNats, consumeStream, loadConfig } from "../ingest/index.ts";
import { startProcessors } from "../processors/index.ts";
import { threadCpu } from "./cpu.ts";

const [mode, url, endArg] = process.argv.slice(2);
const end = Number(endArg);
const config = loadConfig({ NATS_URL: url });
const nc = await connectNats(config.NATS_URL, `bench-${mode}`);
const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;
/** CPU ms per thread of this process ("main", the others by thread id; empty where /proc is missing). */
const threadCpuMs = (): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [tid, seconds] of threadCpu()) out[tid === String(process.pid) ? "main" : tid] = seconds * 1000;
  return out;
};
const cpu0 = process.cpuUsage();
const threads0 = threadCpuMs();
/** CPU per thread since the start of the measure (the same instant as `cpu0`). */
const threadCpuSince = (): Record<string, number> => {
  const now = threadCpuMs();
  for (const k of Object.keys(now)) now[k] = (now[k] ?? 0) - (threads0[k] ?? 0);
  return now;
};
const cpuMs = () => {
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / 1000;
};

if (mode === "raw") {
  // The foundation's consume path with no work: callback consume, one ack per 1,000 (AckPolicy.All).
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const sub = consumeStream(nc, {
      stream: "EVENTS",
      durable: "bench-raw",
      startSeq: 1,
      maxInFlight: 80_000,
    }).subscribe({
      next: (m) => {
        if (m.seq % 1_000 === 0 || m.seq >= end) m.ack();
        if (m.seq >= end) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  console.log(
    JSON.stringify({
      ms: performance.now() - t0,
      maxRssMiB: maxRssMiB(),
      cpuMs: cpuMs(),
      threads: threadCpuSince(),
    }),
  );
} else {
  let peakOpenCarts = 0;
  let peakOpenSessions = 0;
  const t0 = performance.now();
  const p = await startProcessors({
    nc,
    config,
    logger: pino({ level: process.env.BENCH_LOG ?? "silent" }),
    detectThread: process.env.BENCH_DETECT_THREAD === "1",
  });
  if (process.env.BENCH_MEM) {
    setInterval(() => {
      const m = process.memoryUsage();
      const s = p.stats();
      console.error(
        `rss ${(m.rss / 2 ** 20).toFixed(0)} heap ${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} ab ${(m.arrayBuffers / 2 ** 20).toFixed(0)} seq ${s.lastSeq} in ${s.eventsIn} carts ${s.openCarts} cp ${JSON.stringify(s.lastCheckpoint)}`,
      );
    }, 1000).unref();
  }
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      const s = p.stats();
      peakOpenCarts = Math.max(peakOpenCarts, s.openCarts);
      peakOpenSessions = Math.max(peakOpenSessions, s.openSessions);
      if (s.lastSeq >= end) {
        clearInterval(t);
        resolve();
      }
    }, 20);
  });
  const ms = performance.now() - t0;
  const cpu = cpuMs();
  const threads = threadCpuSince();
  await p.stop();
  console.log(
    JSON.stringify({
      ms,
      maxRssMiB: maxRssMiB(),
      cpuMs: cpu,
      threads,
      peakOpenCarts,
      peakOpenSessions,
      stats: p.stats(),
    }),
  );
}
await nc.close();
process.exit(0);
