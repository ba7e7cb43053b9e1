import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type OutMsg, publishMany } from "../../ingest/index.ts";
import type { LoggedEvent } from "./detect-log.ts";

const encoder = new TextEncoder();

/** The message a producer would publish for a logged event (subject events.<type>.<p>, id as Nats-Msg-Id). */
export function logMessage(l: LoggedEvent): OutMsg {
  const p = l.event.profileId.replace(/[^A-Za-z0-9_-]/g, "_");
  return {
    subject: `events.${l.event.type}.${p}`,
    data: encoder.encode(JSON.stringify(l.event)),
    msgId: l.event.id,
  };
}

/** Publishes a log in arrival order, awaiting every PubAck; throws on a failed publish. */
export async function publishLog(nc: NatsConnection, log: readonly LoggedEvent[]): Promise<void> {
  const results = await publishMany(nc, log.map(logMessage), { window: 2_048 });
  const bad = results.find((r) => !r.ok);
  if (bad && !bad.ok) throw new Error(`publish failed: ${bad.error}`);
}

export async function lastSeq(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq;
}

/** Every message of a stream (optionally one subject filter), in order, as subject + parsed body + msg id. */
export async function readAll<T = unknown>(
  nc: NatsConnection,
  stream: string,
  filter?: string,
): Promise<{ subject: string; body: T; msgId: string | undefined; seq: number }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, filter ? { subjects_filter: filter } : undefined);
  const expected = filter
    ? Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0)
    : info.state.messages;
  const out: { subject: string; body: T; msgId: string | undefined; seq: number }[] = [];
  if (expected === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream, {
    deliver_policy: DeliverPolicy.All,
    ...(filter ? { filter_subjects: filter } : {}),
  });
  const deadline = Date.now() + 60_000;
  // A loaded machine may answer a fetch with nothing before it expires: loop until all are read.
  while (out.length < expected) {
    if (Date.now() > deadline) throw new Error(`read ${out.length} of ${expected} messages of ${stream}`);
    const batch = await consumer.fetch({
      max_messages: Math.min(10_000, expected - out.length),
      expires: 2_000,
    });
    for await (const m of batch) {
      out.push({ subject: m.subject, body: m.json<T>(), msgId: m.headers?.get("Nats-Msg-Id"), seq: m.seq });
    }
  }
  return out;
}

/** Resolves once `check()` is true, polling; rejects after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
