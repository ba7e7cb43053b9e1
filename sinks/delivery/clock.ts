/**
 * Time as an input for delivery: `now()` and `sleep(ms)`. Production uses `systemClock`; tests use
 * `ManualClock` and move time with `advance(ms)`, so backoff, quiet hours, frequency caps and the
 * send rate are tested without waiting.
 *
 * @example
 * const clock = new ManualClock(Date.parse("2026-11-23T10:00:00Z"));
 * const done = clock.sleep(1_000); clock.advance(1_000); await done;
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref?.()),
};

interface Sleeper {
  at: number;
  resolve: () => void;
}

/** A clock that only moves when told to. Sleepers wake in deadline order. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#sleepers.push({ at: this.#now + ms, resolve });
      this.#sleepers.sort((a, b) => a.at - b.at);
    });
  }

  /** Number of callers waiting on `sleep`. */
  get waiting(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward, waking every sleeper due by then (each gets a few ticks to react). */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#sleepers[0];
      if (!next || next.at > target) break;
      this.#sleepers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.#now = target;
  }

  /** Sets the wall time (never backwards), waking due sleepers. */
  async set(ms: number): Promise<void> {
    await this.advance(Math.max(0, ms - this.#now));
  }
}
