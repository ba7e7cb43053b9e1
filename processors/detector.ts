import type { ShopEvent } from "../ingest/index.ts";
import type { Trigger, TriggerKind } from "./trigger.ts";

/**
 * Detection: cart and browse abandonment in event time (DESIGN.md "Detection semantics").
 * STUB: the interface is final, the bodies follow.
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

export interface DetectState {
  watermarkMs: number;
}

export function initialDetectState(): DetectState {
  return { watermarkMs: Number.NEGATIVE_INFINITY };
}

export function detect(
  state: DetectState,
  _input: DetectInput,
  _opts: DetectOptions,
): [DetectState, DetectOutput] {
  return [state, { triggers: [], late: [], duplicates: 0 }];
}

export function snapshotDetectState(s: DetectState): unknown {
  return { v: 1, watermarkMs: Number.isFinite(s.watermarkMs) ? s.watermarkMs : null };
}

export function restoreDetectState(_j: unknown): DetectState {
  return initialDetectState();
}

export function detectStats(s: DetectState): {
  openCarts: number;
  openSessions: number;
  watermarkMs: number;
  maxEventMs: number;
} {
  return { openCarts: 0, openSessions: 0, watermarkMs: s.watermarkMs, maxEventMs: Number.NEGATIVE_INFINITY };
}
