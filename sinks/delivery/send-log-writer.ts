import type { DeliveryStore, SendLogRow } from "./store.ts";

/**
 * Appends send-log rows in batches: a flush when `maxRows` are waiting or `maxDelayMs` after the
 * first one, one appender call per flush, flushes one at a time. `add` resolves once the row is in
 * DuckDB, so the sink writes a key's final ledger state only after its log row: a crash in between
 * leaves the key `sending` (sent again with the same Message-ID, logged again), never a sent email
 * missing from the log.
 *
 * @example await writer.add(row); await ledger.put(finalEntry);
 */
export class SendLogWriter {
  #rows: SendLogRow[] = [];
  #waiters: { resolve(): void; reject(e: unknown): void }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly store: DeliveryStore,
    readonly maxRows = 1_000,
    readonly maxDelayMs = 50,
  ) {}

  add(row: SendLogRow): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#rows.push(row);
    if (this.#rows.length >= this.maxRows) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
    return done;
  }

  /** Writes what is waiting now; resolves when it is written. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#rows;
    const waiters = this.#waiters;
    this.#rows = [];
    this.#waiters = [];
    if (rows.length === 0) return this.#chain;
    this.#chain = this.#chain.then(() =>
      this.store.appendLog(rows).then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (err: unknown) => {
          for (const w of waiters) w.reject(err);
        },
      ),
    );
    return this.#chain;
  }
}
