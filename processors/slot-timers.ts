/**
 * The timers of a profile table (profile-tables.ts): a binary min-heap of (time, slot, generation)
 * in typed arrays, off the JS heap (16 bytes an entry, where TimeQueue's three arrays of tagged
 * values cost ~36 with their slack). An entry is current while its slot's generation is the one it
 * was queued with (a freed slot's generation moves on) and the slot's `queuedMs` is its time; the
 * table checks that, the heap only orders. Equal times pop by slot: which of two profiles' timers
 * at one instant runs first changes nothing (they touch different state, and the detector sorts the
 * triggers of a call).
 *
 * @example
 * const t = new SlotTimers(); t.push(5, 3, 0); t.push(2, 7, 1);
 * t.peekTime(); // 2 — t.peekSlot() 7, t.peekGen() 1; t.pop()
 */
export class SlotTimers {
  #times = new Float64Array(1_024);
  #slots = new Int32Array(1_024);
  #gens = new Uint32Array(1_024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Time of the first entry, or +Infinity when empty. */
  peekTime(): number {
    return this.#size > 0 ? (this.#times[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** Slot and generation of the first entry (read them before `pop`). */
  peekSlot(): number {
    return this.#slots[0] as number;
  }

  peekGen(): number {
    return this.#gens[0] as number;
  }

  push(time: number, slot: number, gen: number): void {
    if (this.#size === this.#times.length) this.#grow();
    const times = this.#times;
    const slots = this.#slots;
    const gens = this.#gens;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent] as number;
      if (pt < time || (pt === time && (slots[parent] as number) <= slot)) break;
      times[i] = pt;
      slots[i] = slots[parent] as number;
      gens[i] = gens[parent] as number;
      i = parent;
    }
    times[i] = time;
    slots[i] = slot;
    gens[i] = gen;
  }

  /** Removes the first entry (none when empty). */
  pop(): void {
    if (this.#size === 0) return;
    const size = --this.#size;
    if (size === 0) return;
    const times = this.#times;
    const slots = this.#slots;
    const gens = this.#gens;
    const lastTime = times[size] as number;
    const lastSlot = slots[size] as number;
    const lastGen = gens[size] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size) {
        const lt = times[l] as number;
        const rt = times[r] as number;
        if (rt < lt || (rt === lt && (slots[r] as number) < (slots[l] as number))) c = r;
      }
      const ct = times[c] as number;
      if (ct > lastTime || (ct === lastTime && (slots[c] as number) >= lastSlot)) break;
      times[i] = ct;
      slots[i] = slots[c] as number;
      gens[i] = gens[c] as number;
      i = c;
    }
    times[i] = lastTime;
    slots[i] = lastSlot;
    gens[i] = lastGen;
  }

  #grow(): void {
    const n = Math.ceil(this.#times.length * 1.5);
    const times = new Float64Array(n);
    times.set(this.#times);
    const slots = new Int32Array(n);
    slots.set(this.#slots);
    const gens = new Uint32Array(n);
    gens.set(this.#gens);
    this.#times = times;
    this.#slots = slots;
    this.#gens = gens;
  }
}
