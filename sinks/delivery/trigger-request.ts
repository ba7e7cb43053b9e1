import { Trigger } from "../../processors/trigger.ts";
import type { SendRequest } from "./send-request.ts";

/** Which template and recommendation strategy each trigger kind sends. */
export const TRIGGER_EMAILS = {
  cart_abandoned: { template: "cart-reminder", strategy: "cart_based" },
  browse_abandoned: { template: "browse-reminder", strategy: "viewed_viewed" },
} as const;

/**
 * The send request for a trigger: the cart (or the viewed products, most viewed first) as the
 * email's items, recommendations from the kind's strategy excluding them. Key: the trigger id.
 *
 * @example requestFromTrigger(trigger) // { triggerId, campaign: "cart_abandoned", template: "cart-reminder", … }
 */
export function requestFromTrigger(t: Trigger): SendRequest {
  const how = TRIGGER_EMAILS[t.kind];
  return {
    triggerId: t.id,
    campaign: t.kind,
    profileId: t.profileId,
    template: how.template,
    strategy: how.strategy,
    items: t.items,
    transactional: false,
  };
}

/**
 * A message body read as a trigger: the zod result, a failure for bad JSON as for a bad shape.
 *
 * @example const parsed = parseTrigger(m.data); if (parsed.success) requestFromTrigger(parsed.data);
 */
export function parseTrigger(data: Uint8Array) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch {
    json = undefined;
  }
  return Trigger.safeParse(json);
}
