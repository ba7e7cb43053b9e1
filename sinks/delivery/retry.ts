/** Exponential backoff: base, 2×base, 4×base … capped at max. Deterministic (tests move a clock). */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs at most `size` tasks at once; the rest wait in order.
 *
 * @example const limiter = new Limiter(10); await limiter.run(() => send(mail));
 */
export class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so a caller arriving between the
    // two never slips in and makes it size + 1 at once.
    if (this.#active >= this.size) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
