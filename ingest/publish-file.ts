import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { NatsConnection } from "@nats-io/transport-node";
import { NudgeError } from "./errors.ts";
import { lineMessage, type OutMsg, publishMany } from "./publisher.ts";

export interface PublishFileStats {
  lines: number;
  published: number;
  duplicates: number;
  failed: number;
  lastSeq: number;
}

/**
 * Publishes an NDJSON file line by line (one event per line, valid or not: ingest dead-letters the
 * bad ones), in windows, awaiting every PubAck. `onProgress` is called after each window.
 *
 * @example await publishFile(nc, "./data/shop/events.ndjson", { onProgress: (s) => bar.update(s.lines) });
 */
export async function publishFile(
  nc: NatsConnection,
  file: string,
  opts: { batch?: number; onProgress?: (s: PublishFileStats) => void } = {},
): Promise<PublishFileStats> {
  const stats: PublishFileStats = { lines: 0, published: 0, duplicates: 0, failed: 0, lastSeq: 0 };
  const stream = createReadStream(file, "utf8");
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) =>
      reject(new NudgeError("NUDGE_ERR_LOAD_FILE", `cannot read ${file}: ${err.message}`)),
    );
  });
  await opened;
  let pending: OutMsg[] = [];
  const flush = async () => {
    const results = await publishMany(nc, pending);
    for (const r of results) {
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
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === "") continue;
    stats.lines++;
    pending.push(lineMessage(line));
    if (pending.length >= (opts.batch ?? 20_000)) await flush();
  }
  if (pending.length > 0) await flush();
  return stats;
}
