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
  /** `snapshotDetectState(...)`: plain JSON (the base, when deltas follow). */
  state: unknown;
  /** `snapshotDetectDelta(...)` written after the base, oldest first: merge them (mergeDetectSnapshots). */
  deltas: unknown[];
  /** Compressed sizes of the base and of its deltas together (a writer's cue to write a new base). */
  baseBytes: number;
  deltaBytes: number;
}

/** The pointer record: read first, names the generation whose chunks hold the state, and its deltas. */
interface Head {
  v: 1;
  gen: number;
  chunks: number;
  bytes: number;
  /** Chunk counts and sizes of the deltas written on top of this generation's base (absent: none). */
  deltas?: { chunks: number; bytes: number }[];
  lastSeq: number;
  watermarkMs: number | null;
  triggersSeq: number;
}

export interface SaveResult {
  gen: number;
  /** Index of the delta written, or null for a new base. */
  delta: number | null;
  chunks: number;
  /** Compressed size in bytes. */
  bytes: number;
}

export interface SaveInput {
  lastSeq: number;
  watermarkMs: number | null;
  triggersSeq: number;
  /** `encodeSnapshot(...)`, made by the caller at the batch boundary, before the state moves on. */
  stateGz: Uint8Array;
  /** True: `stateGz` is a delta on top of the current base and its deltas; otherwise a new base. */
  delta?: boolean;
}

export interface CheckpointStore {
  load(): Promise<Checkpoint | undefined>;
  save(cp: SaveInput): Promise<SaveResult>;
}

const isHead = (j: unknown): j is Head =>
  typeof j === "object" && j !== null && (j as { v?: unknown }).v === 1 && "gen" in j && "chunks" in j;

/**
 * Checkpoints in KV bucket `nudge_checkpoints`, under keys `<name>.head` and `<name>.g<gen>.<i>`.
 * A KV value is one NATS message, bounded by the server's `max_payload` (1 MiB by default), while a
 * snapshot with 200k open carts is tens of MB of JSON: so the JSON is gzipped and split into chunks
 * of a new generation, and the head is switched last. A crash mid-save leaves the old head pointing
 * at complete old chunks; a half-written generation is never read, and is swept at the next load.
 * Most saves are deltas (`<name>.g<gen>.d<k>.<i>`: the profiles changed since the previous save), listed
 * by the head once complete, so a checkpoint costs what changed, not the whole state; the writer
 * starts a new base generation once its deltas outweigh the base.
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

  const chunkKeys = (prefix: string, chunks: number) =>
    Array.from({ length: chunks }, (_, i) => `${prefix}.${i}`);
  const baseKeys = (gen: number, chunks: number) => chunkKeys(`${name}.g${gen}`, chunks);
  const deltaKeys = (gen: number, k: number, chunks: number) => chunkKeys(`${name}.g${gen}.d${k}`, chunks);
  const keysOf = (h: Head): string[] => [
    ...baseKeys(h.gen, h.chunks),
    ...(h.deltas ?? []).flatMap((d, k) => deltaKeys(h.gen, k, d.chunks)),
  ];
  const readParts = async (keys: string[]) =>
    Buffer.concat(
      await Promise.all(
        keys.map(async (key) => {
          const e = await kv.get(key);
          if (!e || e.length === 0)
            throw new NudgeError("NUDGE_ERR_INTERNAL", `checkpoint chunk ${key} is missing`);
          return e.value;
        }),
      ),
    );
  const parse = async (gz: Buffer): Promise<unknown> => JSON.parse((await gunzipAsync(gz)).toString("utf8"));

  /** Purges every chunk the head does not list: other generations, half-written ones and deltas. */
  const sweep = async (h: Head | undefined) => {
    const keep = new Set(h ? keysOf(h) : []);
    const stale: string[] = [];
    for await (const k of await kv.keys(`${name}.>`)) if (k !== headKey && !keep.has(k)) stale.push(k);
    await Promise.all(stale.map((k) => kv.purge(k)));
  };

  return {
    async load() {
      head = await readHead();
      await sweep(head);
      if (!head) return undefined;
      const h = head;
      const state = await parse(await readParts(baseKeys(h.gen, h.chunks)));
      const deltas = await Promise.all(
        (h.deltas ?? []).map(async (d, k) => parse(await readParts(deltaKeys(h.gen, k, d.chunks)))),
      );
      return {
        lastSeq: h.lastSeq,
        watermarkMs: h.watermarkMs,
        triggersSeq: h.triggersSeq,
        state,
        deltas,
        baseBytes: h.bytes,
        deltaBytes: (h.deltas ?? []).reduce((a, d) => a + d.bytes, 0),
      };
    },

    async save(cp) {
      const body = cp.stateGz;
      const chunks = Math.max(1, Math.ceil(body.byteLength / chunkBytes));
      const putAll = (keys: string[]) =>
        Promise.all(keys.map((key, i) => kv.put(key, body.subarray(i * chunkBytes, (i + 1) * chunkBytes))));
      const prev = head;
      let next: Head;
      if (cp.delta) {
        if (!prev) throw new NudgeError("NUDGE_ERR_INTERNAL", `checkpoint ${name}: a delta needs a base`);
        const k = prev.deltas?.length ?? 0;
        await putAll(deltaKeys(prev.gen, k, chunks));
        next = {
          ...prev,
          deltas: [...(prev.deltas ?? []), { chunks, bytes: body.byteLength }],
          lastSeq: cp.lastSeq,
          watermarkMs: cp.watermarkMs,
          triggersSeq: cp.triggersSeq,
        };
      } else {
        const gen = (prev?.gen ?? 0) + 1;
        await putAll(baseKeys(gen, chunks));
        next = {
          v: 1,
          gen,
          chunks,
          bytes: body.byteLength,
          deltas: [],
          lastSeq: cp.lastSeq,
          watermarkMs: cp.watermarkMs,
          triggersSeq: cp.triggersSeq,
        };
      }
      // The switch: until this put returns, a reader still sees the previous checkpoint whole.
      await kv.put(headKey, JSON.stringify(next));
      head = next;
      if (prev && prev.gen !== next.gen) await Promise.all(keysOf(prev).map((k) => kv.purge(k)));
      return {
        gen: next.gen,
        delta: cp.delta ? (next.deltas?.length ?? 1) - 1 : null,
        chunks,
        bytes: body.byteLength,
      };
    },
  };
}
