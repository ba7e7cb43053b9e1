import type { Db } from "../../ingest/index.ts";
import { type RefreshOptions, type RefreshStats, refreshModels } from "./models.ts";

export interface ModelRefresherOptions extends Omit<RefreshOptions, "now"> {
  /** Time between the end of one rebuild and the start of the next, ms. */
  readonly intervalMs: number;
  /** The clock (an input, so tests and replays control it). */
  readonly now: () => Date;
  readonly onRefresh?: (stats: RefreshStats) => void;
  readonly onError?: (err: unknown) => void;
}

/**
 * Rebuilds the recommendation models every `intervalMs` (never two rebuilds at once). Each rebuild
 * swaps the models in one transaction, so recommendations keep reading the previous ones meanwhile.
 *
 * @example
 * await using refresher = new ModelRefresher(db, { intervalMs: 10 * 60_000, now: () => new Date() }).start();
 */
export class ModelRefresher {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RefreshStats | undefined> | undefined;
  #stopped = true;
  last: RefreshStats | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: ModelRefresherOptions,
  ) {}

  /** Rebuilds now, then every `intervalMs`. */
  start(): this {
    if (!this.#stopped) return this;
    this.#stopped = false;
    void this.#tick();
    return this;
  }

  /** One rebuild now (waits for a rebuild already running instead of starting a second). */
  async refreshNow(): Promise<RefreshStats | undefined> {
    if (this.#running) return this.#running;
    this.#running = refreshModels(this.db, { ...this.opts, now: this.opts.now() })
      .then((stats) => {
        this.last = stats;
        this.opts.onRefresh?.(stats);
        return stats;
      })
      .catch((err: unknown) => {
        this.opts.onError?.(err);
        return undefined;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #tick(): Promise<void> {
    await this.refreshNow();
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.opts.intervalMs);
  }

  /** Stops the schedule and waits for a running rebuild to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
