import { TimeQueue } from "../ingest/generate-heap.ts";
import type { ShopEvent } from "../ingest/index.ts";
import type { SessionState } from "./browse.ts";
import type { CartState } from "./cart.ts";
import { CartTable, SessionTable } from "./profile-tables.ts";
import { initialSeenIds, type SeenIds } from "./seen-ids.ts";
import { SlotTimers } from "./slot-timers.ts";
import { initialWatermark, type Watermark } from "./watermark.ts";

/**
 * The detector's whole state. It holds Maps, heaps and columns: `detect` mutates it in place (and
 * returns it); `snapshotDetectState` turns it into plain JSON and `restoreDetectState` back.
 */
export interface DetectState {
  watermark: Watermark;
  /**
   * Carts and open sessions by profile (profile-tables.ts). A profile has an entry in a table only
   * while it has a cart (pending, or fired and younger than cartTtl) or an open session.
   */
  carts: CartTable;
  sessions: SessionTable;
  /** Profiles with a cart or a session (or both). */
  profiles: number;
  /** Accepted events ordered by (time, pendingTie), applied once the watermark passes them. */
  pending: TimeQueue<ShopEvent>;
  /**
   * Slots of `carts` / `sessions` by timer time (lazy: stale entries are skipped; see
   * profile-tables.ts). The tables push to them.
   */
  cartTimers: SlotTimers;
  sessionTimers: SlotTimers;
  seen: SeenIds;
  /**
   * Profiles whose cart or session changed (or went) since snapshotDetectDelta last emptied it:
   * what an incremental checkpoint writes.
   */
  changed: Set<string>;
  /** Carts with a pending deadline, carts kept after firing, open sessions. */
  openCarts: number;
  firedCarts: number;
  openSessions: number;
}

/**
 * Order of buffered events at the same instant: views first, then the rest by id. Views first makes
 * "a cart_add or purchase at the instant a session starts converts it" hold whatever the ids.
 */
export function pendingTie(event: ShopEvent): string {
  return (event.type === "product_view" ? "0" : "1") + event.id;
}

export function initialDetectState(): DetectState {
  const cartTimers = new SlotTimers();
  const sessionTimers = new SlotTimers();
  return {
    watermark: initialWatermark(),
    carts: new CartTable(cartTimers),
    sessions: new SessionTable(sessionTimers),
    profiles: 0,
    pending: new TimeQueue(),
    cartTimers,
    sessionTimers,
    seen: initialSeenIds(),
    changed: new Set(),
    openCarts: 0,
    firedCarts: 0,
    openSessions: 0,
  };
}

export interface DetectStats {
  /** Carts with a pending abandonment deadline. */
  openCarts: number;
  openSessions: number;
  watermarkMs: number;
  maxEventMs: number;
  /** Fired carts still remembered (until cartTtl), profiles with any state, buffered events, remembered ids. */
  firedCarts: number;
  profiles: number;
  pendingEvents: number;
  rememberedIds: number;
}

export function detectStats(s: DetectState): DetectStats {
  return {
    openCarts: s.openCarts,
    openSessions: s.openSessions,
    watermarkMs: s.watermark.watermarkMs,
    maxEventMs: s.watermark.maxEventMs,
    firedCarts: s.firedCarts,
    profiles: s.profiles,
    pendingEvents: s.pending.size,
    rememberedIds: s.seen.ids.size,
  };
}

/**
 * Writes the cart of a profile (`slot`: `state.carts.slotOf(profileId)`), or drops it when
 * undefined, keeping the counters; queues its timer when needed.
 */
export function setCart(
  state: DetectState,
  profileId: string,
  slot: number,
  cart: CartState | undefined,
): void {
  const carts = state.carts;
  if (slot >= 0) {
    if (carts.isOpen(slot)) state.openCarts--;
    else state.firedCarts--;
  }
  if (cart !== undefined) {
    if (cart.windowStartMs !== null) state.openCarts++;
    else state.firedCarts++;
  }
  const d = carts.set(profileId, slot, cart);
  if (d !== 0 && !state.sessions.has(profileId)) state.profiles += d;
}

/** `setCart` for the open session of a profile. */
export function setSession(
  state: DetectState,
  profileId: string,
  slot: number,
  session: SessionState | undefined,
): void {
  state.openSessions += Number(session !== undefined) - Number(slot >= 0);
  const d = state.sessions.set(profileId, slot, session);
  if (d !== 0 && !state.carts.has(profileId)) state.profiles += d;
}
