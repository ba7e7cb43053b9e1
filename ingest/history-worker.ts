/**
 * The history writer's decode thread: `{ batch, receivedMs }` in (a PackedBatch), `{ decoded, recycled }`
 * out (a DecodedBatch, its Arrow IPC buffers transferred, and the batch's buffers given back), or
 * `{ error }`. It owns the set of recent ids,
 * seeded from the history at start (`{ seed }`, answered `{ seeded }`, before any batch), so a
 * repeated id is dropped exactly as in one thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { messageOf } from "./errors.ts";
import { HistoryColumns } from "./history-columns.ts";
import { decodeBatch, type PackedBatch } from "./history-decode.ts";
import { RecentIds } from "./recent-ids.ts";

const { capacity } = workerData as { capacity: number };
const seen = new RecentIds(capacity);
const columns = new HistoryColumns();

type Request = { seed: string[] } | { batch: PackedBatch; receivedMs: number };

parentPort!.on("message", (m: Request) => {
  if ("seed" in m) {
    for (const id of m.seed) seen.add(id);
    parentPort!.postMessage({ seeded: true });
    return;
  }
  const { batch, receivedMs } = m;
  try {
    const decoded = decodeBatch(batch, seen, receivedMs, columns);
    const buffers = [decoded.events, decoded.purchaseItems, decoded.profileUpdates].flatMap((b) =>
      b ? [b.buffer as ArrayBuffer] : [],
    );
    // The batch's own buffers go back too, for the packer to fill again (no fresh memory per batch).
    const recycled = { seqs: batch.seqs, offsets: batch.offsets, bytes: batch.bytes };
    const back = [batch.seqs.buffer, batch.offsets.buffer, batch.bytes.buffer] as ArrayBuffer[];
    parentPort!.postMessage({ decoded, recycled }, [...buffers, ...back]);
  } catch (err) {
    parentPort!.postMessage({ error: messageOf(err) });
  }
});
