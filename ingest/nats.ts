import {
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import { messageOf, NudgeError } from "./errors.ts";

const GiB = 1024 ** 3;
const DAY = 86_400_000;

/**
 * The streams nudge owns, with their limits. Documented in README ("NATS layout").
 * `max_msg_size` on EVENTS is the server-side bound; ingest rejects events over MAX_EVENT_BYTES.
 */
export const STREAMS = {
  EVENTS: {
    subjects: ["events.>"],
    max_age: 30 * DAY,
    max_bytes: 20 * GiB,
    max_msg_size: 1024 * 1024,
    duplicate_window: 10 * 60_000,
  },
  TRIGGERS: {
    subjects: ["triggers.>"],
    max_age: 30 * DAY,
    max_bytes: 5 * GiB,
    max_msg_size: 1024 * 1024,
    duplicate_window: 24 * 3_600_000,
  },
  DLQ: {
    subjects: ["dlq.>"],
    max_age: 30 * DAY,
    max_bytes: 5 * GiB,
    max_msg_size: 2 * 1024 * 1024,
    duplicate_window: 10 * 60_000,
  },
} as const;
export type StreamName = keyof typeof STREAMS;

/** KV buckets used by the processors, the sinks and the API. */
export const BUCKETS = {
  checkpoints: { bucket: "nudge_checkpoints", history: 1, description: "processor state snapshots" },
  ledger: { bucket: "nudge_ledger", history: 1, description: "send ledger: one entry per idempotency key" },
  journeys: { bucket: "nudge_journeys", history: 1, description: "journey instances and durable waits" },
  idempotency: {
    bucket: "nudge_idempotency",
    history: 1,
    description: "API Idempotency-Key results (kept 24h)",
    ttl: 24 * 3_600_000,
  },
  state: { bucket: "nudge_state", history: 1, description: "suppressions, caps, campaign runs" },
} as const;
export type BucketName = keyof typeof BUCKETS;

export { MAX_EVENT_BYTES } from "./limits.ts";

/**
 * Connects with the options measured fastest (FACTS.md: `noAsyncTraces`), failing with a clear code.
 *
 * @example const nc = await connectNats(config.NATS_URL);
 */
export async function connectNats(url: string, name = "nudge"): Promise<NatsConnection> {
  try {
    return await connect({
      servers: url,
      name,
      noAsyncTraces: true,
      maxReconnectAttempts: -1,
      timeout: 5_000,
    });
  } catch (err) {
    throw new NudgeError(
      "NUDGE_ERR_NATS_UNREACHABLE",
      `cannot connect to NATS at ${url}: ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** True when something answers as a NATS server at `url` within `timeoutMs`. */
export async function natsReachable(url: string, timeoutMs = 1_500): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false, noAsyncTraces: true });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

export async function jetStreamManagerOrFail(nc: NatsConnection): Promise<JetStreamManager> {
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.getAccountInfo();
    return jsm;
  } catch (err) {
    throw new NudgeError(
      "NUDGE_ERR_NO_JETSTREAM",
      `the NATS server at ${nc.getServer()} has no JetStream (start it with -js): ${messageOf(err)}`,
      { cause: err },
    );
  }
}

function streamConfig(name: StreamName): Partial<StreamConfig> & { name: string } {
  const s = STREAMS[name];
  return {
    name,
    subjects: [...s.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(s.max_age),
    max_bytes: s.max_bytes,
    max_msg_size: s.max_msg_size,
    duplicate_window: nanos(s.duplicate_window),
    num_replicas: 1,
  };
}

/**
 * Creates or updates the streams and KV buckets. Idempotent: safe at every start.
 *
 * @example await provision(nc);
 */
export async function provision(nc: NatsConnection, opts: { replicas?: number } = {}): Promise<void> {
  const jsm = await jetStreamManagerOrFail(nc);
  for (const name of Object.keys(STREAMS) as StreamName[]) {
    const config = { ...streamConfig(name), num_replicas: opts.replicas ?? 1 };
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config);
    } catch (err) {
      if (!/stream not found/i.test(messageOf(err))) throw err;
      await jsm.streams.add(config);
    }
  }
  const kvm = new Kvm(nc);
  for (const b of Object.values(BUCKETS)) {
    await kvm.create(b.bucket, {
      history: b.history,
      description: b.description,
      replicas: opts.replicas ?? 1,
    });
  }
}

/** Opens one of nudge's KV buckets (provisioned beforehand). */
export async function openBucket(nc: NatsConnection, name: BucketName) {
  return new Kvm(nc).open(BUCKETS[name].bucket);
}
