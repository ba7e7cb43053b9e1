import { Buffer, isAscii } from "node:buffer";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { decodeEvent, decodeEventText, type RejectReason } from "./decode.ts";
import type { HistoryArrow } from "./history-columns.ts";
import { HistoryColumns } from "./history-columns.ts";
import { MAX_EVENT_BYTES } from "./limits.ts";
import type { RecentIds } from "./recent-ids.ts";

/** A micro-batch of raw messages packed into three transferable buffers and one string. */
export interface PackedBatch {
  seqs: Float64Array;
  /** Subjects joined by "\n" (a subject never holds whitespace). */
  subjects: string;
  bytes: Uint8Array;
  /** Message i is bytes[offsets[i], offsets[i+1]). */
  offsets: Int32Array;
}

/** What decoding a batch gives: the history rows as Arrow IPC, and the refusals by message index. */
export interface DecodedBatch {
  events: Uint8Array | undefined;
  purchaseItems: Uint8Array | undefined;
  profileUpdates: Uint8Array | undefined;
  accepted: number;
  duplicates: number;
  /** Refused messages, with their original subject, sequence and bytes (for the dead-letter queue). */
  rejected: {
    index: number;
    reason: RejectReason;
    error: string;
    original: { subject: string; seq: number; data: Uint8Array };
  }[];
}

export function packBatch(msgs: readonly { seq: number; subject: string; data: Uint8Array }[]): PackedBatch {
  const packer = new BatchPacker();
  for (const m of msgs) packer.add(m);
  return packer.take();
}

/**
 * Packs messages as they arrive (so the message objects themselves die young): their bytes into one
 * growing buffer, sequences and subjects beside. A batch taken hands over these buffers themselves
 * (no copy); buffers given back with `recycle` are packed into again, so after warm-up no batch
 * touches fresh memory (first-touch page faults cost ~5 ms per MB on the machines measured here).
 */
export class BatchPacker {
  #seqs: Float64Array = new Float64Array(1024);
  #offsets: Int32Array = new Int32Array(1025);
  #bytes: Uint8Array = new Uint8Array(256 * 1024);
  #subjects: string[] = [];
  /** Buffers given back, for the next batches (a few sets at most). */
  readonly #spare: { seqs: Float64Array; offsets: Int32Array; bytes: Uint8Array }[] = [];

  get length() {
    return this.#subjects.length;
  }

  add(m: { seq: number; subject: string; data: Uint8Array }) {
    const i = this.#subjects.length;
    if (i + 1 >= this.#seqs.length) {
      this.#seqs = grow(this.#seqs, this.#seqs.length * 2);
      this.#offsets = grow(this.#offsets, this.#offsets.length * 2);
    }
    const at = this.#offsets[i]!;
    const data = m.data;
    if (at + data.byteLength > this.#bytes.length) {
      this.#bytes = grow(this.#bytes, Math.max(this.#bytes.length * 2, at + data.byteLength));
    }
    this.#bytes.set(data, at);
    this.#offsets[i + 1] = at + data.byteLength;
    this.#seqs[i] = m.seq;
    this.#subjects.push(m.subject);
  }

  /**
   * The first `n` messages (default: all) as a packed batch: views on this packer's own buffers,
   * which the batch now owns (transfer them, then `recycle` them). The rest stay, in order, for the
   * next batch.
   */
  take(n = this.length): PackedBatch {
    const len = this.length;
    const end = this.#offsets[n]!;
    const bytesEnd = this.#offsets[len]!;
    const batch = {
      seqs: this.#seqs.subarray(0, n),
      subjects: this.#subjects.slice(0, n).join("\n"),
      bytes: this.#bytes.subarray(0, end),
      offsets: this.#offsets.subarray(0, n + 1),
    };
    const rest = len - n;
    const old = { seqs: this.#seqs, offsets: this.#offsets, bytes: this.#bytes };
    // Spare buffers when they hold the rest (they almost always do), else new ones as large as these.
    const spare = this.#spare.pop();
    const next =
      spare && spare.offsets.length > rest + 1 && spare.bytes.length >= bytesEnd - end
        ? spare
        : {
            seqs: new Float64Array(old.seqs.length),
            offsets: new Int32Array(old.offsets.length),
            bytes: new Uint8Array(old.bytes.length),
          };
    this.#seqs = next.seqs;
    this.#offsets = next.offsets;
    this.#bytes = next.bytes;
    this.#subjects = n === len ? [] : this.#subjects.slice(n);
    this.#offsets[0] = 0;
    if (rest > 0) {
      this.#seqs.set(old.seqs.subarray(n, len));
      this.#bytes.set(old.bytes.subarray(end, bytesEnd));
      for (let i = n; i <= len; i++) this.#offsets[i - n] = old.offsets[i]! - end;
    }
    return batch;
  }

  /** Gives back the buffers of a batch that is done with (e.g. returned by the decode thread). */
  recycle(batch: Pick<PackedBatch, "seqs" | "offsets" | "bytes">) {
    if (this.#spare.length >= 2) return;
    const whole = <T extends Float64Array | Int32Array | Uint8Array>(a: T) =>
      new (a.constructor as new (b: ArrayBufferLike) => T)(a.buffer);
    this.#spare.push({ seqs: whole(batch.seqs), offsets: whole(batch.offsets), bytes: whole(batch.bytes) });
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

const ipc = (batch: HistoryArrow[keyof HistoryArrow]) =>
  batch ? tableToIPC(new Table(batch), "stream") : undefined;

/**
 * Decodes a packed batch: validation, repeated ids dropped (`seen` is updated), history columns built
 * and serialised as Arrow IPC. Pure apart from `seen`; runs on the history writer's decode thread.
 */
export function decodeBatch(
  batch: PackedBatch,
  seen: RecentIds,
  receivedMs: number,
  /** Reused from batch to batch by the decode thread (emptied here; its buffers are kept). */
  columns = new HistoryColumns(),
): DecodedBatch {
  const subjects = batch.subjects.split("\n");
  columns.reset();
  const rejected: DecodedBatch["rejected"] = [];
  let duplicates = 0;
  const { bytes, offsets } = batch;
  // Bodies are almost always ASCII: each one is then read as latin1 (one native call, no UTF-8
  // validation, a short-lived string) rather than decoded; a body with other bytes is decoded alone.
  // (One string for the whole batch would be cheaper per call, but a string of tens of MB is fresh
  // memory each batch, and first-touch page faults cost more than the calls saved: measured here.)
  const allAscii = isAscii(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < subjects.length; i++) {
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    const ascii = to - from <= MAX_EVENT_BYTES && (allAscii || isAscii(bytes.subarray(from, to)));
    const decoded = ascii
      ? decodeEventText(subjects[i]!, buf.toString("latin1", from, to))
      : decodeEvent(subjects[i]!, bytes.subarray(from, to));
    if (!decoded.ok) {
      const original = { subject: subjects[i]!, seq: batch.seqs[i]!, data: bytes.slice(from, to) };
      rejected.push({ index: i, reason: decoded.reason, error: decoded.error, original });
    } else if (!seen.add(decoded.event.id)) duplicates++;
    else columns.add(batch.seqs[i]!, decoded);
  }
  const arrow = columns.length > 0 ? columns.toArrow(receivedMs) : undefined;
  return {
    events: ipc(arrow?.events),
    purchaseItems: ipc(arrow?.purchaseItems),
    profileUpdates: ipc(arrow?.profileUpdates),
    accepted: columns.length,
    duplicates,
    rejected,
  };
}

/** The Arrow record batches of a decoded batch (zero-copy views on the IPC bytes). */
export function decodedArrow(d: DecodedBatch): HistoryArrow | undefined {
  if (!d.events) return undefined;
  const one = (bytes: Uint8Array | undefined) => (bytes ? tableFromIPC(bytes).batches[0] : undefined);
  return {
    events: one(d.events)!,
    purchaseItems: one(d.purchaseItems),
    profileUpdates: one(d.profileUpdates),
  };
}
