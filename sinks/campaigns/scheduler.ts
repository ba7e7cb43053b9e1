import { isDeepStrictEqual } from "node:util";
import type { KV } from "@nats-io/kv";
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { messageOf, NudgeError } from "../../ingest/index.ts";
import type { SegmentParams, SegmentRunner } from "../../queries/index.ts";
import type { Clock } from "../delivery/clock.ts";
import type { Campaign } from "./definition.ts";
import { audienceSql } from "./run-workflow.ts";
import type { CampaignService } from "./service.ts";

type Scheduled = Extract<Campaign, { kind: "action" | "orchestrated" }>;
export type Schedule = NonNullable<Scheduled["schedule"]>;
type Armed = Scheduled & { schedule: Schedule };

const scheduledOf = (defs: Iterable<Campaign>): Armed[] =>
  [...defs].filter(
    (c): c is Armed => (c.kind === "action" || c.kind === "orchestrated") && c.schedule !== undefined,
  );

/**
 * The first fire time strictly after `afterMs` (ms), or undefined when there is none (a past `at`).
 * Cron expressions are read in the schedule's IANA time zone, so `0 9 * * 1` in Europe/Paris is 08:00
 * UTC in winter and 07:00 UTC in summer.
 *
 * @example nextFireTime({ cron: "0 9 * * 1", timezone: "Europe/Paris" }, Date.parse("2026-11-23T00:00:00Z")) // 2026-11-23T08:00Z
 */
export function nextFireTime(schedule: Schedule, afterMs: number): number | undefined {
  if ("at" in schedule) {
    const at = Date.parse(schedule.at);
    return at > afterMs ? at : undefined;
  }
  try {
    return CronExpressionParser.parse(schedule.cron, {
      currentDate: new Date(afterMs),
      tz: schedule.timezone,
    })
      .next()
      .getTime();
  } catch (err) {
    throw new NudgeError(
      "NUDGE_ERR_CAMPAIGN",
      `schedule ${schedule.cron} (${schedule.timezone}): ${messageOf(err)}`,
    );
  }
}

/**
 * The fire a scheduler owes at `nowMs` when it last fired (or was first seen) at `sinceMs`: the LATEST
 * fire time in (sinceMs, nowMs], or undefined. Several missed fires collapse into one.
 */
export function missedFire(schedule: Schedule, sinceMs: number, nowMs: number): number | undefined {
  let owed: number | undefined;
  let t = nextFireTime(schedule, sinceMs);
  for (let i = 0; t !== undefined && t <= nowMs && i < 100_000; i++) {
    owed = t;
    t = nextFireTime(schedule, t);
  }
  return owed;
}

const ScheduleState = z.object({
  /** When the scheduler first saw this campaign: fires before it are not owed. */
  since: z.number(),
  lastFiredMs: z.number().nullable(),
  lastRunId: z.string().nullable(),
  error: z.string().optional(),
  /** The schedule (JSON) these fields are for: when it changes, fires before the change are not owed. */
  schedule: z.string().optional(),
});
type ScheduleState = z.infer<typeof ScheduleState>;

export interface SchedulerDeps {
  campaigns: Pick<CampaignService, "startRun" | "settled">;
  /** Campaign definitions; those of kind action/orchestrated with a `schedule` are run. */
  defs: Iterable<Campaign>;
  clock: Clock;
  /** KV `nudge_state`: `schedule.<name>` keeps the last fire. */
  state: KV;
  /** To pass `$now` (the fire time) to audiences that use it. Without it, params are `{}`. */
  runner?: SegmentRunner;
  logger?: { info(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

export interface RunningScheduler {
  /** Next fire time per campaign (ms), as planned now. */
  next(): Record<string, number | undefined>;
  /** Resolves when every scheduled loop has settled its current fire (for tests). */
  idle(): Promise<void>;
  /**
   * Re-arms after definitions changed: a new or changed schedule starts planning now (a changed one
   * owes no fire from before the change), a removed one stops. A fire already running finishes.
   * Resolves once every new loop has planned its next fire (see `next`).
   */
  update(defs: Iterable<Campaign>): Promise<void>;
  stop(): void;
}

/** Sleeps are cut in slices so a far-away fire never overflows setTimeout (and stop is noticed). */
const SLICE_MS = 3_600_000;

/**
 * Runs scheduled action and orchestrated campaigns: at each fire time, `startRun(name, { dryRun: false,
 * runId: <fire time ISO> })`, then waits until its sends are final and records the fire in KV
 * `nudge_state` (`schedule.<name>`). The run id is part of every send's ledger key, so a double fire or
 * a crash between the run and the record never sends twice; after downtime, missed fires run once
 * (the latest of them).
 *
 * @example
 * const s = startCampaignScheduler({ campaigns, defs: defs.values(), clock: systemClock, state });
 */
export function startCampaignScheduler(deps: SchedulerDeps): RunningScheduler {
  const { clock, state, logger } = deps;
  let stopped = false;
  const planned: Record<string, number | undefined> = {};
  /** One loop per scheduled campaign, with the definition it runs; a replaced loop is cancelled. */
  const loops = new Map<string, { def: Armed; cancelled: boolean }>();

  const read = async (name: string): Promise<{ s: ScheduleState; revision: number } | undefined> => {
    const e = await state.get(`schedule.${name}`);
    if (e?.operation !== "PUT" || e.value.length === 0) return undefined;
    const parsed = ScheduleState.safeParse(e.json());
    return parsed.success ? { s: parsed.data, revision: e.revision } : undefined;
  };

  const paramsFor = async (c: Scheduled, fireMs: number): Promise<SegmentParams> => {
    if (!deps.runner || "now" in c.audience.params) return {};
    const text = `${await audienceSql(deps.runner, c.audience)}\n${JSON.stringify(c)}`;
    return /\$now\b/.test(text) ? { now: new Date(fireMs).toISOString() } : {};
  };

  const fire = async (c: Armed, fireMs: number) => {
    const runId = new Date(fireMs).toISOString();
    let error: string | undefined;
    try {
      const run = await deps.campaigns.startRun(c.name, {
        dryRun: false,
        params: await paramsFor(c, fireMs),
        runId,
      });
      await deps.campaigns.settled(run.id);
      logger?.info({ campaign: c.name, runId, steps: run.steps.length }, "scheduled run done");
    } catch (err) {
      error = messageOf(err);
      logger?.error({ campaign: c.name, runId, err: error }, "scheduled run failed");
    }
    const prev = await read(c.name);
    const next: ScheduleState = {
      since: prev?.s.since ?? fireMs,
      lastFiredMs: Math.max(fireMs, prev?.s.lastFiredMs ?? fireMs),
      lastRunId: runId,
      ...(error ? { error } : {}),
      schedule: JSON.stringify(c.schedule),
    };
    await state.put(`schedule.${c.name}`, JSON.stringify(next));
  };

  // Work between two sleeps is tracked, so `idle()` can wait for it.
  const busy = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    busy.add(p);
    void p.finally(() => busy.delete(p)).catch(() => {});
    return p;
  };

  const catchUp = async (c: Armed, token: { cancelled: boolean }, armed: () => void): Promise<number> => {
    const schedule = JSON.stringify(c.schedule);
    let cur = await read(c.name);
    if (!cur) {
      const s: ScheduleState = { since: clock.now(), lastFiredMs: null, lastRunId: null, schedule };
      await state.create(`schedule.${c.name}`, JSON.stringify(s)).catch(() => 0);
      cur = await read(c.name);
    } else if (cur.s.schedule !== schedule) {
      // A new schedule (or state written before schedules were recorded): owe nothing from before it.
      const since = cur.s.schedule === undefined ? cur.s.since : clock.now();
      await state.put(`schedule.${c.name}`, JSON.stringify({ ...cur.s, since, schedule }));
      cur = await read(c.name);
    }
    const since = Math.max(cur?.s.lastFiredMs ?? Number.NEGATIVE_INFINITY, cur?.s.since ?? clock.now());
    const owed = missedFire(c.schedule, since, clock.now());
    if (owed === undefined || stopped || token.cancelled) return since;
    planned[c.name] = owed;
    armed(); // an update does not wait for a catch-up run
    await fire(c, owed);
    return owed;
  };

  const wake = async (c: Armed, at: number) => {
    const last = (await read(c.name))?.s.lastFiredMs ?? null;
    if (last === null || last < at) await fire(c, at);
  };

  const loop = async (c: Armed, token: { cancelled: boolean }, armed: () => void) => {
    const off = () => stopped || token.cancelled;
    let since = await track(catchUp(c, token, armed));
    for (;;) {
      const at = nextFireTime(c.schedule, since);
      if (off()) return;
      planned[c.name] = at;
      armed();
      if (at === undefined) return;
      while (!off() && clock.now() < at) await clock.sleep(Math.min(SLICE_MS, at - clock.now()));
      if (off()) return;
      await track(wake(c, at));
      since = at;
    }
  };

  const update = async (defs: Iterable<Campaign>) => {
    const next = new Map(scheduledOf(defs).map((c) => [c.name, c]));
    const forgetting: Promise<unknown>[] = [];
    for (const [name, token] of loops) {
      if (isDeepStrictEqual(next.get(name), token.def)) continue;
      token.cancelled = true;
      loops.delete(name);
      delete planned[name];
      // A deleted campaign owes nothing: created again later, it starts planning from then.
      if (!next.has(name)) forgetting.push(state.delete(`schedule.${name}`).catch(() => {}));
    }
    await Promise.all(forgetting);
    const arming: Promise<void>[] = [];
    for (const c of next.values()) {
      if (loops.has(c.name)) continue;
      const token = { def: c, cancelled: false };
      loops.set(c.name, token);
      arming.push(
        new Promise<void>((armed) => {
          loop(c, token, armed)
            .catch((err: unknown) =>
              logger?.error({ campaign: c.name, err: messageOf(err) }, "scheduler stopped"),
            )
            .finally(armed);
        }),
      );
    }
    await Promise.all(arming);
  };
  void update(deps.defs);

  return {
    update,
    next: () => ({ ...planned }),
    async idle() {
      // Loops wake in a microtask after a clock move; give them a few turns, then wait for their work.
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
        while (busy.size > 0) await Promise.allSettled([...busy]);
      }
    },
    stop() {
      stopped = true;
    },
  };
}
