import { TimeQueue } from "../ingest/generate-heap.ts";
import type { ShopEvent } from "../ingest/index.ts";
import type { SessionState } from "./browse.ts";
import type { CartState } from "./cart.ts";
import { initialSeenIds, type SeenIds } from "./seen-ids.ts";
import { initialWatermark, type Watermark } from "./watermark.ts";

/** What detection keeps for one profile: only while a cart or a session exists. */
export interface ProfileState {
  profileId: string;
  cart: CartState | undefined;
  session: SessionState | undefined;
  /** Time of this profile's entry in the cart / session timer queue, null when none is queued. */
  cartQueuedMs: number | null;
  sessionQueuedMs: number | null;
}

/**
 * The detector's whole state. It holds Maps and heaps: `detect` mutates it in place (and returns it);
 * `snapshotDetectState` turns it into plain JSON and `restoreDetectState` back.
 */
export interface DetectState {
  watermark: Watermark;
  profiles: Map<string, ProfileState>;
  /** Accepted events ordered by (time, pendingTie), applied once the watermark passes them. */
  pending: TimeQueue<ShopEvent>;
  /**
   * Profiles keyed by cart / session timer time (lazy: stale entries are skipped). They hold the
   * profile object itself, sparing a Map lookup per timer; a dropped profile's queued times are reset.
   */
  cartTimers: TimeQueue<ProfileState>;
  sessionTimers: TimeQueue<ProfileState>;
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
  return {
    watermark: initialWatermark(),
    profiles: new Map(),
    pending: new TimeQueue(),
    cartTimers: new TimeQueue(),
    sessionTimers: new TimeQueue(),
    seen: initialSeenIds(),
    changed: new Set(),
    openCarts: 0,
    firedCarts: 0,
    openSessions: 0,
  };
}

/**
 * Queues the profile's timers that are not queued yet, and drops the profile when it holds nothing
 * (`known`: it is in `state.profiles`). Detection calls it after each change; restore, for each profile.
 */
export function settleProfile(state: DetectState, p: ProfileState, known: boolean): void {
  if (p.cart === undefined && p.session === undefined) {
    if (known) state.profiles.delete(p.profileId);
    // entries still queued for this object are stale from now on (a new object may take its place)
    p.cartQueuedMs = null;
    p.sessionQueuedMs = null;
    return;
  }
  if (!known) state.profiles.set(p.profileId, p);
  if (p.cart !== undefined && (p.cartQueuedMs === null || p.cart.timerMs < p.cartQueuedMs)) {
    state.cartTimers.push(p.cart.timerMs, p.profileId, p);
    p.cartQueuedMs = p.cart.timerMs;
  }
  if (p.session !== undefined && (p.sessionQueuedMs === null || p.session.closeMs < p.sessionQueuedMs)) {
    state.sessionTimers.push(p.session.closeMs, p.profileId, p);
    p.sessionQueuedMs = p.session.closeMs;
  }
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
    profiles: s.profiles.size,
    pendingEvents: s.pending.size,
    rememberedIds: s.seen.ids.size,
  };
}
