/**
 * A bounded set of recently seen ids (first in, first out). Remembers the last `capacity` ids, so
 * memory is fixed however long the stream runs.
 *
 * @example const seen = new RecentIds(1_000_000); if (!seen.add(id)) dropDuplicate();
 */
export class RecentIds {
  readonly #set = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;

  constructor(readonly capacity: number) {
    this.#ring = new Array(capacity);
  }

  /** Adds an id; false when it was already there. */
  add(id: string): boolean {
    const before = this.#set.size;
    this.#set.add(id); // one hash lookup: the size tells whether it was there
    if (this.#set.size === before) return false;
    const old = this.#ring[this.#next];
    if (old !== undefined) this.#set.delete(old);
    this.#ring[this.#next] = id;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
    return true;
  }

  has(id: string): boolean {
    return this.#set.has(id);
  }

  get size(): number {
    return this.#set.size;
  }
}
