import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { messageOf } from "./errors.ts";
import { eventSubject, type ShopEvent } from "./event.ts";

/** One message to publish: already-encoded bytes on a subject, with an optional dedupe id. */
export interface OutMsg {
  subject: string;
  data: Uint8Array;
  msgId?: string;
  headers?: MsgHdrs;
}

export type PublishResult = { ok: true; seq: number; duplicate: boolean } | { ok: false; error: string };

const encoder = new TextEncoder();

function isJetStreamClient(x: NatsConnection | JetStreamClient): x is JetStreamClient {
  return "consumers" in x && "publish" in x && !("subscribe" in x);
}

/**
 * Publishes many messages with up to `window` PubAcks outstanding, awaiting every one; results in input
 * order. Measured here: ~200k msgs/s with a window of a few thousand (FACTS.md), vs ~28k/s one at a time.
 *
 * @example const results = await publishMany(nc, msgs);
 */
export async function publishMany(
  nc: NatsConnection | JetStreamClient,
  msgs: readonly OutMsg[],
  opts: { window?: number; timeoutMs?: number } = {},
): Promise<PublishResult[]> {
  const js = isJetStreamClient(nc) ? nc : jetstream(nc);
  const window = opts.window ?? 4_096;
  const results: PublishResult[] = new Array(msgs.length);
  let next = 0;
  const worker = async () => {
    while (next < msgs.length) {
      const i = next++;
      const m = msgs[i]!;
      try {
        const ack = await js.publish(m.subject, m.data, {
          ...(m.msgId ? { msgID: m.msgId } : {}),
          ...(m.headers ? { headers: m.headers } : {}),
          timeout: opts.timeoutMs ?? 10_000,
        });
        results[i] = { ok: true, seq: ack.seq, duplicate: ack.duplicate };
      } catch (err) {
        results[i] = { ok: false, error: messageOf(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, msgs.length) }, worker));
  return results;
}

/** The message for an event: subject `events.<type>.<p>`, `Nats-Msg-Id` = event id. */
export function eventMessage(event: ShopEvent): OutMsg {
  return { subject: eventSubject(event), data: encoder.encode(JSON.stringify(event)), msgId: event.id };
}

/**
 * Publishes validated events, awaiting every PubAck.
 *
 * @example await publishEvents(nc, [{ id: "e1", type: "product_view", profileId: "p1", ts, productId: "sku-1" }]);
 */
export function publishEvents(nc: NatsConnection | JetStreamClient, events: readonly ShopEvent[]) {
  return publishMany(nc, events.map(eventMessage));
}

/**
 * The subject and id for a raw NDJSON line from a producer, valid or not: the body decides the
 * subject when it can; otherwise the line still goes to the stream so ingest dead-letters it with a reason.
 */
export function lineMessage(line: string): OutMsg {
  const data = encoder.encode(line);
  try {
    const body: unknown = JSON.parse(line);
    if (body && typeof body === "object") {
      const { type, profileId, id } = body as Record<string, unknown>;
      if (typeof type === "string" && typeof profileId === "string" && /^[a-z_]+$/.test(type)) {
        return { subject: eventSubject({ type, profileId }), data, msgId: stringId(id) };
      }
      return { subject: "events.unknown.unknown", data, msgId: stringId(id) };
    }
  } catch {
    // not JSON: ingest dead-letters it as `json`
  }
  return { subject: "events.unknown.unknown", data };
}

const stringId = (id: unknown) =>
  typeof id === "string" && id.length > 0 && id.length <= 128 ? id : undefined;
