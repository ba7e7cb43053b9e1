import { z } from "zod";
import type { Db } from "../../ingest/index.ts";
import type { Renderer } from "../render/index.ts";
import type { EmailSink, SendResult } from "./email-sink.ts";
import { DeliveryStore } from "./store.ts";

/**
 * A send from a campaign (action, orchestrated or API-triggered). Key: (campaign, runId, profile,
 * entity), so the same run never mails the same profile/entity twice; an API call passes its
 * Idempotency-Key as `runId`. `transactional` defaults to the template's kind.
 */
export const CampaignSendRequest = z.object({
  campaign: z.string().min(1),
  runId: z.string().min(1).optional(),
  profileId: z.string().min(1),
  entityId: z.string().min(1).optional(),
  template: z.string().min(1),
  data: z.record(z.string(), z.unknown()).optional(),
  items: z
    .array(
      z.object({ productId: z.string(), quantity: z.number().int().min(1), price: z.number().optional() }),
    )
    .optional(),
  strategy: z.string().optional(),
  transactional: z.boolean().optional(),
});
export type CampaignSendRequest = z.infer<typeof CampaignSendRequest>;

/**
 * Sends campaign emails through the running sink (same batching, ledger, consent and pressure rules);
 * resolves with one result per request, in order. Transactional sends get no List-Unsubscribe and
 * skip the frequency cap and quiet hours.
 *
 * @example
 * await sendCampaignEmails({ sink, renderer }, [{ campaign: "order", runId: "o-17", profileId: "p1", template: "order-confirmation", data }]);
 */
export function sendCampaignEmails(
  deps: { sink: EmailSink; renderer?: Pick<Renderer, "kind"> },
  requests: readonly CampaignSendRequest[],
): Promise<SendResult[]> {
  return Promise.all(
    requests.map((raw) => {
      const r = CampaignSendRequest.parse(raw);
      const transactional = r.transactional ?? deps.renderer?.kind(r.template) === "transactional";
      return deps.sink.submit({ ...r, items: r.items ?? [], transactional });
    }),
  );
}

/**
 * One-click unsubscribe (RFC 8058): the profile's consent becomes `unsubscribed`; later marketing
 * sends to it are skipped with reason `unsubscribed`. Verify the token first (`verifyUnsubscribeToken`).
 *
 * @example
 * const profileId = verifyUnsubscribeToken(token, secret); if (profileId) await unsubscribe({ db }, profileId);
 */
export async function unsubscribe(deps: { db: Db }, profileId: string): Promise<{ profileId: string }> {
  const conn = await deps.db.instance.connect();
  try {
    await new DeliveryStore(conn).unsubscribe(profileId);
  } finally {
    conn.closeSync();
  }
  return { profileId };
}
