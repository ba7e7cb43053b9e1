import type { DeliveryStore, SendLogRow } from "./store.ts";

/**
 * Appends send-log rows in batches: a flush when `maxRows` are waiting or `maxDelayMs` after the
 * first one, one appender call per flush, flushes one at a time. `add` resolves once the row is in
 * DuckDB, so the sink writes a key's final ledger state only after its log row: a crash in between
 * leaves the key `sending` (sent again with the same Message-ID, logged again), never a sent email
 * missing from the log.
 *
 * Why 250 ms: a DuckDB append costs ~2.7 ms per flush whatever its size, plus ~20 µs per row
 * (18 columns), all on the calling thread (the appender's flush is synchronous). bench:email,
 * 30,000 emails: 434 flushes of 69 rows took 5.1 s of the main thread (0.17 ms per email); at 250 ms,
 * 106 flushes of 283 rows took 1.6 s, and the sink's CPU per email went 1.58 → 1.38 ms. The price:
 * a crash can catch up to 250 ms of sent emails before their final ledger state, and those are sent
 * again with the same Message-ID.
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
    readonly maxDelayMs = 250,
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
