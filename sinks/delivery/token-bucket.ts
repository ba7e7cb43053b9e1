import type { Clock } from "./clock.ts";

/**
 * A global send rate: at most `rate` takes per second on average, bursts up to `burst`.
 * Driven by the injected clock, so tests move time instead of waiting.
 *
 * @example const bucket = new TokenBucket(50, clock); await bucket.take();
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: number,
    readonly clock: Clock,
    readonly burst = Math.max(1, Math.ceil(rate / 10)),
  ) {
    this.#tokens = burst;
    this.#last = clock.now();
  }

  #refill(): void {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1_000);
    this.#last = now;
  }

  /** Resolves when one token is available (callers are served in order). */
  take(): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (;;) {
        this.#refill();
        if (this.#tokens >= 1) {
          this.#tokens -= 1;
          return;
        }
        await this.clock.sleep(Math.ceil(((1 - this.#tokens) * 1_000) / this.rate));
      }
    });
    this.#queue = turn;
    return turn;
  }
}
