import { gzipSync } from "node:zlib";

const SLICE = 20_000;

/** A top-level value given as an iterable that is not an array (nor a string, a Map or a Set): a generator. */
function isLazyArray(value: unknown): value is Iterable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    Symbol.iterator in value &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    !(value instanceof Set)
  );
}

/**
 * `JSON.stringify(snapshot)`, gzipped, without ever holding the whole JSON text: top-level arrays
 * (profiles, pending events, seen ids) are written in slices of 20,000 entries, each slice compressed
 * at once as its own gzip member (concatenated members are one valid gzip stream; gunzip reads them
 * all). For a state of 600k profiles the text is ~110 MB; this keeps ~1 MB of it alive at a time.
 * A top-level value may also be a generator (see `snapshotDetectStream`): it is written as an array
 * without ever being one, so a state's million entries never exist as one array of tuples.
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
      } else if (isLazyArray(value)) {
        // Entries made on the fly (a generator): written as an array, SLICE entries alive at a time.
        emit("[");
        let slice: unknown[] = [];
        let written = false;
        const write = () => {
          if (slice.length === 0) return;
          emit((written ? "," : "") + JSON.stringify(slice).slice(1, -1));
          written = true;
          slice = [];
        };
        for (const entry of value) {
          slice.push(entry);
          if (slice.length >= SLICE) write();
        }
        write();
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
