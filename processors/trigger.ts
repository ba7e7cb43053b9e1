import { z } from "zod";

export const TriggerKind = z.enum(["cart_abandoned", "browse_abandoned"]);
export type TriggerKind = z.infer<typeof TriggerKind>;

export const TriggerItem = z.object({
  productId: z.string(),
  quantity: z.number().int().min(1),
  price: z.number().min(0).optional(),
});
export type TriggerItem = z.infer<typeof TriggerItem>;

/**
 * What detection emits (DESIGN.md): published to `triggers.<kind>` with `id` as `Nats-Msg-Id`.
 * `at`, `windowStart` and `windowEnd` are ISO-8601 UTC strings in event time.
 *
 * @example
 * { id: "cart_abandoned:p1:2026-11-23T10:00:00.000Z", kind: "cart_abandoned", profileId: "p1", at: "...", items: [...], windowStart: "...", windowEnd: "..." }
 */
export const Trigger = z.object({
  id: z.string(),
  kind: TriggerKind,
  profileId: z.string(),
  at: z.string(),
  items: z.array(TriggerItem),
  windowStart: z.string(),
  windowEnd: z.string(),
});
export type Trigger = z.infer<typeof Trigger>;

export function triggerSubject(kind: TriggerKind): string {
  return `triggers.${kind}`;
}

/**
 * A trigger for the window [startMs, endMs] of `profileId`, fired at `atMs` (all event time). Its id,
 * `<kind>:<profileId>:<windowStart>`, is the same whichever instance or replay computes it.
 */
export function windowTrigger(
  kind: TriggerKind,
  profileId: string,
  atMs: number,
  items: TriggerItem[],
  startMs: number,
  endMs: number,
): Trigger {
  const windowStart = new Date(startMs).toISOString();
  return {
    id: `${kind}:${profileId}:${windowStart}`,
    kind,
    profileId,
    at: new Date(atMs).toISOString(),
    items,
    windowStart,
    windowEnd: new Date(endMs).toISOString(),
  };
}
