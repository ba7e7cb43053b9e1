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
    const { buf, nums } = m;
    const subjects = m.subjects.split("\n");
    let start = 0;
    for (let i = 0; i < subjects.length; i++) {
      const end = nums[i * 3] as number;
      runner.event(
        subjects[i] as string,
        buf.subarray(start, end),
        nums[i * 3 + 1] as number,
        nums[i * 3 + 2] as number,
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
