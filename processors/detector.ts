import { NudgeError, type ShopEvent } from "../ingest/index.ts";
import { browseOnEvent, browseOnTimer } from "./browse.ts";
import { cartOnEvent, cartOnTimer } from "./cart.ts";
import { type DetectState, pendingTie, setCart, setSession } from "./detect-state.ts";
import { forgetIdsBefore, rememberId } from "./seen-ids.ts";
import type { Trigger, TriggerKind } from "./trigger.ts";
import { observeEventTime, observeWallTime } from "./watermark.ts";

export {
  mergeDetectSnapshots,
  restoreDetectState,
  snapshotDetectDelta,
  snapshotDetectDeltaStream,
  snapshotDetectState,
  snapshotDetectStream,
} from "./detect-snapshot.ts";
export { type DetectState, type DetectStats, detectStats, initialDetectState } from "./detect-state.ts";

/**
 * Detection: cart and browse abandonment in event time (DESIGN.md "Detection semantics"), as one
 * pure function `detect(state, input, opts) → [state, output]`: no clock, no I/O. For speed it
 * MUTATES the state it is given and returns that same object (keep a copy with
 * `JSON.stringify(snapshotDetectState(state))`), and outputs are read-only (empty ones are shared).
 *
 * - Watermark (watermark.ts): max event time seen − lateness; a `tick` moves it on with the wall
 *   clock while the stream is idle. An event with `tsMs < watermark` is `late`: output, state unchanged.
 *   Send ticks only while the consumer is caught up (or derive them from the log), so that a replay
 *   sees the same watermarks; events may carry their arrival `wallMs` to anchor the idle clock exactly.
 * - A repeated event id is dropped and counted (`duplicates`), checked before lateness. Ids are
 *   remembered until the watermark is `lateness` past their minute; an older repeat counts as late.
 * - Accepted events wait in a queue until the watermark passes them, then are applied in
 *   (event time, views first, event id) order; a timer (deadline, session close) fires once the
 *   watermark passes its time, before any event at the same time. So every input order within lateness gives the
 *   same triggers, and the triggers come out in (fire time, profileId, kind) order overall: a call
 *   fires exactly what is due before the new watermark, and each call's triggers are sorted.
 * - Cart rules: cart.ts; browse rules: browse.ts. profile_update is ignored (but deduped, and late
 *   when late).
 * - Per-profile state exists only while the profile has a cart (pending, or fired and younger than
 *   cartTtl) or an open session; buffered events live in one queue, not per profile.
 * - Trigger id: `${kind}:${profileId}:${windowStart ISO}` (windows of one profile never share a
 *   start); `at` = fire time; windowStart / windowEnd = first / last activity of the window.
 *
 * @example
 * let state = initialDetectState();
 * const opts = { abandonAfterMs: 7_200_000, sessionGapMs: 1_800_000, minViews: 2, latenessMs: 300_000 };
 * [state] = detect(state, { type: "event", event, tsMs: Date.parse(event.ts) }, opts);
 * const [, out] = detect(state, { type: "tick", wallMs: Date.now() }, opts); // out.triggers
 */
export interface DetectOptions {
  abandonAfterMs: number;
  sessionGapMs: number;
  minViews: number;
  latenessMs: number;
  /** A fired, still non-empty cart is forgotten after this much event time without activity. Default 7 days. */
  cartTtlMs?: number;
  /** Which machines run. Default both. */
  kinds?: readonly TriggerKind[];
}

export const DEFAULT_CART_TTL_MS = 7 * 24 * 3_600_000;

/** Advancing the watermark here fires everything still pending (end of a finite replay). */
export const END_OF_TIME_MS = 8.64e15;

export type DetectInput =
  | { type: "event"; event: ShopEvent; tsMs: number; seq?: number; wallMs?: number }
  | { type: "tick"; wallMs: number };

export interface LateEvent {
  event: ShopEvent;
  tsMs: number;
  watermarkMs: number;
}

export interface DetectOutput {
  triggers: Trigger[];
  late: LateEvent[];
  duplicates: number;
}

const NO_TRIGGERS: Trigger[] = [];
const NO_LATE: LateEvent[] = [];
Object.freeze(NO_TRIGGERS);
Object.freeze(NO_LATE);
/** The output of most calls, shared (and frozen) to spare an allocation per event. */
const NOTHING: DetectOutput = { triggers: NO_TRIGGERS, late: NO_LATE, duplicates: 0 };
Object.freeze(NOTHING);
const DUPLICATE: DetectOutput = { triggers: NO_TRIGGERS, late: NO_LATE, duplicates: 1 };
Object.freeze(DUPLICATE);

/** Outputs are read-only: the empty ones are shared between calls. */
export function detect(
  state: DetectState,
  input: DetectInput,
  opts: DetectOptions,
): [DetectState, DetectOutput] {
  if (input.type === "event") return [state, detectEvent(state, input.event, input.tsMs, opts, input.wallMs)];
  const w = state.watermark;
  observeWallTime(w, input.wallMs, opts.latenessMs);
  return [state, outputOf(advance(state, w.watermarkMs, opts))];
}

/**
 * `detect` for one event, `detect(state, { type: "event", event, tsMs, wallMs }, opts)[1]` without the
 * input object and the result pair: what a runtime calls once per message.
 */
export function detectEvent(
  state: DetectState,
  event: ShopEvent,
  tsMs: number,
  opts: DetectOptions,
  wallMs?: number,
): DetectOutput {
  if (!Number.isFinite(tsMs))
    throw new NudgeError("NUDGE_ERR_INTERNAL", `event ${event.id} has no valid event time`);
  const w = state.watermark;
  if (state.seen.ids.has(event.id)) return DUPLICATE;
  if (tsMs < w.watermarkMs) {
    return { triggers: NO_TRIGGERS, late: [{ event, tsMs, watermarkMs: w.watermarkMs }], duplicates: 0 };
  }
  rememberId(state.seen, event.id, tsMs);
  if (event.type !== "profile_update") state.pending.push(tsMs, pendingTie(event), event);
  const before = w.watermarkMs;
  observeEventTime(w, tsMs, opts.latenessMs, wallMs);
  // Nothing becomes due unless the watermark moved (or an event went in at or below it: not possible,
  // an event below it is late) — except what a previous call left due, which advance() never leaves.
  if (w.watermarkMs === before) return NOTHING;
  return outputOf(advance(state, w.watermarkMs, opts));
}

function outputOf(triggers: Trigger[]): DetectOutput {
  return triggers.length === 0 ? NOTHING : { triggers, late: NO_LATE, duplicates: 0 };
}

/** Fires everything still pending, as if the watermark reached the end of time (a finished replay). */
export function flushDetect(state: DetectState, opts: DetectOptions): [DetectState, DetectOutput] {
  state.watermark.watermarkMs = END_OF_TIME_MS;
  return [state, { triggers: advance(state, END_OF_TIME_MS, opts), late: NO_LATE, duplicates: 0 }];
}

/** Applies everything due before `wm`; returns the triggers fired, sorted (NO_TRIGGERS when none). */
function advance(state: DetectState, wm: number, opts: DetectOptions): Trigger[] {
  const { pending, cartTimers, sessionTimers } = state;
  let triggers = NO_TRIGGERS;
  for (;;) {
    const te = pending.peekTime();
    const tc = cartTimers.peekTime();
    const tb = sessionTimers.peekTime();
    let fired: Trigger | undefined;
    if (tc <= te && tc <= tb) {
      if (!(tc < wm)) break;
      const slot = state.carts.popTimer();
      if (slot >= 0) fired = onCartTimer(state, slot, tc, opts);
    } else if (tb <= te) {
      if (!(tb < wm)) break;
      const slot = state.sessions.popTimer();
      if (slot >= 0) fired = onSessionTimer(state, slot, tb, opts);
    } else {
      const event = te < wm ? pending.pop() : undefined;
      if (event === undefined) break;
      applyEvent(state, event, te, opts);
    }
    if (fired !== undefined) {
      if (triggers === NO_TRIGGERS) triggers = [];
      triggers.push(fired);
    }
  }
  forgetIdsBefore(state.seen, wm - opts.latenessMs);
  if (triggers.length > 1) triggers.sort(triggerOrder);
  return triggers;
}

function triggerOrder(a: Trigger, b: Trigger): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.profileId !== b.profileId) return a.profileId < b.profileId ? -1 : 1;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}

function enabled(opts: DetectOptions, kind: TriggerKind): boolean {
  return opts.kinds === undefined || opts.kinds.includes(kind);
}

function applyEvent(state: DetectState, event: ShopEvent, tsMs: number, opts: DetectOptions): void {
  const pid = event.profileId;
  const type = event.type;
  state.changed.add(pid);
  // Only these events change a cart (cartOnEvent leaves it as it is for the others).
  if (
    (type === "cart_add" || type === "cart_remove" || type === "checkout_start" || type === "purchase") &&
    enabled(opts, "cart_abandoned")
  ) {
    const slot = state.carts.slotOf(pid);
    const before = slot < 0 ? undefined : state.carts.load(slot);
    if (before !== undefined || type === "cart_add")
      setCart(state, pid, slot, cartOnEvent(before, event, tsMs, opts.abandonAfterMs));
  }
  // A view opens or extends a session; a cart_add or purchase converts an open one; nothing else counts.
  if (
    (type === "product_view" || type === "cart_add" || type === "purchase") &&
    enabled(opts, "browse_abandoned")
  ) {
    const slot = state.sessions.slotOf(pid);
    if (slot >= 0 || type === "product_view") {
      const before = slot < 0 ? undefined : state.sessions.load(slot);
      setSession(state, pid, slot, browseOnEvent(before, event, tsMs, opts));
    }
  }
}

/** The cart timer of `slot` at `t` (a current entry: see CartTable.popTimer). */
function onCartTimer(state: DetectState, slot: number, t: number, opts: DetectOptions): Trigger | undefined {
  const carts = state.carts;
  const pid = carts.ids[slot] as string;
  state.changed.add(pid);
  const cart = carts.load(slot);
  if (cart.timerMs > t) {
    setCart(state, pid, slot, cart); // the deadline moved on: queue it again
    return undefined;
  }
  const [after, trigger] = cartOnTimer(cart, pid, opts.cartTtlMs ?? DEFAULT_CART_TTL_MS);
  setCart(state, pid, slot, after);
  return trigger;
}

function onSessionTimer(
  state: DetectState,
  slot: number,
  t: number,
  opts: DetectOptions,
): Trigger | undefined {
  const sessions = state.sessions;
  const pid = sessions.ids[slot] as string;
  state.changed.add(pid);
  const session = sessions.load(slot);
  if (session.closeMs > t) {
    setSession(state, pid, slot, session);
    return undefined;
  }
  const trigger = browseOnTimer(session, pid, opts);
  setSession(state, pid, slot, undefined);
  return trigger;
}
