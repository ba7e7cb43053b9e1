import { Rng, type ShopEvent } from "../../ingest/index.ts";

/**
 * A synthetic shop event log for the detection oracle, crash, partition tests and bench/detect.ts.
 * Deterministic by seed. Per profile the events have distinct, increasing times (no ties), removals
 * only take what is in the cart, and gaps now and then exceed the session gap or the abandonment
 * delay, so windows open, close, fire and get cancelled. The arrival order is event time plus a
 * jitter under the lateness, except for a few events held back by `lateHoldMs` (they arrive late).
 */
export interface LogOptions {
  seed: number;
  events: number;
  profiles: number;
  startMs: number;
  spanMs: number;
  products?: number;
  jitterMs?: number;
  lateFraction?: number;
  lateHoldMs?: number;
}

export interface LoggedEvent {
  event: ShopEvent;
  tsMs: number;
  /** Sort key of the arrival (publish) order. */
  arriveMs: number;
}

/** A seeded random float source in [0, 1) (ingest's pure-rand generator). */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.float();
}

const MIN = 60_000;

/** A profile id; every 7th has characters the subject token must replace. */
export const profileIdOf = (i: number) => (i % 7 === 0 ? `user.${i}@shop` : `u-${i}`);

/** Events in arrival order. */
export function generateLog(o: LogOptions): LoggedEvent[] {
  const rnd = seededRandom(o.seed);
  const products = o.products ?? 500;
  const jitter = o.jitterMs ?? 2 * MIN;
  const lateFraction = o.lateFraction ?? 0.001;
  const lateHold = o.lateHoldMs ?? 60 * MIN;
  const perProfile = Math.max(1, Math.round(o.events / o.profiles));
  // Skewed product popularity: a few products get most views.
  const product = () => `sku-${Math.floor(products * rnd() ** 2.5)}`;
  const out: LoggedEvent[] = [];
  let n = 0;
  for (let p = 0; p < o.profiles && n < o.events; p++) {
    const profileId = profileIdOf(p);
    const cart = new Map<string, number>();
    let t = o.startMs + Math.floor(rnd() * o.spanMs * 0.8);
    const count = Math.min(
      o.events - n,
      p === o.profiles - 1 ? o.events - n : 1 + Math.floor(rnd() * 2 * perProfile),
    );
    for (let k = 0; k < count; k++, n++) {
      const g = rnd();
      // Gaps: mostly short, sometimes past the session gap (30m), sometimes past the abandon delay (2h).
      t +=
        g < 0.75
          ? 1_000 + Math.floor(rnd() * 10 * MIN)
          : g < 0.93
            ? 20 * MIN + Math.floor(rnd() * 60 * MIN)
            : 100 * MIN + Math.floor(rnd() * 300 * MIN);
      const base = { id: `e-${o.seed}-${n}`, profileId, ts: new Date(t).toISOString() };
      const r = rnd();
      let event: ShopEvent;
      if (r < 0.55 || (r >= 0.75 && r < 0.85 && cart.size === 0)) {
        event = { ...base, type: "product_view", productId: product(), price: 10 + (n % 90) };
      } else if (r < 0.75) {
        const productId = product();
        const quantity = 1 + Math.floor(rnd() * 3);
        cart.set(productId, (cart.get(productId) ?? 0) + quantity);
        event = { ...base, type: "cart_add", productId, quantity, price: 5 + (n % 200) };
      } else if (r < 0.85) {
        const keys = [...cart.keys()];
        const productId = keys[Math.floor(rnd() * keys.length)]!;
        const have = cart.get(productId)!;
        const quantity = 1 + Math.floor(rnd() * have);
        if (quantity === have) cart.delete(productId);
        else cart.set(productId, have - quantity);
        event = { ...base, type: "cart_remove", productId, quantity };
      } else if (r < 0.9) {
        event = { ...base, type: "checkout_start" };
      } else if (r < 0.96 && cart.size > 0) {
        const items = [...cart].map(([productId, quantity]) => ({ productId, quantity, price: 9.5 }));
        cart.clear();
        event = { ...base, type: "purchase", orderId: `o-${n}`, items };
      } else {
        event = { ...base, type: "profile_update", attributes: { email: `${p}@example.com` } };
      }
      // Only views and profile updates arrive late, so the cart arithmetic stays exact for the oracle.
      const late = (event.type === "product_view" || event.type === "profile_update") && rnd() < lateFraction;
      out.push({ event, tsMs: t, arriveMs: t + (late ? lateHold : Math.floor(rnd() * jitter)) });
    }
  }
  out.sort((a, b) => a.arriveMs - b.arriveMs || (a.event.id < b.event.id ? -1 : 1));
  return out;
}

/** One event past every deadline, so a finite replay fires all that is pending (it fires nothing itself). */
export function sentinel(after: LoggedEvent[], seed: number): LoggedEvent {
  const maxTs = after.reduce((m, e) => Math.max(m, e.tsMs), 0);
  const tsMs = maxTs + 30 * 24 * 60 * MIN;
  return {
    event: {
      id: `sentinel-${seed}`,
      type: "product_view",
      profileId: "sentinel",
      productId: "sku-0",
      ts: new Date(tsMs).toISOString(),
    },
    tsMs,
    arriveMs: tsMs,
  };
}
