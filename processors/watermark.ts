/**
 * The event-time watermark: the highest event time seen minus the allowed lateness, moved on by
 * the wall clock while the stream is idle.
 *
 * Idle advance: the watermark behaves as if event time kept pace with the wall clock since the
 * newest event arrived, `watermark = max(watermark, maxEventMs + (wallMs - anchorWallMs) - lateness)`,
 * where `anchorWallMs` is the wall time at which the newest event arrived (the event's `wallMs`
 * when the caller gives one, else the first tick after it: a conservative anchor, late by at most one
 * tick interval). Only differences of wall times are used, so a clock offset between producers and
 * this process does not matter. An event is late when it arrives more than `lateness` after the
 * newest event would place it.
 *
 * Replays are deterministic when ticks are derived from the log (a tick's wallMs never runs ahead of
 * the next event's time) or sent only while the consumer has nothing pending (caught up): then the
 * watermark never passes an event that is within lateness of the newest one.
 *
 * @example
 * const w = initialWatermark();
 * observeEventTime(w, 100 * MIN, 5 * MIN); // 95 min: max event time − lateness
 * observeWallTime(w, wall0, 5 * MIN);      // first tick after the event: anchors, no change
 * observeWallTime(w, wall0 + 10 * MIN, 5 * MIN); // 105 min: the stream was idle 10 minutes
 */
export interface Watermark {
  watermarkMs: number;
  maxEventMs: number;
  /** Wall time the newest event is anchored at; null until the next tick (or the event's wallMs) sets it. */
  anchorWallMs: number | null;
}

export function initialWatermark(): Watermark {
  return { watermarkMs: Number.NEGATIVE_INFINITY, maxEventMs: Number.NEGATIVE_INFINITY, anchorWallMs: null };
}

/** Records an accepted event's time; returns the (possibly advanced) watermark. */
export function observeEventTime(w: Watermark, tsMs: number, latenessMs: number, wallMs?: number): number {
  if (tsMs > w.maxEventMs) {
    w.maxEventMs = tsMs;
    w.anchorWallMs = wallMs ?? null;
    const candidate = tsMs - latenessMs;
    if (candidate > w.watermarkMs) w.watermarkMs = candidate;
  }
  return w.watermarkMs;
}

/** A wall-clock tick; returns the (possibly advanced) watermark. */
export function observeWallTime(w: Watermark, wallMs: number, latenessMs: number): number {
  if (w.maxEventMs === Number.NEGATIVE_INFINITY) return w.watermarkMs;
  if (w.anchorWallMs === null) {
    w.anchorWallMs = wallMs;
    return w.watermarkMs;
  }
  const idle = wallMs - w.anchorWallMs;
  if (idle > 0) {
    const candidate = w.maxEventMs + idle - latenessMs;
    if (candidate > w.watermarkMs) w.watermarkMs = candidate;
  }
  return w.watermarkMs;
}
