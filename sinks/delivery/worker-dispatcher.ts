import { Worker } from "node:worker_threads";
import type { Dispatcher, DispatchOutcome, RenderJob } from "./dispatcher.ts";

export interface WorkerDispatcherOptions {
  threads: number;
  templatesDir?: string;
  /** SMTP URL; without it each worker writes to `outboxDir`. */
  smtpUrl?: string;
  outboxDir?: string;
  /** Pooled SMTP connections per worker. */
  maxConnections?: number;
  /** Extra Node flags for the workers (default: the parent's, which carries tsx's loader). */
  execArgv?: string[];
}

interface Lane {
  worker: Worker;
  /** Ids handed to this worker and not answered yet. */
  pending: Set<number>;
  queue: [number, RenderJob][];
}

/**
 * Renders, builds MIME and sends on `threads` worker threads, each with its own pooled transport
 * (FACTS.md: one thread tops out near 2,600 MIME builds/s). Jobs go to the least-loaded worker in
 * small arrays (one postMessage per tick per worker). Ledger, retries and decisions stay on the main
 * thread: a worker only answers what one attempt came to.
 *
 * @example const dispatcher = workerDispatcher({ threads: 2, smtpUrl: config.SMTP_URL });
 */
export function workerDispatcher(opts: WorkerDispatcherOptions): Dispatcher & { ready(): Promise<void> } {
  const waiting = new Map<number, (o: DispatchOutcome) => void>();
  const booted: Promise<void>[] = [];
  let nextId = 0;
  let scheduled = false;
  const lanes: Lane[] = [];
  for (let i = 0; i < Math.max(1, opts.threads); i++) {
    const worker = new Worker(new URL("./dispatch-worker.mjs", import.meta.url), {
      workerData: {
        templatesDir: opts.templatesDir,
        smtpUrl: opts.smtpUrl,
        outboxDir: opts.outboxDir,
        maxConnections: opts.maxConnections,
      },
      execArgv: opts.execArgv,
    });
    const lane: Lane = { worker, pending: new Set(), queue: [] };
    const answer = (id: number, outcome: DispatchOutcome) => {
      lane.pending.delete(id);
      waiting.get(id)?.(outcome);
      waiting.delete(id);
    };
    // Up when it first speaks; a worker that dies while starting fails ready() instead of hanging it.
    const up = new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`email worker exited while starting (${code})`)));
    });
    up.catch(() => {}); // reported through ready(), if anyone waits
    booted.push(up);

    worker.on("message", (msg: { done?: [number, DispatchOutcome][] }) => {
      for (const [id, outcome] of msg.done ?? []) answer(id, outcome);
    });
    // A dead worker's attempts count as temporary failures: the sink's retry loop sends them again.
    const fail = (why: string) => {
      const at = lanes.indexOf(lane);
      if (at >= 0) lanes.splice(at, 1);
      for (const id of [...lane.pending]) answer(id, { ok: false, permanent: false, error: why });
    };
    worker.on("error", (err) => fail(`worker failed: ${String(err)}`));
    worker.on("exit", (code) => fail(`worker exited (${code})`));
    lanes.push(lane);
  }
  const flush = () => {
    scheduled = false;
    for (const lane of lanes) {
      if (lane.queue.length === 0) continue;
      lane.worker.postMessage({ jobs: lane.queue });
      lane.queue = [];
    }
  };
  return {
    /** Resolves once every worker has compiled its templates and opened its transport. */
    ready: () => Promise.all(booted).then(() => {}),
    describe: `${lanes.length} worker threads → ${opts.smtpUrl ?? opts.outboxDir}`,
    dispatch(job) {
      const id = nextId++;
      let lane = lanes[0];
      if (!lane) return Promise.resolve({ ok: false, permanent: false, error: "no worker threads left" });
      for (const l of lanes) if (l.pending.size < lane.pending.size) lane = l;
      lane.pending.add(id);
      lane.queue.push([id, job]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    async close() {
      await Promise.all(
        [...lanes].map(
          (l) =>
            new Promise<void>((resolve) => {
              l.worker.once("exit", () => resolve());
              l.worker.postMessage({ close: true });
              setTimeout(() => void l.worker.terminate(), 5_000).unref();
            }),
        ),
      );
    },
  };
}
