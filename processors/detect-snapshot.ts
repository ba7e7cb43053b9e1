import { z } from "zod";
import { ShopEvent } from "../ingest/index.ts";
import type { SessionState, ViewedProduct } from "./browse.ts";
import { type DetectState, initialDetectState, type ProfileState, pendingTie } from "./detect-state.ts";
import { rememberId } from "./seen-ids.ts";

/** −∞ (nothing seen yet) is stored as null. */
const Time = z.number().nullable();
const Ms = z.number();

const CartSnapshot = z.object({
  items: z.array(z.object({ productId: z.string(), quantity: z.number(), price: z.number().optional() })),
  windowStartMs: Ms.nullable(),
  lastActivityMs: Ms,
  timerMs: Ms,
});

const SessionSnapshot = z.object({
  startMs: Ms,
  lastMs: Ms,
  closeMs: Ms,
  views: z.number(),
  converted: z.boolean(),
  /** [productId, views, price?] in first-view order. */
  products: z.array(z.tuple([z.string(), z.number()], z.number())),
});

/**
 * The JSON form of DetectState: plain arrays (so a runtime may store the big ones in chunks),
 * in a deterministic order. Timer queues are rebuilt from the profiles on restore.
 */
export const DetectSnapshot = z.object({
  v: z.literal(1),
  watermark: z.object({ watermarkMs: Time, maxEventMs: Time, anchorWallMs: Time }),
  pending: z.array(z.object({ tsMs: Ms, event: ShopEvent })),
  profiles: z.array(
    z.tuple([z.string(), z.object({ cart: CartSnapshot.optional(), session: SessionSnapshot.optional() })]),
  ),
  seen: z.array(z.tuple([z.string(), Ms])),
});
export type DetectSnapshot = z.infer<typeof DetectSnapshot>;

const fromTime = (t: number): number | null => (t === Number.NEGATIVE_INFINITY ? null : t);
const toTime = (t: number | null): number => t ?? Number.NEGATIVE_INFINITY;

/** A JSON-safe copy of the state (shares nothing with it). */
export function snapshotDetectState(s: DetectState): DetectSnapshot {
  const w = s.watermark;
  return {
    v: 1,
    watermark: {
      watermarkMs: fromTime(w.watermarkMs),
      maxEventMs: fromTime(w.maxEventMs),
      anchorWallMs: w.anchorWallMs,
    },
    pending: s.pending.sorted().map(({ time, item }) => ({ tsMs: time, event: structuredClone(item) })),
    profiles: [...s.profiles].map(([pid, p]) => [
      pid,
      {
        ...(p.cart && {
          cart: {
            items: p.cart.items.map((i) => ({ ...i })),
            windowStartMs: p.cart.windowStartMs,
            lastActivityMs: p.cart.lastActivityMs,
            timerMs: p.cart.timerMs,
          },
        }),
        ...(p.session && {
          session: {
            startMs: p.session.startMs,
            lastMs: p.session.lastMs,
            closeMs: p.session.closeMs,
            views: p.session.views,
            converted: p.session.converted,
            products: [...p.session.products].map(([id, v]): [string, number, ...number[]] =>
              v.price === undefined ? [id, v.views] : [id, v.views, v.price],
            ),
          },
        }),
      },
    ]),
    seen: [...s.seen.ids],
  };
}

/** Rebuilds a state from `snapshotDetectState` output (parsed back from JSON). Throws a ZodError on bad input. */
export function restoreDetectState(json: unknown): DetectState {
  const snap = DetectSnapshot.parse(json);
  const s = initialDetectState();
  s.watermark.watermarkMs = toTime(snap.watermark.watermarkMs);
  s.watermark.maxEventMs = toTime(snap.watermark.maxEventMs);
  s.watermark.anchorWallMs = snap.watermark.anchorWallMs;
  for (const { tsMs, event } of snap.pending) s.pending.push(tsMs, pendingTie(event), event);
  for (const [id, ts] of snap.seen) rememberId(s.seen, id, ts);
  for (const [pid, ps] of snap.profiles) {
    const p: ProfileState = { cart: ps.cart, session: undefined, cartQueuedMs: null, sessionQueuedMs: null };
    if (ps.session) {
      const products = new Map<string, ViewedProduct>();
      for (const [id, views, price] of ps.session.products) {
        products.set(id, price === undefined ? { views } : { views, price });
      }
      const session: SessionState = { ...ps.session, products };
      p.session = session;
      s.openSessions += 1;
      s.sessionTimers.push(session.closeMs, pid, pid);
      p.sessionQueuedMs = session.closeMs;
    }
    if (p.cart) {
      if (p.cart.windowStartMs === null) s.firedCarts += 1;
      else s.openCarts += 1;
      s.cartTimers.push(p.cart.timerMs, pid, pid);
      p.cartQueuedMs = p.cart.timerMs;
    }
    s.profiles.set(pid, p);
  }
  return s;
}
