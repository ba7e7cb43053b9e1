import { decodeEvent } from "../../ingest/index.ts";
import {
  type DetectOptions,
  type DetectOutput,
  type DetectState,
  detect,
  detectEvent,
  detectStats,
  initialDetectState,
  mergeDetectSnapshots,
  restoreDetectState,
  snapshotDetectDeltaStream,
  snapshotDetectStream,
} from "../detector.ts";
import type { TriggerKind } from "../trigger.ts";
import { encodeSnapshot } from "./snapshot-codec.ts";

/** A trigger ready to publish: its payload is the JSON text of the Trigger. */
export interface TriggerOut {
  id: string;
  kind: TriggerKind;
  json: string;
}

/** A late event, to dead-letter with its original bytes. */
export interface LateOut {
  subject: string;
  data: Uint8Array;
  seq: number;
  error: string;
}

/** What the detector counts, for the host's stats (it adds what it counts itself). */
export interface DetectCounters {
  invalid: Record<string, number>;
  late: number;
  duplicates: number;
  openCarts: number;
  openSessions: number;
  watermarkMs: number | null;
  /** Triggers and late events found since the last cut. */
  unpublished: number;
}

/** The effects of everything applied since the previous cut, and the state after it. */
export interface CutResult {
  triggers: TriggerOut[];
  late: LateOut[];
  /** The state at the cut, gzipped JSON: a delta on the previous cut's, or (`delta` false) a new base. */
  stateGz: Uint8Array;
  delta: boolean;
  /** How long the snapshot took (it blocks whichever thread runs detection). */
  snapshotMs: number;
  counters: DetectCounters;
}

const finite = (n: number) => (Number.isFinite(n) ? n : null);
const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

/** A loaded checkpoint's state: a base, the deltas written on it, and their compressed sizes. */
export interface RestoredState {
  state: unknown;
  deltas: unknown[];
  baseBytes: number;
  deltaBytes: number;
}

/** A new base is written once the deltas on the current one reach its size (at least this much), or this many. */
const MIN_REBASE_BYTES = 1 << 20;
const MAX_DELTAS = 64;

/**
 * Decode → `detect` over raw stream messages, collecting triggers and late events until `cut()`,
 * which returns them with a snapshot of the state at that instant. No I/O: the host runs it on its
 * own thread or on a worker thread (detect-worker.ts), and does the publishing, checkpoint and ack.
 * Snapshots are deltas (the profiles changed since the previous cut) until their total reaches the
 * size of the last base, then a new base: a checkpoint costs what changed, amortized. The caller
 * must save every cut, in order (or stop and restart from what it saved).
 *
 * @example
 * const r = new DetectRunner(opts, checkpoint?.state);
 * r.event(msg.subject, msg.data, msg.seq, Date.now());
 * const { triggers, late, stateGz } = r.cut();
 */
export class DetectRunner {
  #state: DetectState;
  #opts: DetectOptions;
  #triggers: TriggerOut[] = [];
  #late: LateOut[] = [];
  #invalid: Record<string, number> = {};
  #lateCount = 0;
  #duplicates = 0;
  #baseBytes: number;
  #deltaBytes: number;
  #deltas: number;

  /** `restored`: a loaded checkpoint (base, deltas, sizes), or undefined to start empty. */
  constructor(opts: DetectOptions, restored?: RestoredState) {
    this.#opts = opts;
    this.#state =
      restored === undefined
        ? initialDetectState()
        : restoreDetectState(mergeDetectSnapshots(restored.state, restored.deltas));
    this.#baseBytes = restored?.baseBytes ?? 0;
    this.#deltaBytes = restored?.deltaBytes ?? 0;
    this.#deltas = restored?.deltas.length ?? 0;
  }

  event(subject: string, data: Uint8Array, seq: number, wallMs: number): void {
    const d = decodeEvent(subject, data);
    if (!d.ok) {
      this.#invalid[d.reason] = (this.#invalid[d.reason] ?? 0) + 1;
      return;
    }
    const out = detectEvent(this.#state, d.event, d.tsMs, this.#opts, wallMs);
    if (out.triggers.length > 0) this.#take(out);
    for (const l of out.late) {
      this.#lateCount++;
      const error = `event time ${iso(l.tsMs)} is before the watermark ${iso(l.watermarkMs)}`;
      // Only this event can be late here (a late output names the event just given).
      this.#late.push({ subject, data: data.slice(), seq, error });
    }
    this.#duplicates += out.duplicates;
  }

  tick(wallMs: number): void {
    const [, out] = detect(this.#state, { type: "tick", wallMs }, this.#opts);
    if (out.triggers.length > 0) this.#take(out);
  }

  #take(out: DetectOutput): void {
    for (const t of out.triggers) this.#triggers.push({ id: t.id, kind: t.kind, json: JSON.stringify(t) });
  }

  counters(): DetectCounters {
    const d = detectStats(this.#state);
    return {
      invalid: { ...this.#invalid },
      late: this.#lateCount,
      duplicates: this.#duplicates,
      openCarts: d.openCarts,
      openSessions: d.openSessions,
      watermarkMs: finite(d.watermarkMs),
      unpublished: this.#triggers.length + this.#late.length,
    };
  }

  cut(): CutResult {
    const t0 = performance.now();
    const delta = this.#deltas < MAX_DELTAS && this.#deltaBytes < Math.max(this.#baseBytes, MIN_REBASE_BYTES);
    let stateGz: Uint8Array;
    if (delta) {
      stateGz = encodeSnapshot(snapshotDetectDeltaStream(this.#state));
      this.#deltaBytes += stateGz.byteLength;
      this.#deltas++;
    } else {
      stateGz = encodeSnapshot(snapshotDetectStream(this.#state));
      this.#state.changed.clear();
      this.#baseBytes = stateGz.byteLength;
      this.#deltaBytes = 0;
      this.#deltas = 0;
    }
    const snapshotMs = performance.now() - t0;
    const result = {
      triggers: this.#triggers,
      late: this.#late,
      stateGz,
      delta,
      snapshotMs,
      counters: this.counters(),
    };
    this.#triggers = [];
    this.#late = [];
    result.counters.unpublished = 0;
    return result;
  }
}
