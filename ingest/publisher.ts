import {
  createInbox,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
} from "@nats-io/transport-node";
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

interface PubAck {
  seq?: number;
  duplicate?: boolean;
  error?: { description?: string };
}

/**
 * Publishes many messages to JetStream with up to `window` PubAcks outstanding, awaiting every one;
 * results in input order (a message with no PubAck within `timeoutMs` of the last progress, or on a
 * closed connection, is a failure).
 *
 * This is what `js.publish` does, without its per-message cost: nats.js makes a promise, a timer and a
 * `RequestError` (with a stack trace) for every request, ~26–30 µs of CPU per message here against
 * ~5 µs for a plain publish with a reply subject and one shared inbox subscription (measured with
 * 50,000 triggers, headers included).
 *
 * @example const results = await publishMany(nc, msgs);
 */
export function publishMany(
  nc: NatsConnection,
  msgs: readonly OutMsg[],
  opts: { window?: number; timeoutMs?: number } = {},
): Promise<PublishResult[]> {
  const results: PublishResult[] = new Array(msgs.length);
  if (msgs.length === 0) return Promise.resolve(results);
  const window = opts.window ?? 4_096;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const prefix = createInbox();
  return new Promise((resolve) => {
    let next = 0;
    let settled = 0;
    let progressAt = Date.now();
    let ended = false;
    const settle = (i: number, r: PublishResult) => {
      if (ended || results[i] !== undefined) return;
      results[i] = r;
      settled++;
      progressAt = Date.now();
      if (settled === msgs.length) end();
      else pump();
    };
    /** Done: whatever has no result yet failed for `why`. */
    const end = (why?: string) => {
      if (ended) return;
      ended = true;
      clearInterval(watchdog);
      sub.unsubscribe();
      for (let i = 0; i < msgs.length; i++) results[i] ??= { ok: false, error: why ?? "not published" };
      resolve(results);
    };
    const sub = nc.subscribe(`${prefix}.*`, {
      callback: (err, m) => {
        if (err) return end(messageOf(err));
        const i = Number(m.subject.slice(prefix.length + 1));
        // No stream listens on the subject: the server answers with a 503 status and no body.
        if (m.headers?.code === 503) {
          return settle(i, { ok: false, error: `no stream takes ${msgs[i]?.subject} (no responders)` });
        }
        let ack: PubAck;
        try {
          ack = m.json<PubAck>();
        } catch {
          return settle(i, { ok: false, error: `unreadable PubAck (status ${m.headers?.code ?? "none"})` });
        }
        settle(
          i,
          ack.error
            ? { ok: false, error: ack.error.description ?? "error PubAck" }
            : { ok: true, seq: ack.seq ?? 0, duplicate: ack.duplicate === true },
        );
      },
    });
    const watchdog = setInterval(
      () => Date.now() - progressAt > timeoutMs && end(`no PubAck for ${timeoutMs} ms`),
      Math.min(1_000, timeoutMs),
    );
    void sub.closed.then(() => end("connection closed"));
    const pump = () => {
      try {
        while (next < msgs.length && next - settled < window) {
          const m = msgs[next] as OutMsg;
          const h = m.headers ?? natsHeaders();
          if (m.msgId) h.set("Nats-Msg-Id", m.msgId);
          nc.publish(m.subject, m.data, { reply: `${prefix}.${next}`, headers: h });
          next++;
        }
      } catch (err) {
        end(messageOf(err));
      }
    };
    pump();
  });
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
export function publishEvents(nc: NatsConnection, events: readonly ShopEvent[]) {
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
