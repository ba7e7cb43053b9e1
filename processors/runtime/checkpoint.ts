import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { NatsConnection } from "@nats-io/transport-node";
import { NudgeError, openBucket } from "../../ingest/index.ts";

const gunzipAsync = promisify(gunzip);

/** What a processor instance needs to resume: detector state after `lastSeq`, and where its triggers ended. */
export interface Checkpoint {
  /** Last EVENTS stream sequence whose effects (triggers, dead letters) are in `state` and published. */
  lastSeq: number;
  watermarkMs: number | null;
  /** Highest TRIGGERS sequence this instance had a PubAck for when the checkpoint was written. */
  triggersSeq: number;
  /** `snapshotDetectState(...)`: plain JSON. */
  state: unknown;
}

/** The pointer record: read first, names the generation whose chunks hold the state. */
interface Head {
  v: 1;
  gen: number;
  chunks: number;
  bytes: number;
  lastSeq: number;
  watermarkMs: number | null;
  triggersSeq: number;
}

export interface SaveResult {
  gen: number;
  chunks: number;
  /** Compressed size in bytes. */
  bytes: number;
}

export interface CheckpointStore {
  load(): Promise<Checkpoint | undefined>;
  /** `stateGz` (`encodeSnapshot(...)`) is made by the caller at the batch boundary, before the state moves on. */
  save(cp: Omit<Checkpoint, "state"> & { stateGz: Buffer }): Promise<SaveResult>;
}

const isHead = (j: unknown): j is Head =>
  typeof j === "object" && j !== null && (j as { v?: unknown }).v === 1 && "gen" in j && "chunks" in j;

/**
 * Checkpoints in KV bucket `nudge_checkpoints`, under keys `<name>.head` and `<name>.g<gen>.<i>`.
 * A KV value is one NATS message, bounded by the server's `max_payload` (1 MiB by default), while a
 * snapshot with 200k open carts is tens of MB of JSON: so the JSON is gzipped and split into chunks
 * of a new generation, and the head is switched last. A crash mid-save leaves the old head pointing
 * at complete old chunks; a half-written generation is never read, and is swept at the next load.
 *
 * @example
 * const store = await openCheckpoints(nc, "processors-p0");
 * const cp = await store.load(); // undefined on first start
 * await store.save({ lastSeq, watermarkMs, triggersSeq, stateGz: encodeSnapshot(snapshotDetectState(state)) });
 */
export async function openCheckpoints(
  nc: NatsConnection,
  name: string,
  opts: { chunkBytes?: number | undefined } = {},
): Promise<CheckpointStore> {
  const kv = await openBucket(nc, "checkpoints");
  // Leave room for headers and the KV subject inside max_payload.
  const chunkBytes = opts.chunkBytes ?? Math.max(1_024, (nc.info?.max_payload ?? 1_048_576) - 64 * 1_024);
  const headKey = `${name}.head`;
  let head: Head | undefined;

  const readHead = async (): Promise<Head | undefined> => {
    const e = await kv.get(headKey);
    if (!e || e.length === 0) return undefined;
    const j: unknown = e.json();
    if (!isHead(j)) throw new NudgeError("NUDGE_ERR_INTERNAL", `checkpoint head ${headKey} is not a v1 head`);
    return j;
  };

  const sweep = async (keep: number | undefined) => {
    const stale: string[] = [];
    for await (const k of await kv.keys(`${name}.*.*`)) {
      if (keep === undefined || !k.startsWith(`${name}.g${keep}.`)) stale.push(k);
    }
    await Promise.all(stale.map((k) => kv.purge(k)));
  };

  return {
    async load() {
      head = await readHead();
      await sweep(head?.gen);
      if (!head) return undefined;
      const h = head;
      const parts = await Promise.all(
        Array.from({ length: h.chunks }, async (_, i) => {
          const e = await kv.get(`${name}.g${h.gen}.${i}`);
          if (!e || e.length === 0) {
            throw new NudgeError(
              "NUDGE_ERR_INTERNAL",
              `checkpoint ${name} generation ${h.gen} lacks chunk ${i}`,
            );
          }
          return e.value;
        }),
      );
      const json = await gunzipAsync(Buffer.concat(parts));
      return {
        lastSeq: h.lastSeq,
        watermarkMs: h.watermarkMs,
        triggersSeq: h.triggersSeq,
        state: JSON.parse(json.toString("utf8")),
      };
    },

    async save(cp) {
      const body = cp.stateGz;
      const gen = (head?.gen ?? 0) + 1;
      const chunks = Math.max(1, Math.ceil(body.byteLength / chunkBytes));
      await Promise.all(
        Array.from({ length: chunks }, (_, i) =>
          kv.put(`${name}.g${gen}.${i}`, body.subarray(i * chunkBytes, (i + 1) * chunkBytes)),
        ),
      );
      const next: Head = {
        v: 1,
        gen,
        chunks,
        bytes: body.byteLength,
        lastSeq: cp.lastSeq,
        watermarkMs: cp.watermarkMs,
        triggersSeq: cp.triggersSeq,
      };
      // The switch: until this put returns, a reader still sees the previous generation whole.
      await kv.put(headKey, JSON.stringify(next));
      const prev = head;
      head = next;
      if (prev)
        await Promise.all(
          Array.from({ length: prev.chunks }, (_, i) => kv.purge(`${name}.g${prev.gen}.${i}`)),
        );
      return { gen, chunks, bytes: body.byteLength };
    },
  };
}
