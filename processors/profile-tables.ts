import type { SessionState, ViewedProduct } from "./browse.ts";
import type { CartItemState, CartState } from "./cart.ts";
import { SlotIndex } from "./slot-index.ts";
import type { SlotTimers } from "./slot-timers.ts";

/**
 * Where detection keeps the carts and sessions of profiles between events: in columns (typed arrays
 * indexed by a slot per profile) rather than as objects. Kept as objects, one session-only profile
 * cost ~450 bytes of heap at the memory bench's peak (a profile object, the session, its products
 * array and its one product, and a 16-byte boxed number per time field), and V8 lets its heap grow
 * to about twice what is live before a full collection: peak RSS followed 2 × the open carts and
 * sessions. Here the times, counts and prices are off the heap, and what stays on it per profile is
 * its map entry, its id and a few pointer slots.
 *
 * The state machines (cart.ts, browse.ts) still work on plain CartState / SessionState objects: `get`
 * builds one from the columns (short-lived: it dies young), `set` writes it back. The first item of a
 * cart or session is stored in columns, the others as the machine's objects (most carts and sessions
 * hold one product). Each table queues its timers (`timers`: slot and generation by time); a queued
 * entry is current only while `queuedMs` of its slot still says its time and the slot's generation is
 * still the one it was queued with (freeing a slot moves its generation on: slots are reused).
 */
abstract class SlotTable<S, I> {
  /** Profile id ↔ slot. */
  readonly #index = new SlotIndex();
  /** Slot → profile id (undefined: free). */
  readonly ids: readonly (string | undefined)[] = this.#index.ids;
  /** Time the slot's entry in `timers` is queued at (NaN: none). */
  queuedMs = new Float64Array(0);
  /** Bumped when the slot is freed: entries queued before are stale. */
  gen = new Uint32Array(0);
  readonly timers: SlotTimers;
  /** First item: product, quantity (cart) or views (session), price (NaN: none). */
  firstProduct: (string | undefined)[] = [];
  firstAmount = new Float64Array(0);
  firstPrice = new Float64Array(0);
  /** Items after the first, as the machine's objects (undefined: none). */
  more: (I[] | undefined)[] = [];
  #capacity = 0;

  constructor(timers: SlotTimers) {
    this.timers = timers;
  }

  get size(): number {
    return this.#index.size;
  }

  has(profileId: string): boolean {
    return this.#index.find(profileId) >= 0;
  }

  /** The slot of a profile, or -1. */
  slotOf(profileId: string): number {
    return this.#index.find(profileId);
  }

  /** The profile's state as a fresh object (the machine may mutate it), or undefined. */
  get(profileId: string): S | undefined {
    const slot = this.slotOf(profileId);
    return slot < 0 ? undefined : this.load(slot);
  }

  /**
   * Writes the state of `profileId` (its slot, or -1 when it has none), or frees the slot when
   * `state` is undefined; queues the timer when it comes earlier than the one queued. Returns +1 when
   * the profile gained a slot, -1 when it lost it, else 0.
   */
  set(profileId: string, slot: number, state: S | undefined): number {
    if (state === undefined) {
      if (slot < 0) return 0;
      this.#index.remove(slot);
      this.queuedMs[slot] = Number.NaN;
      this.gen[slot] = (this.gen[slot] as number) + 1;
      this.firstProduct[slot] = undefined;
      this.more[slot] = undefined;
      return -1;
    }
    let added = 0;
    if (slot < 0) {
      slot = this.#alloc(profileId);
      added = 1;
    }
    this.store(slot, state);
    const timerMs = this.timerOf(slot);
    const queued = this.queuedMs[slot] as number;
    // NaN (nothing queued) fails the comparison: push
    if (!(timerMs >= queued)) {
      this.timers.push(timerMs, slot, this.gen[slot] as number);
      this.queuedMs[slot] = timerMs;
    }
    return added;
  }

  /**
   * Takes the first timer entry if it is current (returns its slot, and nothing is queued for the
   * slot any more), or drops it as stale (returns -1).
   */
  popTimer(): number {
    const t = this.timers.peekTime();
    const slot = this.timers.peekSlot();
    const current = this.timers.peekGen() === this.gen[slot] && this.queuedMs[slot] === t;
    this.timers.pop();
    if (!current) return -1;
    this.queuedMs[slot] = Number.NaN;
    return slot;
  }

  /** Profile ids, by slot (the order snapshots list them). */
  profileIds(): Iterable<string> {
    return this.#index.keys();
  }

  abstract load(slot: number): S;
  protected abstract store(slot: number, state: S): void;
  /** The time the slot's timer is due. */
  abstract timerOf(slot: number): number;
  /** Copies the first `n` entries of every column into columns of `capacity` entries. */
  protected abstract resize(capacity: number, n: number): void;

  protected storeItems(slot: number, items: I[], product: (i: I) => string, amount: (i: I) => number) {
    const first = items[0];
    if (first === undefined) {
      this.firstProduct[slot] = undefined;
      this.more[slot] = undefined;
      return;
    }
    this.firstProduct[slot] = product(first);
    this.firstAmount[slot] = amount(first);
    this.firstPrice[slot] = (first as { price?: number }).price ?? Number.NaN;
    this.more[slot] = items.length > 1 ? items.slice(1) : undefined;
  }

  /** The item list of a slot: the first item made from the columns, then the others. */
  protected loadItems(slot: number, first: (productId: string, amount: number) => I): I[] {
    const productId = this.firstProduct[slot];
    if (productId === undefined) return [];
    const item = first(productId, this.firstAmount[slot] as number);
    const price = this.firstPrice[slot] as number;
    if (!Number.isNaN(price)) (item as { price?: number }).price = price;
    const more = this.more[slot];
    return more === undefined ? [item] : [item, ...more];
  }

  #alloc(profileId: string): number {
    const slot = this.#index.add(profileId);
    if (slot >= this.#capacity) {
      // ×1.5: the columns are resized rarely and the slack stays small
      const n = this.#capacity;
      this.#capacity = Math.max(1_024, Math.ceil(n * 1.5));
      this.resize(this.#capacity, n);
      this.queuedMs = grown(this.queuedMs, this.#capacity, n);
      this.gen = grown(this.gen, this.#capacity, n);
      this.firstAmount = grown(this.firstAmount, this.#capacity, n);
      this.firstPrice = grown(this.firstPrice, this.#capacity, n);
    }
    while (this.firstProduct.length <= slot) {
      this.firstProduct.push(undefined);
      this.more.push(undefined);
    }
    this.queuedMs[slot] = Number.NaN;
    return slot;
  }
}

function grown<A extends Float64Array | Uint32Array | Uint8Array>(a: A, capacity: number, n: number): A {
  const b = new (a.constructor as new (n: number) => A)(capacity);
  b.set(a.subarray(0, n));
  return b;
}

/** Carts by profile (cart.ts's CartState in columns). */
export class CartTable extends SlotTable<CartState, CartItemState> {
  /** NaN: nothing pending (a fired cart). */
  windowStartMs = new Float64Array(0);
  lastActivityMs = new Float64Array(0);
  timerMs = new Float64Array(0);

  load(slot: number): CartState {
    const windowStartMs = this.windowStartMs[slot] as number;
    return {
      items: this.loadItems(slot, (productId, quantity) => ({ productId, quantity })),
      windowStartMs: Number.isNaN(windowStartMs) ? null : windowStartMs,
      lastActivityMs: this.lastActivityMs[slot] as number,
      timerMs: this.timerMs[slot] as number,
    };
  }

  protected store(slot: number, cart: CartState): void {
    this.storeItems(
      slot,
      cart.items,
      (i) => i.productId,
      (i) => i.quantity,
    );
    this.windowStartMs[slot] = cart.windowStartMs ?? Number.NaN;
    this.lastActivityMs[slot] = cart.lastActivityMs;
    this.timerMs[slot] = cart.timerMs;
  }

  timerOf(slot: number): number {
    return this.timerMs[slot] as number;
  }

  /** True when the slot's cart has a pending window (not a fired cart kept until its TTL). */
  isOpen(slot: number): boolean {
    return !Number.isNaN(this.windowStartMs[slot] as number);
  }

  protected resize(capacity: number, n: number): void {
    this.windowStartMs = grown(this.windowStartMs, capacity, n);
    this.lastActivityMs = grown(this.lastActivityMs, capacity, n);
    this.timerMs = grown(this.timerMs, capacity, n);
  }
}

/** Open browse sessions by profile (browse.ts's SessionState in columns). */
export class SessionTable extends SlotTable<SessionState, ViewedProduct> {
  startMs = new Float64Array(0);
  lastMs = new Float64Array(0);
  closeMs = new Float64Array(0);
  views = new Float64Array(0);
  converted = new Uint8Array(0);

  load(slot: number): SessionState {
    return {
      startMs: this.startMs[slot] as number,
      lastMs: this.lastMs[slot] as number,
      closeMs: this.closeMs[slot] as number,
      views: this.views[slot] as number,
      converted: this.converted[slot] === 1,
      products: this.loadItems(slot, (productId, views) => ({ productId, views })),
    };
  }

  protected store(slot: number, s: SessionState): void {
    this.storeItems(
      slot,
      s.products,
      (p) => p.productId,
      (p) => p.views,
    );
    this.startMs[slot] = s.startMs;
    this.lastMs[slot] = s.lastMs;
    this.closeMs[slot] = s.closeMs;
    this.views[slot] = s.views;
    this.converted[slot] = s.converted ? 1 : 0;
  }

  timerOf(slot: number): number {
    return this.closeMs[slot] as number;
  }

  protected resize(capacity: number, n: number): void {
    this.startMs = grown(this.startMs, capacity, n);
    this.lastMs = grown(this.lastMs, capacity, n);
    this.closeMs = grown(this.closeMs, capacity, n);
    this.views = grown(this.views, capacity, n);
    this.converted = grown(this.converted, capacity, n);
  }
}
