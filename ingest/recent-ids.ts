/**
 * A bounded set of recently seen ids (first in, first out). Remembers the last `capacity` ids, so
 * memory is fixed however long the stream runs.
 *
 * It keeps a 96-bit fingerprint of each id (three independent 32-bit hashes) rather than the string:
 * typed arrays only (~20 bytes per id, no objects for the garbage collector to trace), and a lookup
 * costs a hash and one or two probes instead of a string Set insert and delete (measured on the
 * history writer's decode thread: the Set was its largest single cost, and 1,000,000 retained strings
 * made every full GC trace them). Two different ids are taken for one only if all 96 bits agree: for
 * a million remembered ids, about one chance in 10^22 per new id. Producers are trusted; the hashes
 * are not meant to resist ids crafted to collide.
 *
 * @example const seen = new RecentIds(1_000_000); if (!seen.add(id)) dropDuplicate();
 */
export class RecentIds {
  /** Fingerprints by ring position (the order ids arrived in). */
  readonly #h1: Int32Array;
  readonly #h2: Int32Array;
  readonly #h3: Int32Array;
  /** Open-addressing table (linear probing, at most half full): ring position + 1, or 0 when empty. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  #next = 0;
  #size = 0;
  // The fingerprint of the id last hashed (module-level scratch would be shared by every instance).
  #a = 0;
  #b = 0;
  #c = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1 && capacity <= 2 ** 28)) {
      throw new RangeError(`RecentIds capacity must be an integer in 1..2^28, got ${capacity}`);
    }
    this.#h1 = new Int32Array(capacity);
    this.#h2 = new Int32Array(capacity);
    this.#h3 = new Int32Array(capacity);
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.#slots = new Int32Array(slots);
    this.#mask = slots - 1;
  }

  /** Adds an id; false when it was already there. */
  add(id: string): boolean {
    this.#hash(id);
    if (this.#find() >= 0) return false;
    if (this.#size === this.capacity) this.#evict(this.#next);
    else this.#size++;
    const r = this.#next;
    this.#h1[r] = this.#a;
    this.#h2[r] = this.#b;
    this.#h3[r] = this.#c;
    const slots = this.#slots;
    let i = this.#a & this.#mask;
    while (slots[i] !== 0) i = (i + 1) & this.#mask;
    slots[i] = r + 1;
    this.#next = r + 1 === this.capacity ? 0 : r + 1;
    return true;
  }

  has(id: string): boolean {
    this.#hash(id);
    return this.#find() >= 0;
  }

  get size(): number {
    return this.#size;
  }

  /** Three 32-bit hashes of the string's UTF-16 code units (FNV-1a and two multiply-xorshift
   * variants, each finished with murmur3's avalanche), into #a, #b, #c. */
  #hash(id: string) {
    let a = 0x811c9dc5 ^ id.length;
    let b = 0x9747b28c;
    let c = 0x2545f491;
    for (let i = 0; i < id.length; i++) {
      const x = id.charCodeAt(i);
      a = Math.imul(a ^ x, 0x01000193);
      b = Math.imul(b ^ x, 0x5bd1e995);
      b ^= b >>> 13;
      c = Math.imul(c + x, 0x27d4eb2f);
      c ^= c >>> 15;
    }
    this.#a = fmix(a);
    this.#b = fmix(b ^ id.length);
    this.#c = fmix(c + Math.imul(id.length, 0x165667b1));
  }

  /** The table slot holding the fingerprint in #a/#b/#c, or -1. */
  #find(): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = this.#a & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === 0) return -1;
      const r = s - 1;
      if (this.#h1[r] === this.#a && this.#h2[r] === this.#b && this.#h3[r] === this.#c) return i;
    }
  }

  /** Forgets the id at ring position `r` (backward-shift deletion keeps every probe chain whole). */
  #evict(r: number) {
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = this.#h1[r]! & mask;
    while (slots[hole] !== r + 1) hole = (hole + 1) & mask;
    for (let k = (hole + 1) & mask; slots[k] !== 0; k = (k + 1) & mask) {
      const home = this.#h1[slots[k]! - 1]! & mask;
      // The entry at k may move back into the hole unless its home lies cyclically in (hole, k].
      if (((k - home) & mask) >= ((k - hole) & mask)) {
        slots[hole] = slots[k]!;
        hole = k;
      }
    }
    slots[hole] = 0;
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
