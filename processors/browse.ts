import type { ShopEvent } from "../ingest/index.ts";
import { type Trigger, type TriggerItem, windowTrigger } from "./trigger.ts";

/**
 * Browse sessions for one profile, applied in event-time order (timers before events at the same time).
 *
 * - A session is a run of product_views with gaps under sessionGap: it opens at its first view and
 *   closes at `lastView + sessionGap` (a view exactly sessionGap after the last one starts a new session).
 * - A cart_add or purchase while the session is open (first view ≤ t < close) converts it: it still
 *   absorbs views (the gap rule) but fires nothing. At one instant views are applied first, so a
 *   cart_add at the very millisecond of the first view converts the session too.
 * - On close, a session with at least minViews views (all views, not distinct products) that did not
 *   convert fires one `browse_abandoned` trigger: items are the viewed products by view count
 *   (most first, ties by first view), quantity = views, price = the last price seen on a view.
 *
 * @example
 * let s = browseOnEvent(undefined, { type: "product_view", productId: "sku-1", ... }, t0, opts);
 * const trigger = browseOnTimer(s, "p1", opts); // undefined: 1 view < minViews 2
 */
export interface ViewedProduct {
  productId: string;
  views: number;
  price?: number;
}

export interface SessionState {
  startMs: number;
  lastMs: number;
  /** `lastMs + sessionGap`: the session's timer. */
  closeMs: number;
  views: number;
  converted: boolean;
  /** Views per product in first-view order (a small array: sessions view few products); emptied once the session converts. */
  products: ViewedProduct[];
}

export interface BrowseOptions {
  sessionGapMs: number;
  minViews: number;
}

function find(products: ViewedProduct[], productId: string): ViewedProduct | undefined {
  for (let i = products.length - 1; i >= 0; i--) if (products[i]?.productId === productId) return products[i];
  return undefined;
}

/** Applies one event to a profile's open session (mutating it); undefined means no session. */
export function browseOnEvent(
  session: SessionState | undefined,
  event: ShopEvent,
  tsMs: number,
  opts: BrowseOptions,
): SessionState | undefined {
  if (event.type === "product_view") {
    const s = session ?? {
      startMs: tsMs,
      lastMs: tsMs,
      closeMs: tsMs,
      views: 0,
      converted: false,
      products: [],
    };
    s.views += 1;
    s.lastMs = tsMs;
    s.closeMs = tsMs + opts.sessionGapMs;
    if (!s.converted) {
      const p = find(s.products, event.productId);
      if (p === undefined) {
        const { productId, price } = event;
        const viewed: ViewedProduct =
          price === undefined ? { productId, views: 1 } : { productId, views: 1, price };
        // a one-element literal: push on an empty array reserves room for 16 (most sessions stay small)
        if (s.products.length === 0) s.products = [viewed];
        else s.products.push(viewed);
      } else {
        p.views += 1;
        if (event.price !== undefined) p.price = event.price;
      }
    }
    return s;
  }
  if (session !== undefined && (event.type === "cart_add" || event.type === "purchase")) {
    session.converted = true;
    session.products = [];
  }
  return session;
}

/** The session's timer at `closeMs`: the session closes, maybe with a trigger. */
export function browseOnTimer(
  session: SessionState,
  profileId: string,
  opts: BrowseOptions,
): Trigger | undefined {
  if (session.converted || session.views < opts.minViews) return undefined;
  // a stable sort: ties keep first-view order
  const ranked = [...session.products].sort((x, y) => y.views - x.views);
  const items: TriggerItem[] = ranked.map(({ productId, views, price }) =>
    price === undefined ? { productId, quantity: views } : { productId, quantity: views, price },
  );
  return windowTrigger(
    "browse_abandoned",
    profileId,
    session.closeMs,
    items,
    session.startMs,
    session.lastMs,
  );
}
