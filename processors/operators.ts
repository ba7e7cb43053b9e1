import {
  asyncScheduler,
  interval,
  mergeMap,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
} from "rxjs";
import type { ShopEvent } from "../ingest/index.ts";
import { initialDetectState } from "./detect-state.ts";
import { type DetectInput, type DetectOptions, type DetectOutput, detect, flushDetect } from "./detector.ts";
import type { Trigger } from "./trigger.ts";

/** An event with its event time in epoch ms (what decode produces). */
export interface TimedEvent {
  event: ShopEvent;
  tsMs: number;
}

export interface DetectOperatorOptions extends DetectOptions {
  /** Wall clock for idle ticks and event arrival times. Default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** Period of the idle ticks that move the watermark on a quiet stream. Default 1 s. */
  idleAdvanceMs?: number;
  /** When the source completes, fire everything still pending (a finished replay). Default false. */
  flushOnComplete?: boolean;
}

/**
 * The detector as an operator: one `detect` state per subscription, fed with the source's events
 * (stamped with `scheduler.now()` as arrival time) and with a tick every `idleAdvanceMs` in which
 * no event arrived (so a lone cart on a quiet stream still fires).
 * Emits every non-empty DetectOutput (triggers, late events, duplicates).
 *
 * @example
 * events$.pipe(detectOutputs({ ...opts, idleAdvanceMs: 1000 })).subscribe((out) => deadLetter(out.late));
 */
export function detectOutputs(opts: DetectOperatorOptions): OperatorFunction<TimedEvent, DetectOutput> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const period = opts.idleAdvanceMs ?? 1_000;
  return (source) =>
    new Observable<DetectOutput>((subscriber) => {
      let state = initialDetectState();
      const emit = ([next, out]: ReturnType<typeof detect>) => {
        state = next;
        if (out.triggers.length > 0 || out.late.length > 0 || out.duplicates > 0) subscriber.next(out);
      };
      const step = (input: DetectInput) => emit(detect(state, input, opts));
      // Idle ticks only: while events flow they drive the watermark, so a replay sees the same watermarks.
      let arrived = false;
      const tick = () => {
        if (arrived) arrived = false;
        else step({ type: "tick", wallMs: scheduler.now() });
      };
      const ticks = interval(period, scheduler).subscribe(tick);
      const sub = source.subscribe({
        next: ({ event, tsMs }) => {
          arrived = true;
          step({ type: "event", event, tsMs, wallMs: scheduler.now() });
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          ticks.unsubscribe();
          if (opts.flushOnComplete) emit(flushDetect(state, opts));
          subscriber.complete();
        },
      });
      return () => {
        ticks.unsubscribe();
        sub.unsubscribe();
      };
    });
}

/**
 * Cart and browse abandonment triggers, in (fire time, profileId, kind) order. Late events and
 * duplicates are dropped here; use `detectOutputs` to see them.
 *
 * @example
 * events$.pipe(detectTriggers({ abandonAfterMs: 7_200_000, sessionGapMs: 1_800_000, minViews: 2, latenessMs: 300_000 }))
 */
export function detectTriggers(opts: DetectOperatorOptions): OperatorFunction<TimedEvent, Trigger> {
  return (source) =>
    source.pipe(
      detectOutputs(opts),
      mergeMap((out) => out.triggers),
    );
}

type Shared = Pick<DetectOperatorOptions, "latenessMs" | "scheduler" | "idleAdvanceMs" | "flushOnComplete">;

/**
 * `cart_abandoned` triggers only.
 *
 * @example events$.pipe(cartAbandonment({ abandonAfterMs: 7_200_000, latenessMs: 300_000 }))
 */
export function cartAbandonment(
  opts: Shared & { abandonAfterMs: number; cartTtlMs?: number },
): OperatorFunction<TimedEvent, Trigger> {
  return detectTriggers({ sessionGapMs: 0, minViews: 0, ...opts, kinds: ["cart_abandoned"] });
}

/**
 * `browse_abandoned` triggers only.
 *
 * @example events$.pipe(browseSessions({ sessionGapMs: 1_800_000, minViews: 2, latenessMs: 300_000 }))
 */
export function browseSessions(
  opts: Shared & { sessionGapMs: number; minViews: number },
): OperatorFunction<TimedEvent, Trigger> {
  return detectTriggers({ abandonAfterMs: 0, ...opts, kinds: ["browse_abandoned"] });
}
