import type { Recommendation } from "./compose.ts";
import type { LedgerEntry } from "./ledger.ts";
import type { SendRequest } from "./send-request.ts";
import type { SendLogRow } from "./store.ts";

/** The `send_log` row for one outcome (pure). `held` rows carry the hold's end as their reason. */
export function sendLogRow(
  c: { sendId: string; key: string; messageId: string; req: SendRequest },
  e: LedgerEntry,
  createdAt: number,
  recs: readonly Recommendation[],
  email?: string,
): SendLogRow {
  return {
    sendId: c.sendId,
    key: c.key,
    messageId: c.messageId,
    profileId: c.req.profileId,
    email,
    campaign: c.req.campaign,
    triggerId: c.req.triggerId,
    template: c.req.template,
    kind: c.req.transactional ? "transactional" : "marketing",
    recommendations: recs.map((r) => ({
      productId: r.productId,
      reason: r.reason,
      score: r.score,
      rank: r.rank,
    })),
    status: e.state === "sending" ? "failed" : e.state,
    reason: e.reason ?? e.until,
    attempts: e.attempts,
    createdAt,
    sentAt: e.state === "sent" ? Date.parse(e.at) : undefined,
    smtpResponse: e.response,
    error: e.error,
  };
}
