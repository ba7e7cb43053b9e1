import { Worker } from "node:worker_threads";
import type { StreamMsg } from "../../ingest/index.ts";
import type { DetectOptions } from "../detector.ts";
import { type CutResult, type DetectCounters, DetectRunner, type RestoredState } from "./detect-runner.ts";

/**
 * Where decode → detect runs for the host: on its own thread (`inline`) or on a worker thread, so
 * that NATS receive, trigger publishing and checkpoint writes on the main thread overlap with it.
 * Both keep message order: `cut()` answers with the effects of exactly the messages and ticks given
 * before it, and the state right after them.
 */
export interface DetectEngine {
  event(msg: StreamMsg, wallMs: number): void;
  tick(wallMs: number): void;
  cut(): Promise<CutResult>;
  /** The latest counters known (on a worker: as of the last chunk it finished). */
  counters(): DetectCounters;
  close(): Promise<void>;
}

export interface EngineOptions {
  opts: DetectOptions;
  /** A loaded checkpoint's state, or undefined to start empty. */
  restored: RestoredState | undefined;
  /** Called once when the engine can go on no more (the worker died). */
  onFault(err: unknown): void;
}

export function inlineEngine(o: EngineOptions): DetectEngine {
  const runner = new DetectRunner(o.opts, o.restored);
  return {
    event: (msg, wallMs) => runner.event(msg.subject, msg.data, msg.seq, wallMs),
    tick: (wallMs) => runner.tick(wallMs),
    cut: () => Promise.resolve(runner.cut()),
    counters: () => runner.counters(),
    close: () => Promise.resolve(),
  };
}

/**
 * One chunk of messages for the worker, in few objects (a structured clone costs per object): bodies
 * back to back in `buf`, `[end, seq, wallMs]` per message in `nums` (both transferred, not copied),
 * subjects joined by "\n" (a subject has no whitespace).
 */
export interface EventsChunk {
  t: "events";
  buf: Uint8Array;
  nums: Float64Array;
  subjects: string;
}
export type ToWorker = EventsChunk | { t: "tick"; wallMs: number } | { t: "cut" };
export type FromWorker =
  | { t: "ready"; counters: DetectCounters }
  | { t: "progress"; counters: DetectCounters }
  | { t: "cut"; result: CutResult };

const CHUNK_MESSAGES = 1_024;
const CHUNK_BYTES = 256 * 1_024;

/**
 * Detection on a worker thread. Messages are copied into one buffer per chunk (a message's `data`
 * is a view into the socket's read buffer: posting it would copy that whole buffer) and posted every
 * 1,024 messages or 1 ms after the first one (a post costs tens of µs: one per socket read of a few
 * hundred messages cost more CPU than the detection it moved). The worker's backlog is
 * bounded by the consumer's max_ack_pending: nothing is acked before the worker's cut answers.
 */
export async function workerEngine(o: EngineOptions): Promise<DetectEngine> {
  const worker = new Worker(new URL("./detect-worker.mjs", import.meta.url), {
    workerData: { opts: o.opts, restored: o.restored },
  });
  const cuts: { resolve(r: CutResult): void; reject(e: unknown): void }[] = [];
  let dead: unknown;
  let closing = false;
  const die = (err: unknown) => {
    if (dead !== undefined || closing) return;
    dead = err;
    for (const c of cuts.splice(0)) c.reject(err);
    o.onFault(err);
  };
  let counters = await new Promise<DetectCounters>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`detect worker exited (${code}) before it was ready`)));
    worker.once("message", (m: FromWorker) => {
      worker.removeAllListeners("error").removeAllListeners("exit");
      if (m.t === "ready") resolve(m.counters);
      else reject(new Error(`detect worker sent "${m.t}" before "ready"`));
    });
  });
  worker.on("message", (m: FromWorker) => {
    if (m.t === "progress") counters = m.counters;
    else if (m.t === "cut") {
      counters = m.result.counters;
      cuts.shift()?.resolve(m.result);
    }
  });
  worker.on("error", die);
  worker.on("exit", (code) => die(new Error(`detect worker exited (${code})`)));

  let buf = new Uint8Array(CHUNK_BYTES);
  let off = 0;
  let nums = new Float64Array(CHUNK_MESSAGES * 3);
  let n = 0;
  let subjects = "";
  let timer: NodeJS.Timeout | undefined;
  const post = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (n === 0) return;
    // A copy of the bytes used, not the buffer: chunks wait in the worker's queue while it catches up
    // (up to the consumer's max_ack_pending of messages).
    const bytes = buf.slice(0, off);
    const chunk: EventsChunk = { t: "events", buf: bytes, nums: nums.subarray(0, n * 3), subjects };
    worker.postMessage(chunk, [bytes.buffer, nums.buffer]);
    if (buf.byteLength > CHUNK_BYTES) buf = new Uint8Array(CHUNK_BYTES);
    off = 0;
    nums = new Float64Array(CHUNK_MESSAGES * 3);
    n = 0;
    subjects = "";
  };

  return {
    event(msg, wallMs) {
      const data = msg.data;
      if (off + data.byteLength > buf.byteLength) {
        post();
        if (data.byteLength > buf.byteLength) buf = new Uint8Array(data.byteLength);
      }
      buf.set(data, off);
      off += data.byteLength;
      nums[n * 3] = off;
      nums[n * 3 + 1] = msg.seq;
      nums[n * 3 + 2] = wallMs;
      subjects = n === 0 ? msg.subject : `${subjects}\n${msg.subject}`;
      n++;
      if (n >= CHUNK_MESSAGES) post();
      else timer ??= setTimeout(post, 1);
    },
    tick(wallMs) {
      post();
      worker.postMessage({ t: "tick", wallMs } satisfies ToWorker);
    },
    cut() {
      if (dead !== undefined) return Promise.reject(dead);
      post();
      return new Promise<CutResult>((resolve, reject) => {
        cuts.push({ resolve, reject });
        worker.postMessage({ t: "cut" } satisfies ToWorker);
      });
    },
    counters: () => counters,
    async close() {
      closing = true;
      await worker.terminate();
    },
  };
}
