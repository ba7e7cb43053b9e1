/**
 * Acks stream messages in order when their work may finish out of order. With AckPolicy.All an ack
 * of sequence N acks everything before it, so only the highest sequence whose predecessors are all
 * done may be acked. `onAdvance` receives that sequence (ack it, checkpoint it).
 *
 * @example
 * const acks = new AckTracker((seq, ack) => ack());
 * acks.add(msg.seq, () => msg.ack()); …; acks.done(msg.seq);
 */
export class AckTracker {
  readonly #order: number[] = [];
  readonly #pending = new Map<number, { done: boolean; ack: () => void }>();

  constructor(readonly onAdvance: (seq: number, ack: () => void) => void) {}

  add(seq: number, ack: () => void): void {
    this.#order.push(seq);
    this.#pending.set(seq, { done: false, ack });
  }

  done(seq: number): void {
    const p = this.#pending.get(seq);
    if (p) p.done = true;
    let last: { seq: number; ack: () => void } | undefined;
    for (;;) {
      const head = this.#order[0];
      if (head === undefined) break;
      const h = this.#pending.get(head);
      if (!h?.done) break;
      this.#order.shift();
      this.#pending.delete(head);
      last = { seq: head, ack: h.ack };
    }
    if (last) this.onAdvance(last.seq, last.ack);
  }

  get size(): number {
    return this.#pending.size;
  }
}
