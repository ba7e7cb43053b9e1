import { type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import type { RejectReason } from "./decode.ts";
import { type OutMsg, publishMany } from "./publisher.ts";

/** The original message that failed, as it arrived. */
export interface Rejected {
  subject: string;
  data: Uint8Array;
  seq: number;
}

/**
 * The dead-letter message for a rejected event: `dlq.events.<reason>`, the original bytes, header
 * `Nudge-Error` with why, `Nudge-Subject`/`Nudge-Seq` with where it came from, and a `Nats-Msg-Id`
 * derived from the source sequence so a replay after a crash does not dead-letter it twice.
 */
export function deadLetterMessage(reason: RejectReason, original: Rejected, error: string): OutMsg {
  const h = natsHeaders();
  // Header values are one line; keep them short.
  h.set("Nudge-Error", error.replace(/[\r\n]+/g, " ").slice(0, 1_000));
  h.set("Nudge-Subject", original.subject);
  h.set("Nudge-Seq", String(original.seq));
  return {
    subject: `dlq.events.${reason}`,
    data: original.data,
    msgId: `dlq-${reason}-${original.seq}`,
    headers: h,
  };
}

/**
 * Publishes dead letters and awaits their PubAcks (call before acking the originals).
 *
 * @example await deadLetter(nc, [{ reason: "json", original, error: "Unexpected token" }]);
 */
export async function deadLetter(
  nc: NatsConnection,
  items: readonly { reason: RejectReason; original: Rejected; error: string }[],
): Promise<void> {
  if (items.length === 0) return;
  const results = await publishMany(
    nc,
    items.map((i) => deadLetterMessage(i.reason, i.original, i.error)),
  );
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) throw new Error(`dead-letter publish failed: ${failed.error}`);
}
