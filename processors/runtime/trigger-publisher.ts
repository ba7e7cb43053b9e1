import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { NudgeError, type OutMsg, publishMany } from "../../ingest/index.ts";
import { type Trigger, triggerSubject } from "../trigger.ts";

const encoder = new TextEncoder();

/** Header naming the processor instance (its durable) that published a trigger. */
export const SOURCE_HEADER = "Nudge-Source";

/** `triggers.<kind>`, the JSON payload, `Nats-Msg-Id` = trigger id, and the publishing instance. */
export function triggerMessage(t: Trigger, source: string): OutMsg {
  const h = natsHeaders();
  h.set(SOURCE_HEADER, source);
  return {
    subject: triggerSubject(t.kind),
    data: encoder.encode(JSON.stringify(t)),
    msgId: t.id,
    headers: h,
  };
}

export interface PublishOutcome {
  /** Highest TRIGGERS sequence acknowledged (0 when nothing was published). */
  lastSeq: number;
  /** PubAcks that said "duplicate": the stream's dedupe window caught a republish. */
  duplicates: number;
}

/**
 * Publishes messages in order of the input with PubAcks awaited in a window; throws when any failed,
 * so the caller neither checkpoints nor acks a batch whose effects are not all durable.
 */
export async function publishAll(nc: NatsConnection, msgs: readonly OutMsg[]): Promise<PublishOutcome> {
  if (msgs.length === 0) return { lastSeq: 0, duplicates: 0 };
  const results = await publishMany(nc, msgs, { window: 1_024 });
  let lastSeq = 0;
  let duplicates = 0;
  for (const r of results) {
    if (!r.ok) throw new NudgeError("NUDGE_ERR_INTERNAL", `publish to JetStream failed: ${r.error}`);
    lastSeq = Math.max(lastSeq, r.seq);
    if (r.duplicate) duplicates++;
  }
  return { lastSeq, duplicates };
}

/**
 * The ids of triggers this `source` published after TRIGGERS sequence `afterSeq`: after a crash,
 * those of the batch that was published but not yet checkpointed. Replay skips them, so the stream's
 * duplicate window is not what keeps a trigger single. Reads headers only, up to the current end.
 */
export async function publishedSince(
  nc: NatsConnection,
  source: string,
  afterSeq: number,
  timeoutMs = 60_000,
): Promise<Set<string>> {
  const ids = new Set<string>();
  const end = await triggersLastSeq(nc);
  if (end <= afterSeq) return ids;
  const consumer = await jetstream(nc).consumers.get("TRIGGERS", {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
    headers_only: true,
  });
  const deadline = Date.now() + timeoutMs;
  let seq = afterSeq;
  while (seq < end) {
    if (Date.now() > deadline) {
      throw new NudgeError(
        "NUDGE_ERR_INTERNAL",
        `reading TRIGGERS ${afterSeq + 1}..${end} took over ${timeoutMs} ms`,
      );
    }
    // Fetch, not consume: each round ends by itself (count or expiry), so a stalled read cannot hang start-up.
    const batch = await consumer.fetch({ max_messages: Math.min(10_000, end - seq), expires: 2_000 });
    for await (const m of batch) {
      seq = m.seq;
      const id = m.headers?.get("Nats-Msg-Id");
      if (id && m.headers?.get(SOURCE_HEADER) === source) ids.add(id);
    }
  }
  return ids;
}

/** The current last sequence of TRIGGERS. */
export async function triggersLastSeq(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info("TRIGGERS")).state.last_seq;
}
