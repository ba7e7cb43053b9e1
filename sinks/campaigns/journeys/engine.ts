import type { NatsConnection } from "@nats-io/transport-node";
import type { Subscription } from "rxjs";
import {
  type Config,
  consumeStream,
  decodeEvent,
  messageOf,
  NudgeError,
  openBucket,
  type StreamMsg,
} from "../../../ingest/index.ts";
import type { Trigger } from "../../../processors/index.ts";
import type { SegmentRunner } from "../../../queries/index.ts";
import { AckTracker } from "../../delivery/ack-tracker.ts";
import { type Clock, systemClock } from "../../delivery/clock.ts";
import type { EmailSink } from "../../delivery/email-sink.ts";
import { retryDelay } from "../../delivery/retry.ts";
import { outcomeKey } from "../../delivery/sink-types.ts";
import { parseTrigger, requestFromTrigger } from "../../delivery/trigger-request.ts";
import type { Campaign } from "../definition.ts";
import { checkCondition, runCondition } from "./condition.ts";
import { EventClock } from "./event-clock.ts";
import {
  afterCondition,
  afterWait,
  decideEntry,
  end,
  type Journey,
  type JourneyInstance,
  nextAction,
} from "./instance.ts";
import { instanceKey, JourneyStore } from "./instance-store.ts";

export interface JourneyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JourneyDeps {
  nc: NatsConnection;
  config: Pick<Config, "LATENESS" | "IDLE_ADVANCE" | "MAX_IN_FLIGHT">;
  sink: Pick<EmailSink, "submit">;
  /** Conditions run here (the segment sandbox). */
  runner: SegmentRunner;
  /** Every campaign; the engine runs the `journey` ones. */
  campaigns: Iterable<Campaign>;
  /** Wall clock: idle ticks every IDLE_ADVANCE. Default: the system clock. */
  clock?: Clock;
  logger?: JourneyLogger;
}

export interface JourneyStats {
  triggers: number;
  /** Triggers of kinds without a journey, sent as the plain reminder. */
  defaultSends: number;
  entered: number;
  refused: Record<string, number>;
  sends: Record<string, number>;
  ended: Record<string, number>;
  active: number;
  /** Event time now (ms), or null before the first event. */
  eventTime: number | null;
  triggersSeq: number;
  eventsSeq: number;
}

export interface RunningJourneys {
  stats(): JourneyStats;
  /** The stored instance of a profile in a journey. */
  instance(journey: string, profileId: string): Promise<JourneyInstance | undefined>;
  /**
   * Takes changed definitions: new triggers enter the new journeys. An instance already in a changed
   * journey goes on at its step number in the new steps (as after a restart); the instances of a
   * removed journey pause where they are (kept in KV) and go on if a journey of that name comes back.
   * Throws, changing nothing, when a condition does not compile.
   */
  update(campaigns: Iterable<Campaign>): Promise<void>;
  /** Stops consuming, finishes work in hand, checkpoints. */
  stop(): Promise<void>;
}

const bump = (r: Record<string, number>, k: string) => {
  r[k] = (r[k] ?? 0) + 1;
};
const LAST_EXIT_LIMIT = 100_000;

/**
 * Starts the journey engine: consumes TRIGGERS (durable `journeys`) and EVENTS (durable
 * `journeys-events`, for exits and the event-time clock). A trigger whose kind has a journey starts
 * an instance for its profile (entry rules in `decideEntry`); its steps run in order — send through
 * the email sink (the first send keyed by the trigger id, the same key as the plain reminder), wait
 * in event time, condition in the segment sandbox, exit. An exit event (per `exitOn`) ends an
 * instance at any point. Triggers of kinds with no journey get the plain reminder
 * (`requestFromTrigger`), so the email sink can run with `consumeTriggers: false` beside this.
 * State and both positions live in KV `nudge_journeys`; a restart resumes where it stopped.
 *
 * @example
 * const journeys = await startJourneys({ nc, config, sink, runner, campaigns: loadCampaigns(dir).values() });
 */
export async function startJourneys(deps: JourneyDeps): Promise<RunningJourneys> {
  const { nc, config, sink, runner, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const store = new JourneyStore(await openBucket(nc, "journeys"));
  const journeysOf = (campaigns: Iterable<Campaign>) =>
    [...campaigns].filter((c): c is Journey => c.kind === "journey");
  let journeys = journeysOf(deps.campaigns);
  let byName = new Map(journeys.map((j) => [j.name, j]));
  const stats: JourneyStats = {
    triggers: 0,
    defaultSends: 0,
    entered: 0,
    refused: {},
    sends: {},
    ended: {},
    active: 0,
    eventTime: null,
    triggersSeq: await store.triggersSeq(),
    eventsSeq: 0,
  };
  const pos = await store.eventsPosition();
  stats.eventsSeq = pos.seq;
  const time = new EventClock(config.LATENESS, pos);
  let savedEventsSeq = pos.seq;

  /** Active instances by key, and the keys of each profile (for exits). */
  const active = new Map<string, JourneyInstance>();
  const byProfile = new Map<string, Set<string>>();
  /** Latest exit-event time per profile and type, for triggers consumed after the exit event. */
  const lastExit = new Map<string, number>();
  let nextDue = Number.POSITIVE_INFINITY;
  /** Instances whose last step failed (a fault): retried on every idle tick. */
  const retry = new Set<string>();

  const untrack = (key: string, profileId: string) => {
    active.delete(key);
    const keys = byProfile.get(profileId);
    keys?.delete(key);
    if (keys?.size === 0) byProfile.delete(profileId);
  };
  const track = (inst: JourneyInstance) => {
    const key = instanceKey(inst.journey, inst.profileId);
    if (inst.status !== "active") untrack(key, inst.profileId);
    else {
      active.set(key, inst);
      byProfile.set(inst.profileId, (byProfile.get(inst.profileId) ?? new Set()).add(key));
      if (inst.waitUntil !== undefined && inst.waitUntil < nextDue) nextDue = inst.waitUntil;
    }
    stats.active = active.size;
  };
  const checkConditions = async (list: readonly Journey[]) => {
    for (const j of list) {
      for (const [i, s] of j.steps.entries()) {
        if ("condition" in s) await checkCondition(runner, s.condition.sql, `journey ${j.name}, step ${i}`);
      }
    }
  };
  /** Tracks the stored active instances of the named journeys. */
  const resume = async (names: ReadonlySet<string>) => {
    for (const inst of await store.active()) {
      if (!names.has(inst.journey)) continue;
      track(inst);
      // Stopped between two steps (not in a wait): go on at the first tick (sends are deduped by key).
      if (inst.waitUntil === undefined) retry.add(instanceKey(inst.journey, inst.profileId));
    }
  };
  await checkConditions(journeys);
  await resume(new Set(byName.keys()));

  // One chain per instance key: a trigger, an exit and a wake-up of the same instance never interleave.
  const locks = new Map<string, Promise<unknown>>();
  const withLock = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return run;
  };

  const save = async (inst: JourneyInstance) => {
    await store.put(inst);
    track(inst);
    if (inst.status !== "active") bump(stats.ended, inst.reason ?? inst.status);
  };

  /** Runs an active instance's steps until it waits or ends. */
  const advance = async (key: string): Promise<void> => {
    for (;;) {
      const inst = active.get(key);
      const journey = inst && byName.get(inst.journey);
      if (!inst || !journey) return;
      const now = time.now();
      const a = nextAction(inst, journey.steps, now);
      if (a.type === "send") {
        const r = await sink.submit({
          triggerId: a.triggerId,
          campaign: journey.name,
          profileId: inst.profileId,
          template: a.template,
          items: inst.items,
          strategy: a.strategy,
        });
        const status = outcomeKey(r);
        bump(stats.sends, status);
        await save({ ...inst, step: a.step + 1, sends: { ...inst.sends, [a.step]: status } });
      } else if (a.type === "wait") {
        if (a.due) await save(afterWait(inst, a.until));
        else {
          if (inst.waitUntil !== a.until) await save({ ...inst, waitUntil: a.until });
          return;
        }
      } else if (a.type === "condition") {
        const at = Number.isFinite(now) ? now : inst.baseMs;
        let ok: boolean;
        try {
          ok = await runCondition(runner, a.sql, {
            profileId: inst.profileId,
            enteredAt: inst.enteredAt,
            now: at,
          });
        } catch (err) {
          // A timeout may pass; SQL that DuckDB or the sandbox refuses will not: end rather than loop.
          if (err instanceof NudgeError && err.code !== "NUDGE_ERR_SEGMENT_TIMEOUT") {
            logger?.error({ err: err.message, key }, "journey condition failed; instance ended");
            await save(end(inst, "exited", "condition_error", at));
            return;
          }
          throw err;
        }
        await save(afterCondition(inst, ok, a.onFalse, at));
      } else {
        await save(end(inst, a.status, a.reason, Number.isFinite(now) ? now : inst.baseMs));
        return;
      }
    }
  };

  const advanceOrRetry = (key: string) =>
    withLock(key, () => advance(key)).then(
      () => retry.delete(key),
      (err: unknown) => {
        retry.add(key);
        logger?.error({ err: messageOf(err), key }, "journey step failed, will retry");
      },
    );

  /** Wakes every instance whose wait is over at the current event time. */
  const fireDue = async () => {
    const now = time.now();
    if (now < nextDue) return;
    nextDue = Number.POSITIVE_INFINITY;
    const due: string[] = [];
    for (const [key, inst] of active) {
      if (inst.waitUntil === undefined) continue;
      if (inst.waitUntil <= now) due.push(key);
      else if (inst.waitUntil < nextDue) nextDue = inst.waitUntil;
    }
    await Promise.all(due.map(advanceOrRetry));
  };

  // Events and idle ticks share one serial queue: exits and clock moves happen in stream order.
  let timeline: Promise<unknown> = Promise.resolve();
  const serial = (fn: () => Promise<unknown>) => {
    timeline = timeline.then(fn).catch((err: unknown) => {
      logger?.error({ err: messageOf(err) }, "journey timeline step failed");
    });
    return timeline;
  };
  const saveEvents = async () => {
    if (stats.eventsSeq === savedEventsSeq) return;
    savedEventsSeq = stats.eventsSeq;
    await store.saveEventsPosition({ seq: savedEventsSeq, ...time.snapshot() });
  };

  let exitTypes = new Set<string>(journeys.flatMap((j) => j.exitOn));
  const handleEvent = async (m: StreamMsg) => {
    const d = decodeEvent(m.subject, m.data);
    if (d.ok) {
      const ev = d.event;
      if (exitTypes.has(ev.type)) {
        const lk = `${ev.type}|${ev.profileId}`;
        if ((lastExit.get(lk) ?? Number.NEGATIVE_INFINITY) < d.tsMs) {
          if (lastExit.size >= LAST_EXIT_LIMIT) lastExit.delete(lastExit.keys().next().value ?? "");
          lastExit.set(lk, d.tsMs);
        }
        for (const key of [...(byProfile.get(ev.profileId) ?? [])]) {
          await withLock(key, async () => {
            const inst = active.get(key);
            const journey = inst && byName.get(inst.journey);
            if (!inst || !journey?.exitOn.some((t) => t === ev.type) || d.tsMs < inst.enteredAt) return;
            await save(end(inst, "exited", ev.type, d.tsMs));
          });
        }
      }
      if (time.observeEvent(d.tsMs, clock.now())) await fireDue();
    }
    stats.eventTime = Number.isFinite(time.now()) ? time.now() : null;
    stats.eventsSeq = m.seq;
    m.ack();
  };

  const handleTrigger = async (t: Trigger) => {
    stats.triggers++;
    const matching = journeys.filter((j) => j.trigger === t.kind);
    if (matching.length === 0) {
      await sink.submit(requestFromTrigger(t));
      stats.defaultSends++;
      return;
    }
    for (const journey of matching) {
      const key = instanceKey(journey.name, t.profileId);
      await withLock(key, async () => {
        const existing = active.get(key) ?? (await store.get(key));
        const lastExitMs = Math.max(
          ...journey.exitOn.map((type) => lastExit.get(`${type}|${t.profileId}`) ?? Number.NEGATIVE_INFINITY),
        );
        const d = decideEntry(journey, t, existing, Number.isFinite(lastExitMs) ? lastExitMs : undefined);
        if (!d.enter) {
          bump(stats.refused, d.reason);
          if (d.reason === "resume") await advance(key);
          return;
        }
        stats.entered++;
        await save(d.instance);
        await advance(key);
      });
    }
  };

  let stopping = false;
  const inFlight = new Set<Promise<unknown>>();
  let checkpointing: Promise<unknown> = Promise.resolve();
  const acks = new AckTracker((seq, ack) => {
    ack();
    stats.triggersSeq = seq;
    checkpointing = checkpointing.then(() => store.saveTriggersSeq(seq)).catch(() => {});
  });
  const onTrigger = (m: StreamMsg) => {
    acks.add(m.seq, () => m.ack());
    const parsed = parseTrigger(m.data);
    const work = (async () => {
      if (!parsed.success) {
        logger?.warn({ seq: m.seq, error: parsed.error.message }, "not a trigger, skipped");
        return;
      }
      for (let attempt = 1; !stopping; attempt++) {
        try {
          await handleTrigger(parsed.data);
          return;
        } catch (err) {
          logger?.error({ err: messageOf(err), trigger: parsed.data.id }, "journey trigger failed, retrying");
          await systemClock.sleep(retryDelay(attempt, 500, 30_000));
        }
      }
      throw new Error("stopping");
    })();
    inFlight.add(work);
    work.then(
      () => acks.done(m.seq),
      () => {},
    );
    void work.finally(() => inFlight.delete(work)).catch(() => {});
  };

  const subs: Subscription[] = [];
  subs.push(
    consumeStream(nc, {
      stream: "EVENTS",
      durable: "journeys-events",
      startSeq: pos.seq + 1,
      maxInFlight: config.MAX_IN_FLIGHT,
    }).subscribe({
      next: (m) => void serial(() => handleEvent(m)),
      error: (err) => logger?.error({ err: messageOf(err) }, "EVENTS consumer (journeys) stopped"),
    }),
    consumeStream(nc, {
      stream: "TRIGGERS",
      durable: "journeys",
      startSeq: stats.triggersSeq + 1,
      maxInFlight: config.MAX_IN_FLIGHT,
      ackWaitMs: 300_000,
    }).subscribe({
      next: onTrigger,
      error: (err) => logger?.error({ err: messageOf(err) }, "TRIGGERS consumer (journeys) stopped"),
    }),
  );

  // Idle ticks: the wall clock moves event time on while the stream is quiet; checkpoint the position.
  void (async () => {
    while (!stopping) {
      await clock.sleep(config.IDLE_ADVANCE);
      if (stopping) break;
      void serial(async () => {
        if (retry.size > 0) await Promise.all([...retry].map(advanceOrRetry));
        if (time.observeWall(clock.now())) {
          stats.eventTime = time.now();
          await fireDue();
        }
        await saveEvents();
      });
    }
  })();
  logger?.info({ journeys: journeys.map((j) => j.name), active: active.size }, "journeys started");

  return {
    stats: () => ({
      ...stats,
      refused: { ...stats.refused },
      sends: { ...stats.sends },
      ended: { ...stats.ended },
    }),
    instance: (journey, profileId) => store.get(instanceKey(journey, profileId)),
    async update(campaigns) {
      const next = journeysOf(campaigns);
      await checkConditions(next.filter((j) => byName.get(j.name) !== j));
      // On the event timeline: an exit or a clock move never sees half the change.
      const applied = timeline.then(async () => {
        const added = new Set(next.filter((j) => !byName.has(j.name)).map((j) => j.name));
        journeys = next;
        byName = new Map(next.map((j) => [j.name, j]));
        exitTypes = new Set(next.flatMap((j) => j.exitOn));
        for (const [key, inst] of [...active]) {
          if (byName.has(inst.journey)) continue;
          untrack(key, inst.profileId);
          retry.delete(key);
        }
        stats.active = active.size;
        if (added.size > 0) await resume(added);
        logger?.info({ journeys: next.map((j) => j.name), active: active.size }, "journeys updated");
      });
      timeline = applied.catch(() => {});
      await applied;
    },
    async stop() {
      stopping = true;
      for (const s of subs) s.unsubscribe();
      await Promise.allSettled([...inFlight]);
      await timeline;
      await Promise.allSettled([...locks.values()]);
      await saveEvents();
      await checkpointing;
    },
  };
}
