import { asyncScheduler, type SchedulerLike, type Subscription } from "rxjs";

export interface BatcherOptions {
  /** Most items in one batch. */
  size: number;
  /** Longest an item waits for companions before its batch starts (when a slot is free). */
  delayMs: number;
  /** Batches processed at once. */
  concurrency: number;
  /** Drives the delay (default asyncScheduler; tests may pass a VirtualTimeScheduler). */
  scheduler?: SchedulerLike;
}

/**
 * Micro-batches with backpressure: a batch starts when `size` items wait, or when the oldest has
 * waited `delayMs`, and only while fewer than `concurrency` batches run. Items arriving while every
 * slot is busy join the NEXT batch, so batches grow with load (one set-based query serves more
 * items exactly when queries are the bottleneck), instead of a timer cutting many small batches.
 *
 * @example
 * const b = new Batcher<Req>({ size: 500, delayMs: 1_000, concurrency: 4 }, (batch) => processBatch(batch));
 * b.push(req);
 */
export class Batcher<T> {
  readonly #queue: T[] = [];
  readonly #opts: Required<BatcherOptions>;
  #oldestAt = 0;
  #active = 0;
  #timer: Subscription | undefined;
  #closing = false;
  #idle: (() => void)[] = [];

  constructor(
    opts: BatcherOptions,
    readonly run: (batch: T[]) => Promise<void>,
  ) {
    this.#opts = { ...opts, scheduler: opts.scheduler ?? asyncScheduler };
  }

  push(item: T): void {
    if (this.#queue.length === 0) this.#oldestAt = this.#opts.scheduler.now();
    this.#queue.push(item);
    this.#pump();
  }

  /** Starts what is queued without waiting for the delay, and resolves once every batch has finished. */
  drain(): Promise<void> {
    this.#closing = true;
    this.#pump();
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    const { size, delayMs, concurrency, scheduler } = this.#opts;
    while (this.#active < concurrency && this.#queue.length > 0) {
      const waited = scheduler.now() - this.#oldestAt;
      if (this.#queue.length < size && waited < delayMs && !this.#closing) {
        this.#timer ??= scheduler.schedule(() => {
          this.#timer = undefined;
          this.#pump();
        }, delayMs - waited);
        return;
      }
      const batch = this.#queue.splice(0, size);
      // What is left has waited at least as long as the batch just cut: it may go as soon as a slot frees.
      this.#active++;
      this.run(batch).finally(() => {
        this.#active--;
        this.#pump();
        if (this.#active === 0 && this.#queue.length === 0) for (const f of this.#idle.splice(0)) f();
      });
    }
  }
}
