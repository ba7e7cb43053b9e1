import { parentPort, workerData } from "node:worker_threads";
import type { DetectOptions } from "../detector.ts";
import type { FromWorker, ToWorker } from "./detect-engine.ts";
import { DetectRunner, type RestoredState } from "./detect-runner.ts";

/** The detect thread of workerEngine (detect-engine.ts): a DetectRunner driven by the host's messages, in order. */
const port = parentPort;
if (!port) throw new Error("detect-worker.ts runs as a worker thread");
const data = workerData as { opts: DetectOptions; restored: RestoredState | undefined };
const runner = new DetectRunner(data.opts, data.restored);
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on("message", (m: ToWorker) => {
  if (m.t === "events") {
    let start = 0;
    for (let i = 0; i < m.ends.length; i++) {
      const end = m.ends[i] as number;
      runner.event(
        m.subjects[i] as string,
        m.buf.subarray(start, end),
        m.seqs[i] as number,
        m.walls[i] as number,
      );
      start = end;
    }
    send({ t: "progress", counters: runner.counters() });
  } else if (m.t === "tick") {
    runner.tick(m.wallMs);
    send({ t: "progress", counters: runner.counters() });
  } else {
    const result = runner.cut();
    const gz = result.stateGz;
    // Hand the snapshot over without a copy when it owns its whole buffer (not a slice of Buffer's pool).
    const own =
      gz.byteOffset === 0 && gz.byteLength === gz.buffer.byteLength && gz.buffer instanceof ArrayBuffer;
    send({ t: "cut", result }, own ? [gz.buffer as ArrayBuffer] : []);
  }
});
send({ t: "ready", counters: runner.counters() });
