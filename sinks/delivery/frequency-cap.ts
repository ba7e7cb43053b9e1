/**
 * At most `cap` marketing emails per profile in any rolling `windowMs`. One structure owned by the
 * sink's process: `tryTake` checks and reserves in one synchronous step (no await between), so two
 * batches in flight cannot both take the last slot. Persistence is the send log itself: at start the
 * sink loads the marketing emails sent inside the window (`load`), so a restart keeps counting.
 *
 * @example
 * const cap = new FrequencyCap(3, 86_400_000);
 * cap.tryTake("p1", now) // true (1 of 3)
 */
export class FrequencyCap {
  readonly #sent = new Map<string, number[]>();

  constructor(
    readonly cap: number,
    readonly windowMs: number,
  ) {}

  #recent(profileId: string, now: number): number[] {
    const since = now - this.windowMs;
    const list = (this.#sent.get(profileId) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#sent.delete(profileId);
    else this.#sent.set(profileId, list);
    return list;
  }

  /** Reserves a slot for `profileId` at `now`, or answers false when the cap is reached. */
  tryTake(profileId: string, now: number): boolean {
    const list = this.#recent(profileId, now);
    if (list.length >= this.cap) return false;
    list.push(now);
    this.#sent.set(profileId, list);
    return true;
  }

  /** Gives back a slot taken at `at` (the email was not sent after all). */
  release(profileId: string, at: number): void {
    const list = this.#sent.get(profileId);
    const i = list?.lastIndexOf(at) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  /** Records sends found in the send log (at start). */
  load(rows: Iterable<{ profileId: string; sentAt: number }>): void {
    for (const r of rows) {
      const list = this.#sent.get(r.profileId) ?? [];
      list.push(r.sentAt);
      this.#sent.set(r.profileId, list);
    }
  }

  /** Drops profiles with nothing inside the window (bounds memory; call now and then). */
  sweep(now: number): void {
    for (const id of [...this.#sent.keys()]) this.#recent(id, now);
  }

  get size(): number {
    return this.#sent.size;
  }
}
