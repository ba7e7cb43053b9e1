import { AckPolicy, DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { Observable } from "rxjs";
import { messageOf } from "./errors.ts";

/** A message from a stream, acked by the caller once its effect is durable. */
export interface StreamMsg {
  seq: number;
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  /** Acks this message and, with AckPolicy.All, every earlier one of this consumer. */
  ack(): void;
}

export interface ConsumeOptions {
  stream: string;
  /** Durable consumer name (one per reader: `history`, `processors`, `processors-p0`, `email`, …). */
  durable: string;
  /** One subject filter (nats-server 2.9 allows one per consumer). */
  filterSubject?: string;
  /** First stream sequence to deliver: the caller's own checkpoint + 1 is the truth, not the server's ack floor. */
  startSeq: number;
  /** Never more than this many un-acked messages (the server stops delivering at max_ack_pending). */
  maxInFlight: number;
  /** How long the server waits for an ack before redelivering. */
  ackWaitMs?: number;
}

/** A JetStream message as a StreamMsg: fields read from the message only when asked for. */
class JsStreamMsg implements StreamMsg {
  constructor(
    readonly seq: number,
    private readonly m: JsMsg,
  ) {}
  get subject() {
    return this.m.subject;
  }
  get data() {
    return this.m.data;
  }
  get headers() {
    return this.m.headers;
  }
  ack() {
    this.m.ack();
  }
}

/**
 * The stream sequence from the ack subject, `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.…` (or with
 * `<domain>.<account>` after ACK), without the client's full parse (an array and an object per message).
 */
function streamSeq(m: JsMsg): number {
  const reply = (m as unknown as { reply: string }).reply;
  let dots = 0;
  let start = 0;
  let count = 0;
  for (let i = 0; i < reply.length; i++) {
    if (reply.charCodeAt(i) !== 46) continue;
    count++;
    if (count === 5) start = i + 1;
    else if (count === 6) dots = i;
  }
  // 8 dots: the old 9-token form, the stream sequence is token 5; otherwise let the client parse it.
  return count === 8 && reply.startsWith("$JS.ACK.") ? Number(reply.slice(start, dots)) : m.seq;
}

/**
 * A durable pull consumer as an Observable, positioned at `startSeq` at subscribe time.
 * AckPolicy.All: acking message N acks all before it, so a batch costs one ack. Redeliveries of
 * messages already emitted (after an ack-wait expiry) are dropped here, so downstream sees each
 * sequence once per subscription, in order.
 *
 * @example
 * consumeStream(nc, { stream: "EVENTS", durable: "history", startSeq: last + 1, maxInFlight: 10_000 })
 *   .pipe(bufferTime(200, null, 5_000))
 *   .subscribe(async (batch) => { await write(batch); batch.at(-1)?.ack(); });
 */
export function consumeStream(nc: NatsConnection, opts: ConsumeOptions): Observable<StreamMsg> {
  return new Observable<StreamMsg>((subscriber) => {
    let stopped = false;
    let stop: (() => void) | undefined;
    let highest = opts.startSeq - 1;
    (async () => {
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.delete(opts.stream, opts.durable).catch(() => false);
      await jsm.consumers.add(opts.stream, {
        durable_name: opts.durable,
        ack_policy: AckPolicy.All,
        ...(opts.startSeq > 1
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: opts.startSeq }
          : { deliver_policy: DeliverPolicy.All }),
        max_ack_pending: opts.maxInFlight,
        ack_wait: (opts.ackWaitMs ?? 60_000) * 1_000_000,
        ...(opts.filterSubject ? { filter_subject: opts.filterSubject } : {}),
      });
      if (stopped) return;
      const consumer = await jetstream(nc).consumers.get(opts.stream, opts.durable);
      const messages = await consumer.consume({
        max_messages: Math.min(opts.maxInFlight, 2_000),
        callback: (m) => {
          const seq = streamSeq(m);
          if (seq <= highest) return; // a redelivery of something already handed downstream
          highest = seq;
          subscriber.next(new JsStreamMsg(seq, m));
        },
      });
      stop = () => void messages.stop();
      if (stopped) stop();
      messages.closed().then((err) => {
        if (err && !stopped) subscriber.error(err);
      });
    })().catch((err: unknown) => subscriber.error(new Error(`consumer ${opts.durable}: ${messageOf(err)}`)));
    return () => {
      stopped = true;
      stop?.();
    };
  });
}
