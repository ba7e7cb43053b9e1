import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { NatsConnection } from "@nats-io/transport-node";
import { NudgeError } from "./errors.ts";
import { lineMessage, type OutMsg, publishMany } from "./publisher.ts";

export interface PublishStats {
  lines: number;
  published: number;
  duplicates: number;
  failed: number;
  lastSeq: number;
}

/**
 * Publishes a stream of messages in windows, awaiting every PubAck; `onProgress` after each window.
 *
 * @example await publishStream(nc, shopMessages(shop), { onProgress: (s) => bar.update(s.lines) });
 */
export async function publishStream(
  nc: NatsConnection,
  msgs: Iterable<OutMsg> | AsyncIterable<OutMsg>,
  opts: { batch?: number; onProgress?: (s: PublishStats) => void } = {},
): Promise<PublishStats> {
  const stats: PublishStats = { lines: 0, published: 0, duplicates: 0, failed: 0, lastSeq: 0 };
  let pending: OutMsg[] = [];
  const flush = async () => {
    for (const r of await publishMany(nc, pending)) {
      if (!r.ok) stats.failed++;
      else if (r.duplicate) stats.duplicates++;
      else {
        stats.published++;
        stats.lastSeq = Math.max(stats.lastSeq, r.seq);
      }
    }
    pending = [];
    opts.onProgress?.(stats);
  };
  for await (const m of msgs) {
    stats.lines++;
    pending.push(m);
    if (pending.length >= (opts.batch ?? 20_000)) await flush();
  }
  if (pending.length > 0) await flush();
  return stats;
}

async function* fileMessages(file: string): AsyncGenerator<OutMsg> {
  const stream = createReadStream(file, "utf8");
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) =>
      reject(new NudgeError("NUDGE_ERR_LOAD_FILE", `cannot read ${file}: ${err.message}`)),
    );
  });
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() !== "") yield lineMessage(line);
  }
}

/**
 * Publishes an NDJSON file line by line (one event per line, valid or not: ingest dead-letters the
 * bad ones); the subject comes from each line's body.
 *
 * @example await publishFile(nc, "./data/shop/events.ndjson");
 */
export function publishFile(
  nc: NatsConnection,
  file: string,
  opts: { batch?: number; onProgress?: (s: PublishStats) => void } = {},
): Promise<PublishStats> {
  return publishStream(nc, fileMessages(file), opts);
}
