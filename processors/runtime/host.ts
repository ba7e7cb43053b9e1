import type { NatsConnection } from "@nats-io/transport-node";
import { type Logger, pino } from "pino";
import { asyncScheduler, interval, type SchedulerLike, Subscription } from "rxjs";
import {
  type Config,
  consumeStream,
  deadLetterMessage,
  messageOf,
  type StreamMsg,
} from "../../ingest/index.ts";
import { type DetectOptions, initialDetectState, snapshotDetectState } from "../detector.ts";
import { openCheckpoints } from "./checkpoint.ts";
import { type DetectEngine, inlineEngine, workerEngine } from "./detect-engine.ts";
import type { CutResult } from "./detect-runner.ts";
import { type Partition, partitionFilter, processorName } from "./partition.ts";
import { encodeSnapshot } from "./snapshot-codec.ts";
import { emptyStats, type ProcessorStats } from "./stats.ts";
import { publishAll, publishedSince, triggerMessage, triggersLastSeq } from "./trigger-publisher.ts";

export type ProcessorsConfig = Pick<
  Config,
  "ABANDON_AFTER" | "SESSION_GAP" | "MIN_VIEWS" | "LATENESS" | "IDLE_ADVANCE" | "MAX_IN_FLIGHT"
>;

export interface ProcessorsDeps {
  nc: NatsConnection;
  config: ProcessorsConfig;
  logger?: Logger;
  /** This instance owns partition `index` of `count` (server mapping `partition(count, …)`); omitted: all events. */
  partition?: Partition;
  /** Wall clock for idle ticks and checkpoint timers; tests pass a virtual one. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /**
   * Checkpoint after this many events or this many ms, whichever first (defaults 20,000 and 1,000);
   * `chunkBytes` bounds one KV value (default: the server's max_payload less 64 KiB). A large state makes
   * snapshots slow: they are then spaced `costFactor` (default 10) times their own duration apart.
   */
  checkpoint?: { everyEvents?: number; everyMs?: number; chunkBytes?: number; costFactor?: number };
  /** Interval of the stats log line; default 10 s. */
  statsEveryMs?: number;
  /**
   * Run decode → detect on a worker thread, so that NATS receive, publishing and checkpoint writes on
   * this thread overlap with it. Default false: on a shared 2-core machine (nats-server on the other
   * core) the worker did not win (300k events: 45–52k/s vs 49–72k/s here, +25% CPU for the copies and
   * messages) and its heap held more garbage (peak RSS 1.05–1.3 GiB vs 0.91 GiB at 1M profiles).
   * Try it where cores are free: `BENCH_DETECT_THREAD=1 npm run bench:detect`.
   */
  detectThread?: boolean;
}

export interface Processors {
  readonly name: string;
  stats(): ProcessorStats;
  /** Stops consuming and flushes the last batch: publish, checkpoint, ack. */
  stop(): Promise<void>;
  /** Settles when the host stops; rejects on a fault (a publish or checkpoint failed): restart to resume. */
  readonly done: Promise<void>;
}

interface Batch {
  count: number;
  last: StreamMsg | undefined;
}
const newBatch = (): Batch => ({ count: 0, last: undefined });

/**
 * Hosts detection over the EVENTS stream: decode → `detect` → publish triggers, exactly once across
 * crashes. Per batch: publish its triggers and late dead letters (PubAcks awaited) → checkpoint the
 * state after the batch with its last sequence → ack. On start: load the checkpoint, skip triggers
 * already published after it, and consume from its sequence + 1.
 *
 * @example
 * const p = await startProcessors({ nc, config, logger, partition: { index: 0, count: 2 } });
 * process.on("SIGTERM", () => p.stop());
 */
/** The detector's options from config (ABANDON_AFTER, SESSION_GAP, MIN_VIEWS, LATENESS). */
export function detectOptions(config: ProcessorsConfig): DetectOptions {
  return {
    abandonAfterMs: config.ABANDON_AFTER,
    sessionGapMs: config.SESSION_GAP,
    minViews: config.MIN_VIEWS,
    latenessMs: config.LATENESS,
  };
}

export async function startProcessors(deps: ProcessorsDeps): Promise<Processors> {
  const { nc, config } = deps;
  const scheduler = deps.scheduler ?? asyncScheduler;
  const name = processorName(deps.partition);
  const log = (deps.logger ?? pino({ level: "info" })).child({ component: "processors", processor: name });
  const opts = detectOptions(config);
  const everyEvents = deps.checkpoint?.everyEvents ?? 20_000;
  const everyMs = deps.checkpoint?.everyMs ?? 1_000;
  // Un-acked = the batch being flushed + the one filling; the server stops delivering at this bound,
  // so a batch is cut at half of it whatever the throttle says.
  const maxInFlight = Math.max(config.MAX_IN_FLIGHT, everyEvents * 4, 200_000);
  const maxBatch = Math.floor(maxInFlight / 2);
  /** A snapshot blocks the event loop; spacing them ≥ this many times their cost keeps them under ~10%. */
  const costFactor = deps.checkpoint?.costFactor ?? 10;

  const store = await openCheckpoints(nc, name, { chunkBytes: deps.checkpoint?.chunkBytes });
  const cp = await store.load();
  let triggersSeq = cp?.triggersSeq ?? (await triggersLastSeq(nc));
  if (!cp) {
    // A first checkpoint fixes where this instance's triggers start, for reconciliation after a crash.
    await store.save({
      lastSeq: 0,
      watermarkMs: null,
      triggersSeq,
      stateGz: encodeSnapshot(snapshotDetectState(initialDetectState())),
    });
  }
  log.debug({ lastSeq: cp?.lastSeq ?? 0, triggersSeq }, "reconciling with TRIGGERS");
  const skip = await publishedSince(nc, name, triggersSeq);
  const stats = emptyStats(name);
  stats.lastSeq = cp?.lastSeq ?? 0;

  let batch = newBatch();
  let flushing: Promise<void> | undefined;
  let stopped = false;
  let failed = false;
  let settle: { resolve(): void; reject(e: unknown): void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  done.catch(() => {}); // the owner observes `done`; an unobserved fault must not crash a test runner

  const engineOptions = { opts, restored: cp, onFault: (err: unknown) => fail(err) };
  const engine: DetectEngine = deps.detectThread
    ? await workerEngine(engineOptions)
    : inlineEngine(engineOptions);
  log.info({ lastSeq: stats.lastSeq, triggersSeq, alreadyPublished: skip.size }, "processors starting");

  const flush = async (b: Batch, lastSeq: number, cut: CutResult) => {
    const t0 = scheduler.now();
    const triggers = [];
    const kinds = { cart_abandoned: 0, browse_abandoned: 0 };
    for (const t of cut.triggers) {
      if (skip.delete(t.id)) {
        stats.reconciled++;
        continue;
      }
      triggers.push(triggerMessage(t, name));
      kinds[t.kind]++;
    }
    const dlq = cut.late.map((l) => deadLetterMessage("late", l, l.error));
    const pub = await publishAll(nc, triggers);
    const dlqOut = await publishAll(nc, dlq);
    if (pub.lastSeq > triggersSeq) triggersSeq = pub.lastSeq;
    const watermarkMs = cut.counters.watermarkMs;
    const saved = await store.save({
      lastSeq,
      watermarkMs,
      triggersSeq,
      stateGz: cut.stateGz,
      delta: cut.delta,
    });
    b.last?.ack();
    stats.lastSeq = lastSeq;
    stats.checkpoints++;
    stats.pubAckDuplicates += pub.duplicates;
    stats.dlqDuplicates += dlqOut.duplicates;
    stats.triggersOut.cart_abandoned += kinds.cart_abandoned;
    stats.triggersOut.browse_abandoned += kinds.browse_abandoned;
    stats.lastCheckpoint = {
      seq: lastSeq,
      bytes: saved.bytes,
      chunks: saved.chunks,
      snapshotMs: Math.round(cut.snapshotMs),
      ms: scheduler.now() - t0,
    };
    if (pub.duplicates > 0) log.warn({ duplicates: pub.duplicates }, "TRIGGERS dropped republished triggers");
    log.debug({ lastSeq, triggers: triggers.length, ...stats.lastCheckpoint }, "checkpoint");
  };

  const timers = new Subscription();
  const fail = (err: unknown) => {
    if (stopped) return;
    stopped = true;
    timers.unsubscribe();
    log.error(
      { err: messageOf(err) },
      "processors stopped on a fault; restart resumes from the last checkpoint",
    );
    void engine.close();
    settle?.reject(err);
  };

  let lastCutAt = performance.now();
  let snapshotMs = 0;
  const throttled = () => performance.now() - lastCutAt < costFactor * snapshotMs;
  /** A batch is cut at maxBatch whatever the throttle says, at everyEvents when not throttled. */
  const due = () => batch.count >= maxBatch || (batch.count >= everyEvents && !throttled());
  const nothingToCut = () => batch.count === 0 && engine.counters().unpublished === 0;

  /**
   * Hands the batch to the flusher; while a flush runs, batches coalesce (one checkpoint for both).
   * The engine answers the cut with the effects of exactly this batch's messages and ticks.
   */
  const cut = () => {
    if (flushing) return;
    if (nothingToCut()) return;
    const b = batch;
    batch = newBatch();
    const lastSeq = b.last?.seq ?? stats.lastSeq;
    flushing = engine
      .cut()
      .then((result) => {
        lastCutAt = performance.now();
        snapshotMs = result.snapshotMs;
        return flush(b, lastSeq, result);
      })
      .then(
        () => {
          flushing = undefined;
          if (!stopped && due()) cut();
        },
        (err: unknown) => {
          flushing = undefined;
          failed = true;
          fail(err);
        },
      );
  };

  const onMsg = (msg: StreamMsg) => {
    if (stopped) return;
    stats.eventsIn++;
    arrivedSinceTick++;
    batch.count++;
    batch.last = msg;
    engine.event(msg, scheduler.now());
    if (due()) cut();
  };

  /**
   * Idle ticks only: a tick while messages flow would let the wall clock, not the log, move the
   * watermark, and a replay (after a crash) would then not be deterministic. Ticks resume once no
   * message arrived for a whole IDLE_ADVANCE.
   */
  let arrivedSinceTick = 0;
  const tick = () => {
    if (stopped) return;
    if (arrivedSinceTick > 0) {
      arrivedSinceTick = 0;
      return;
    }
    engine.tick(scheduler.now());
  };

  const current = (): ProcessorStats => {
    const d = engine.counters();
    stats.invalid = d.invalid;
    stats.late = d.late;
    stats.duplicates = d.duplicates;
    stats.openCarts = d.openCarts;
    stats.openSessions = d.openSessions;
    stats.watermarkMs = d.watermarkMs;
    stats.watermarkLagMs = stats.watermarkMs === null ? null : scheduler.now() - stats.watermarkMs;
    return structuredClone(stats);
  };

  timers.add(
    consumeStream(nc, {
      stream: "EVENTS",
      durable: name,
      ...(deps.partition ? { filterSubject: partitionFilter(deps.partition.index) } : {}),
      startSeq: stats.lastSeq + 1,
      maxInFlight,
      // The checkpoint's sequence is the position (a restart resumes after it): acks would only cost
      // the server bookkeeping for every message in flight.
      acks: "none",
    }).subscribe({ next: onMsg, error: fail }),
  );
  timers.add(interval(config.IDLE_ADVANCE, scheduler).subscribe(tick));
  timers.add(interval(everyMs, scheduler).subscribe(() => throttled() || cut()));
  timers.add(
    interval(deps.statsEveryMs ?? 10_000, scheduler).subscribe(() => log.info({ stats: current() }, "stats")),
  );

  return {
    name,
    stats: current,
    done,
    async stop() {
      if (stopped) return done;
      timers.unsubscribe();
      while (!failed) {
        if (flushing) await flushing;
        else if (nothingToCut()) break;
        else cut();
      }
      if (failed) return done;
      stopped = true;
      await engine.close();
      log.info({ stats: current() }, "processors stopped");
      settle?.resolve();
      return done;
    },
  };
}
