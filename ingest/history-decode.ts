import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { decodeEvent, type RejectReason } from "./decode.ts";
import type { HistoryArrow } from "./history-columns.ts";
import { HistoryColumns } from "./history-columns.ts";
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
  rejected: { index: number; reason: RejectReason; error: string }[];
}

export function packBatch(msgs: readonly { seq: number; subject: string; data: Uint8Array }[]): PackedBatch {
  const n = msgs.length;
  const seqs = new Float64Array(n);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += msgs[i]!.data.byteLength;
  const bytes = new Uint8Array(total);
  const subjects: string[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = msgs[i]!;
    seqs[i] = m.seq;
    subjects[i] = m.subject;
    bytes.set(m.data, at);
    at += m.data.byteLength;
    offsets[i + 1] = at;
  }
  return { seqs, subjects: subjects.join("\n"), bytes, offsets };
}

const ipc = (batch: HistoryArrow[keyof HistoryArrow]) =>
  batch ? tableToIPC(new Table(batch), "stream") : undefined;

/**
 * Decodes a packed batch: validation, repeated ids dropped (`seen` is updated), history columns built
 * and serialised as Arrow IPC. Pure apart from `seen`; runs on the history writer's decode thread.
 */
export function decodeBatch(batch: PackedBatch, seen: RecentIds, receivedMs: number): DecodedBatch {
  const subjects = batch.subjects.split("\n");
  const columns = new HistoryColumns();
  const rejected: DecodedBatch["rejected"] = [];
  let duplicates = 0;
  for (let i = 0; i < subjects.length; i++) {
    const data = batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]);
    const decoded = decodeEvent(subjects[i]!, data);
    if (!decoded.ok) rejected.push({ index: i, reason: decoded.reason, error: decoded.error });
    else if (!seen.add(decoded.event.id)) duplicates++;
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
