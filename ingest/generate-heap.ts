/**
 * A binary min-heap ordered by (time, tie), where `tie` breaks equal times deterministically.
 * The one heap of the project: the synthetic shop's arrival queue (numeric ties: creation order)
 * and detection's buffered events and timers (string ties: profile ids). Most pushes arrive in
 * time order, which makes a push O(1) on average.
 *
 * (The `as` casts below only undo noUncheckedIndexedAccess on indices the heap keeps in bounds.)
 *
 * @example
 * const q = new TimeQueue<string>(); q.push(5, "b", "x"); q.push(5, "a", "y"); q.pop(); // "y"
 */
export class TimeQueue<T, Tie extends string | number = string> {
  #times: number[] = [];
  #ties: Tie[] = [];
  #items: T[] = [];

  get size(): number {
    return this.#times.length;
  }

  /** Time of the first entry, or +Infinity when empty. */
  peekTime(): number {
    return this.#times.length > 0 ? (this.#times[0] as number) : Number.POSITIVE_INFINITY;
  }

  push(time: number, tie: Tie, item: T): void {
    const times = this.#times;
    const ties = this.#ties;
    const items = this.#items;
    let i = times.length;
    times.push(time);
    ties.push(tie);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent] as number;
      if (pt < time || (pt === time && (ties[parent] as Tie) <= tie)) break;
      times[i] = pt;
      ties[i] = ties[parent] as Tie;
      items[i] = items[parent] as T;
      i = parent;
    }
    times[i] = time;
    ties[i] = tie;
    items[i] = item;
  }

  /** Removes and returns the first entry; undefined when empty. */
  pop(): T | undefined {
    const times = this.#times;
    const ties = this.#ties;
    const items = this.#items;
    const n = times.length;
    if (n === 0) return undefined;
    const top = items[0] as T;
    const lastTime = times.pop() as number;
    const lastTie = ties.pop() as Tie;
    const lastItem = items.pop() as T;
    const size = n - 1;
    if (size === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size) {
        const lt = times[l] as number;
        const rt = times[r] as number;
        if (rt < lt || (rt === lt && (ties[r] as Tie) < (ties[l] as Tie))) c = r;
      }
      const ct = times[c] as number;
      if (ct > lastTime || (ct === lastTime && (ties[c] as Tie) >= lastTie)) break;
      times[i] = ct;
      ties[i] = ties[c] as Tie;
      items[i] = items[c] as T;
      i = c;
    }
    times[i] = lastTime;
    ties[i] = lastTie;
    items[i] = lastItem;
    return top;
  }

  /**
   * `sorted()` as a generator: entries made one at a time from a sorted index (a big snapshot then
   * holds no array of all its entries while it is written).
   */
  *sortedEntries(): Generator<{ time: number; item: T }> {
    const times = this.#times;
    const ties = this.#ties;
    const order = new Uint32Array(times.length);
    for (let k = 0; k < order.length; k++) order[k] = k;
    order.sort((a, b) => {
      const ta = times[a] as number;
      const tb = times[b] as number;
      if (ta !== tb) return ta - tb;
      const xa = ties[a] as Tie;
      const xb = ties[b] as Tie;
      return xa < xb ? -1 : xa > xb ? 1 : 0;
    });
    for (const k of order) yield { time: times[k] as number, item: this.#items[k] as T };
  }

  /** Entries in (time, tie) order, without changing the queue (for snapshots). */
  sorted(): { time: number; tie: Tie; item: T }[] {
    const all = this.#times.map((time, k) => ({
      time,
      tie: this.#ties[k] as Tie,
      item: this.#items[k] as T,
    }));
    return all.sort((a, b) => a.time - b.time || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0));
  }
}

/** The synthetic shop's arrival queue: events ordered by (arrival time, creation number). */
export class ArrivalHeap<T> extends TimeQueue<T, number> {
  peekKey(): number {
    return this.peekTime();
  }
}
