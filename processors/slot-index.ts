/**
 * Slots for string ids: gives each id a small integer slot (freed slots are reused) and finds an
 * id's slot, with an open-addressing hash table (linear probing, backward-shift deletion) in typed
 * arrays. It stands in for a `Map<string, number>`, which at 400k open sessions under churn held a
 * 28 MB hash table on the JS heap (an entry is 3 tagged words plus its bucket, and deleted entries
 * stay until the next rehash); here the table is 4 bytes a bucket at most half full, plus a 4-byte
 * hash per slot, off the heap. Hashing an id in JS costs about what Map's lookup saves by caching
 * it in the string.
 *
 * @example
 * const ix = new SlotIndex(); const s = ix.add("p1"); ix.find("p1") === s; ix.remove(s); ix.find("p1"); // -1
 */
export class SlotIndex {
  /** Slot → id (undefined: free). */
  readonly ids: (string | undefined)[] = [];
  #hashes = new Uint32Array(1_024);
  /** Buckets: slot + 1, 0 when empty. */
  #table = new Int32Array(2_048);
  #mask = 2_047;
  #free: number[] = [];
  #count = 0;

  get size(): number {
    return this.#count;
  }

  /** The slot of `id`, or -1. */
  find(id: string): number {
    const h = hashOf(id);
    const table = this.#table;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = table[i] as number;
      if (e === 0) return -1;
      const slot = e - 1;
      if (this.#hashes[slot] === h && this.ids[slot] === id) return slot;
    }
  }

  /** Gives `id` (not present) a slot: a freed one, else the next. */
  add(id: string): number {
    if (2 * (this.#count + 1) > this.#table.length) this.#rehash(this.#table.length * 2);
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.ids.length;
      this.ids.push(id);
      if (slot >= this.#hashes.length) {
        const hashes = new Uint32Array(Math.ceil(this.#hashes.length * 1.5));
        hashes.set(this.#hashes);
        this.#hashes = hashes;
      }
    } else this.ids[slot] = id;
    const h = hashOf(id);
    this.#hashes[slot] = h;
    this.#place(slot, h);
    this.#count++;
    return slot;
  }

  /** Frees a slot in use. */
  remove(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = (this.#hashes[slot] as number) & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    // Backward shift: move up each following entry whose home is not between the hole and it.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const e = table[j] as number;
      if (e === 0) break;
      const home = (this.#hashes[e - 1] as number) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        table[i] = e;
        i = j;
      }
    }
    table[i] = 0;
    this.ids[slot] = undefined;
    this.#free.push(slot);
    this.#count--;
  }

  /** Ids in use, by slot. */
  *keys(): Generator<string> {
    const ids = this.ids;
    for (let s = 0; s < ids.length; s++) {
      const id = ids[s];
      if (id !== undefined) yield id;
    }
  }

  #place(slot: number, h: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = h & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  #rehash(buckets: number): void {
    this.#table = new Int32Array(buckets);
    this.#mask = buckets - 1;
    const ids = this.ids;
    for (let s = 0; s < ids.length; s++) if (ids[s] !== undefined) this.#place(s, this.#hashes[s] as number);
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer (ids often differ in their last digits only). */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
