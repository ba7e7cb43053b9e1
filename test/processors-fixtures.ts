import { ShopEvent } from "../ingest/index.ts";
import {
  type DetectInput,
  type DetectOptions,
  type DetectState,
  detect,
  flushDetect,
  initialDetectState,
  type LateEvent,
  type TimedEvent,
  type Trigger,
} from "../processors/index.ts";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const T0 = Date.parse("2026-11-23T10:00:00.000Z");
export const iso = (min: number) => new Date(T0 + min * MIN).toISOString();

/** DESIGN defaults: abandon after 2h, session gap 30m, 2 views, lateness 5m. */
export const OPTS: DetectOptions = {
  abandonAfterMs: 2 * HOUR,
  sessionGapMs: 30 * MIN,
  minViews: 2,
  latenessMs: 5 * MIN,
};

let counter = 0;

/** An event at `min` minutes after T0 (fractions allowed). */
export function at(min: number, fields: Record<string, unknown>, profileId = "p1"): TimedEvent {
  const tsMs = T0 + Math.round(min * MIN);
  const event = ShopEvent.parse({
    id: `e${++counter}`,
    profileId,
    ts: new Date(tsMs).toISOString(),
    ...fields,
  });
  return { event, tsMs };
}

export const add = (min: number, productId: string, quantity = 1, price?: number, profileId?: string) =>
  at(min, { type: "cart_add", productId, quantity, ...(price === undefined ? {} : { price }) }, profileId);
export const remove = (min: number, productId: string, quantity = 1, profileId?: string) =>
  at(min, { type: "cart_remove", productId, quantity }, profileId);
export const view = (min: number, productId: string, profileId?: string, price?: number) =>
  at(min, { type: "product_view", productId, ...(price === undefined ? {} : { price }) }, profileId);
export const checkout = (min: number, profileId?: string) => at(min, { type: "checkout_start" }, profileId);
export const purchase = (min: number, profileId?: string) =>
  at(
    min,
    { type: "purchase", orderId: `o${++counter}`, items: [{ productId: "z", quantity: 1 }] },
    profileId,
  );
export const profileUpdate = (min: number, profileId?: string) =>
  at(min, { type: "profile_update", attributes: { firstName: "Ada" } }, profileId);

export interface Run {
  triggers: Trigger[];
  late: LateEvent[];
  duplicates: number;
  state: DetectState;
}

/** Feeds inputs through `detect` (events or ticks), then flushes unless `flush: false`. */
export function run(
  inputs: readonly (TimedEvent | DetectInput)[],
  opts: DetectOptions = OPTS,
  { flush = true, state = initialDetectState() }: { flush?: boolean; state?: DetectState } = {},
): Run {
  const result: Run = { triggers: [], late: [], duplicates: 0, state };
  const take = ([s, out]: ReturnType<typeof detect>) => {
    result.state = s;
    result.triggers.push(...out.triggers);
    result.late.push(...out.late);
    result.duplicates += out.duplicates;
  };
  for (const input of inputs) {
    take(detect(result.state, "type" in input ? input : { type: "event", ...input }, opts));
  }
  if (flush) take(flushDetect(result.state, opts));
  return result;
}

/** A compact view of a trigger for table assertions. */
export function brief(t: Trigger): string {
  const m = (s: string) => (Date.parse(s) - T0) / MIN;
  const items = t.items.map(
    (i) => `${i.productId}x${i.quantity}${i.price === undefined ? "" : `@${i.price}`}`,
  );
  return `${t.kind === "cart_abandoned" ? "cart" : "browse"} ${t.profileId} at ${m(t.at)} [${m(t.windowStart)}..${m(t.windowEnd)}] ${items.join(",")}`;
}
