import type { Shop } from "./generate.ts";
import type { GeneratedLine } from "./generate-malformed.ts";
import { eventMessage, type OutMsg } from "./publisher.ts";

const encoder = new TextEncoder();

/**
 * The NATS message for one generated line: a valid event on `events.<type>.<p>` with `Nats-Msg-Id`;
 * a malformed line as its raw bytes on the subject it was meant for (so a `subject` mismatch survives,
 * which it cannot through an NDJSON file).
 */
export function generatedMessage(line: GeneratedLine): OutMsg {
  return line.kind === "event"
    ? eventMessage(line.event)
    : { subject: line.subject, data: encoder.encode(line.raw) };
}

/**
 * The shop's event log as messages, in arrival order, streamed.
 *
 * @example for (const batch of chunks(shopMessages(shop), 20_000)) await publishMany(nc, batch);
 */
export function* shopMessages(shop: Shop): Generator<OutMsg> {
  for (const line of shop.events()) yield generatedMessage(line);
}
