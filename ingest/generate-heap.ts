/**
 * A binary min-heap of pending items ordered by `(key, seq)`: the synthetic shop's arrival queue.
 * `seq` breaks ties so the order never depends on insertion accidents.
 */
export class ArrivalHeap<T> {
  #keys: number[] = [];
  #seqs: number[] = [];
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peekKey(): number {
    return this.#keys[0] ?? Number.POSITIVE_INFINITY;
  }

  push(key: number, seq: number, item: T): void {
    const keys = this.#keys;
    const seqs = this.#seqs;
    const items = this.#items;
    let i = items.length;
    keys.push(key);
    seqs.push(seq);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent]!;
      if (pk < key || (pk === key && seqs[parent]! < seq)) break;
      keys[i] = pk;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    keys[i] = key;
    seqs[i] = seq;
    items[i] = item;
  }

  pop(): T | undefined {
    const keys = this.#keys;
    const seqs = this.#seqs;
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const key = keys.pop()!;
    const seq = seqs.pop()!;
    const item = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (keys[r]! < keys[c]! || (keys[r] === keys[c] && seqs[r]! < seqs[c]!))) c = r;
      if (key < keys[c]! || (key === keys[c] && seq < seqs[c]!)) break;
      keys[i] = keys[c]!;
      seqs[i] = seqs[c]!;
      items[i] = items[c]!;
      i = c;
    }
    keys[i] = key;
    seqs[i] = seq;
    items[i] = item;
    return top;
  }
}
