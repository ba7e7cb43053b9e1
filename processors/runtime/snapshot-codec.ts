import { gzipSync } from "node:zlib";

const SLICE = 20_000;

/**
 * `JSON.stringify(snapshot)`, gzipped, without ever holding the whole JSON text: top-level arrays
 * (profiles, pending events, seen ids) are written in slices of 20,000 entries, each slice compressed
 * at once as its own gzip member (concatenated members are one valid gzip stream; gunzip reads them
 * all). For a state of 600k profiles the text is ~110 MB; this keeps ~1 MB of it alive at a time.
 * Synchronous on purpose: the checkpoint must be the state at this instant, before the next event.
 *
 * @example const gz = encodeSnapshot(snapshotDetectState(state)); // JSON.parse(gunzipSync(gz)) deep-equals it
 */
export function encodeSnapshot(snapshot: unknown): Buffer {
  const members: Buffer[] = [];
  let text = "";
  const emit = (s: string) => {
    text += s;
    if (text.length >= 1 << 20) flush();
  };
  const flush = () => {
    if (text.length > 0) members.push(gzipSync(text, { level: 1 }));
    text = "";
  };
  if (typeof snapshot !== "object" || snapshot === null || Array.isArray(snapshot)) {
    emit(JSON.stringify(snapshot));
  } else {
    emit("{");
    let first = true;
    for (const [key, value] of Object.entries(snapshot)) {
      if (value === undefined || typeof value === "function") continue;
      emit(`${first ? "" : ","}${JSON.stringify(key)}:`);
      first = false;
      if (Array.isArray(value) && value.length > SLICE) {
        emit("[");
        for (let i = 0; i < value.length; i += SLICE) {
          // JSON.stringify turns undefined entries into null, as it would for the whole array.
          emit((i > 0 ? "," : "") + JSON.stringify(value.slice(i, i + SLICE)).slice(1, -1));
        }
        emit("]");
      } else {
        emit(JSON.stringify(value) ?? "null");
      }
    }
    emit("}");
  }
  flush();
  return Buffer.concat(members);
}
