import { createHash } from "node:crypto";
import { z } from "zod";
import { TriggerItem } from "../../processors/trigger.ts";

/**
 * One email to send, from a trigger (journey) or a campaign (action, orchestrated or API-triggered).
 * The idempotency key is made from (trigger id | campaign + run, profile, entity): see `sendKey`.
 *
 * @example
 * SendRequest.parse({ campaign: "welcome", runId: "2026-11-23", profileId: "p1", template: "order-confirmation", transactional: true })
 */
export const SendRequest = z.object({
  /** Set for trigger sends: the trigger's deterministic id. */
  triggerId: z.string().min(1).optional(),
  /** The campaign name; for trigger sends the trigger kind (e.g. `cart_abandoned`). */
  campaign: z.string().min(1),
  /** A campaign run (a schedule tick, an API Idempotency-Key, …); part of the key for campaign sends. */
  runId: z.string().min(1).optional(),
  profileId: z.string().min(1),
  /** For per-entity sends (one email per booking, per order, …). */
  entityId: z.string().min(1).optional(),
  template: z.string().min(1),
  /** Items the email is about (the cart, the viewed products). */
  items: z.array(TriggerItem).default([]),
  /** Recommendation strategy; none means no recommendations. */
  strategy: z.string().optional(),
  /** Payload for the template (order confirmation fields, …). */
  data: z.record(z.string(), z.unknown()).optional(),
  /** Transactional: no List-Unsubscribe, no frequency cap, no quiet hours, sent to unsubscribed profiles. */
  transactional: z.boolean().default(false),
});
export type SendRequest = z.infer<typeof SendRequest>;

const enc = (s: string) => encodeURIComponent(s);

/** The human-readable idempotency key (also the `X-Nudge-Send-Id` header). */
export function sendKey(
  req: Pick<SendRequest, "triggerId" | "campaign" | "runId" | "profileId" | "entityId">,
): string {
  const entity = enc(req.entityId ?? "-");
  if (req.triggerId) return `trigger/${enc(req.triggerId)}/${enc(req.profileId)}/${entity}`;
  return `campaign/${enc(req.campaign)}/${enc(req.runId ?? "-")}/${enc(req.profileId)}/${entity}`;
}

/** The short id of a key: ledger KV key, `.eml` file name, `send_log.send_id`. 32 hex chars of sha256. */
export function sendIdOf(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

/** The deterministic Message-ID of a key: the same key always yields the same Message-ID. */
export function messageIdOf(key: string): string {
  return `<${createHash("sha256").update(key).digest("hex")}@nudge>`;
}
