import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { NudgeError, type OutMsg, publishMany } from "../../ingest/index.ts";
import { type Trigger, triggerSubject } from "../trigger.ts";
import type { TriggerOut } from "./detect-runner.ts";

const encoder = new TextEncoder();

/** Header naming the processor instance (its durable) that published a trigger. */
export const SOURCE_HEADER = "Nudge-Source";

/**
 * `triggers.<kind>`, the JSON payload, `Nats-Msg-Id` = trigger id, and the publishing instance.
 * Takes a Trigger, or its id and kind with the JSON text already made (by the detect thread).
 */
export function triggerMessage(t: Trigger | TriggerOut, source: string): OutMsg {
  const h = natsHeaders();
  h.set(SOURCE_HEADER, source);
  return {
    subject: triggerSubject(t.kind),
    data: encoder.encode("json" in t ? t.json : JSON.stringify(t)),
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
 * `publishMany`, for a batch that must land whole: resolves with the highest sequence once every
 * message is acknowledged, rejects when any failed, so the caller neither checkpoints nor acks a batch
 * whose effects are not all durable.
 *
 * @example const { lastSeq } = await publishAll(nc, triggers.map((t) => triggerMessage(t, name)));
 */
export async function publishAll(
  nc: NatsConnection,
  msgs: readonly OutMsg[],
  opts: { window?: number; timeoutMs?: number } = {},
): Promise<PublishOutcome> {
  let lastSeq = 0;
  let duplicates = 0;
  for (const r of await publishMany(nc, msgs, opts)) {
    if (!r.ok) throw new NudgeError("NUDGE_ERR_INTERNAL", `publish to JetStream failed: ${r.error}`);
    if (r.seq > lastSeq) lastSeq = r.seq;
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
