import type { ShopEvent } from "../ingest/index.ts";
import { type Trigger, type TriggerItem, windowTrigger } from "./trigger.ts";

/**
 * Cart abandonment for one profile, applied in event-time order (the detector guarantees it and
 * fires a timer before any event at the same time).
 *
 * - The cart is the running set of cart_add minus cart_remove since the last purchase: quantities
 *   add up, a removal to 0 drops the item, the last price seen on a cart_add is kept.
 * - Cart activity is cart_add, cart_remove and checkout_start. After activity that leaves the cart
 *   non-empty, a window is pending with deadline `lastActivity + abandonAfter`; more activity pushes
 *   the deadline. product_view and profile_update are not cart activity.
 * - The deadline fires (one `cart_abandoned` trigger with the cart's items) when no cart activity and
 *   no purchase happened before it: a gap of exactly abandonAfter fires.
 * - purchase clears the cart and cancels the pending window. A cart emptied by removals has
 *   nothing pending and fires nothing.
 * - After firing, the cart is still the cart: later activity opens a new window (new windowStart,
 *   new id) that lists every item still in it. A fired cart with no new activity is forgotten
 *   `cartTtl` after its last activity, so memory follows open carts plus recently fired ones.
 *
 * @example
 * let cart = cartOnEvent(undefined, { type: "cart_add", productId: "sku-1", quantity: 1, ... }, t0, 7_200_000);
 * const [after, trigger] = cartOnTimer(cart, "p1", 7 * 86_400_000); // trigger.kind === "cart_abandoned"
 */
export interface CartItemState {
  productId: string;
  quantity: number;
  price?: number;
}

export interface CartState {
  items: CartItemState[];
  /** First activity of the pending window, null when nothing is pending (a fired cart). */
  windowStartMs: number | null;
  lastActivityMs: number;
  /** The deadline when a window is pending, otherwise the time the fired cart is forgotten. */
  timerMs: number;
}

function activity(cart: CartState, tsMs: number, abandonAfterMs: number): CartState | undefined {
  if (cart.items.length === 0) return undefined;
  cart.lastActivityMs = tsMs;
  cart.windowStartMs ??= tsMs;
  cart.timerMs = tsMs + abandonAfterMs;
  return cart;
}

function indexOf(items: CartItemState[], productId: string): number {
  for (let i = 0; i < items.length; i++) if ((items[i] as CartItemState).productId === productId) return i;
  return -1;
}

/** Applies one event to a profile's cart (mutating it); undefined means no cart. */
export function cartOnEvent(
  cart: CartState | undefined,
  event: ShopEvent,
  tsMs: number,
  abandonAfterMs: number,
): CartState | undefined {
  switch (event.type) {
    case "cart_add": {
      const c = cart ?? { items: [], windowStartMs: null, lastActivityMs: tsMs, timerMs: tsMs };
      const k = indexOf(c.items, event.productId);
      const item = k >= 0 ? (c.items[k] as CartItemState) : { productId: event.productId, quantity: 0 };
      if (k < 0) {
        if (c.items.length === 0)
          c.items = [item]; // exact size: push on [] reserves room for 16
        else c.items.push(item);
      }
      item.quantity += event.quantity ?? 1;
      if (event.price !== undefined) item.price = event.price;
      return activity(c, tsMs, abandonAfterMs);
    }
    case "cart_remove": {
      if (cart === undefined) return undefined;
      const k = indexOf(cart.items, event.productId);
      if (k >= 0) {
        const item = cart.items[k] as CartItemState;
        item.quantity -= event.quantity ?? 1;
        if (item.quantity <= 0) cart.items.splice(k, 1);
      }
      return activity(cart, tsMs, abandonAfterMs);
    }
    case "checkout_start":
      return cart === undefined ? undefined : activity(cart, tsMs, abandonAfterMs);
    case "purchase":
      return undefined;
    default:
      return cart;
  }
}

/** The cart's timer at `timerMs`: fires the pending window, or forgets a fired cart. */
export function cartOnTimer(
  cart: CartState,
  profileId: string,
  cartTtlMs: number,
): [CartState | undefined, Trigger | undefined] {
  if (cart.windowStartMs === null) return [undefined, undefined];
  const items: TriggerItem[] = cart.items.map((i) =>
    i.price === undefined
      ? { productId: i.productId, quantity: i.quantity }
      : { productId: i.productId, quantity: i.quantity, price: i.price },
  );
  const trigger = windowTrigger(
    "cart_abandoned",
    profileId,
    cart.timerMs,
    items,
    cart.windowStartMs,
    cart.lastActivityMs,
  );
  const expiresMs = cart.lastActivityMs + cartTtlMs;
  if (expiresMs <= cart.timerMs) return [undefined, trigger];
  cart.windowStartMs = null;
  cart.timerMs = expiresMs;
  return [cart, trigger];
}
