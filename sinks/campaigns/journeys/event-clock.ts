import {
  initialWatermark,
  observeEventTime,
  observeWallTime,
  type Watermark,
} from "../../../processors/index.ts";

/** What a journey engine checkpoints of its clock (the wall anchor is re-taken after a restart). */
export interface EventClockSnapshot {
  maxEventMs: number | null;
  watermarkMs: number | null;
}

/**
 * Journey time: event time as detection sees it (processors/watermark.ts), i.e. the highest event
 * time seen minus LATENESS, moved on by the wall clock while the stream is idle. Waits end when it
 * passes their deadline, so a 24h wait after a cart trigger means 24h of the shop's event time.
 *
 * @example
 * const c = new EventClock(5 * 60_000);
 * c.observeEvent(Date.parse("2026-11-23T10:05:00Z"), wallNow); // c.now() = 10:00
 */
export class EventClock {
  readonly #w: Watermark;

  constructor(
    readonly latenessMs: number,
    snapshot?: EventClockSnapshot,
  ) {
    this.#w = initialWatermark();
    if (snapshot?.maxEventMs != null) this.#w.maxEventMs = snapshot.maxEventMs;
    if (snapshot?.watermarkMs != null) this.#w.watermarkMs = snapshot.watermarkMs;
  }

  /** Event time now (−Infinity until the first event). */
  now(): number {
    return this.#w.watermarkMs;
  }

  /** Returns true when the clock moved. */
  observeEvent(tsMs: number, wallMs: number): boolean {
    const before = this.#w.watermarkMs;
    return observeEventTime(this.#w, tsMs, this.latenessMs, wallMs) > before;
  }

  /** An idle tick; returns true when the clock moved. */
  observeWall(wallMs: number): boolean {
    const before = this.#w.watermarkMs;
    return observeWallTime(this.#w, wallMs, this.latenessMs) > before;
  }

  snapshot(): EventClockSnapshot {
    const f = (n: number) => (Number.isFinite(n) ? n : null);
    return { maxEventMs: f(this.#w.maxEventMs), watermarkMs: f(this.#w.watermarkMs) };
  }
}
