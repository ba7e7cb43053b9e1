import { gzipSync } from "node:zlib";

/**
 * Entries of a big array stringified together. Small on purpose: a string over ~128 KB is made in
 * V8's large-object space, which is old generation, so slices of 20k entries (~3.6 MB of JSON each)
 * and the 1 MB texts they were joined into went straight to the old generation: a base snapshot of
 * 560k profiles promoted ~180 MB of garbage, and old-generation garbage is what grows the heap.
 */
const SLICE = 256;
/** Bytes of JSON per gzip member; the text is written into one reused buffer, never one string. */
const MEMBER_BYTES = 1 << 20;
let scratch: Buffer | undefined;

/** An array of more than SLICE entries, or holding one within two levels (`seen`: [[minute, ids]]). */
function isBig(value: unknown, depth = 2): value is unknown[] {
  if (!Array.isArray(value)) return false;
  if (value.length > SLICE) return true;
  return depth > 0 && value.some((e) => isBig(e, depth - 1));
}

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
 * `JSON.stringify(snapshot)`, gzipped, without ever holding the whole JSON text: big arrays (top-level
 * ones, and those in them, such as the ids of a minute in `seen`) are written a slice of entries at a
 * time into a reused 1 MB buffer, each full buffer compressed as its own gzip member (concatenated
 * members are one valid gzip stream; gunzip reads them all). No string longer than a slice's JSON is
 * made, so the text dies young. A top-level value may also be a generator (see `snapshotDetectStream`):
 * it is written as an array without ever being one, so a state's million entries never exist as one
 * array of tuples. Synchronous on purpose: the checkpoint must be the state at this instant, before
 * the next event.
 *
 * @example const gz = encodeSnapshot(snapshotDetectState(state)); // JSON.parse(gunzipSync(gz)) deep-equals it
 */
export function encodeSnapshot(snapshot: unknown): Buffer {
  scratch ??= Buffer.allocUnsafe(MEMBER_BYTES);
  const buf = scratch;
  const members: Buffer[] = [];
  let off = 0;
  const flush = () => {
    if (off > 0) members.push(gzipSync(buf.subarray(0, off), { level: 1 }));
    off = 0;
  };
  const emit = (s: string) => {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    if (off + 3 * s.length > MEMBER_BYTES) {
      flush();
      if (3 * s.length > MEMBER_BYTES) {
        members.push(gzipSync(s, { level: 1 }));
        return;
      }
    }
    off += buf.write(s, off);
  };
  /** Writes array entries a slice at a time, and an entry that is itself a big array by recursion. */
  const writeArray = (entries: Iterable<unknown>) => {
    emit("[");
    let slice: unknown[] = [];
    let written = false;
    const write = () => {
      if (slice.length === 0) return;
      // JSON.stringify turns undefined entries into null, as it would for the whole array.
      emit((written ? "," : "") + JSON.stringify(slice).slice(1, -1));
      written = true;
      slice = [];
    };
    for (const entry of entries) {
      if (isBig(entry, 1)) {
        write();
        if (written) emit(",");
        writeArray(entry);
        written = true;
      } else {
        slice.push(entry);
        if (slice.length >= SLICE) write();
      }
    }
    write();
    emit("]");
  };
  if (typeof snapshot !== "object" || snapshot === null) {
    emit(JSON.stringify(snapshot));
  } else if (Array.isArray(snapshot)) {
    writeArray(snapshot);
  } else {
    emit("{");
    let first = true;
    for (const [key, value] of Object.entries(snapshot)) {
      if (value === undefined || typeof value === "function") continue;
      emit(`${first ? "" : ","}${JSON.stringify(key)}:`);
      first = false;
      if (isBig(value) || isLazyArray(value)) writeArray(value);
      else emit(JSON.stringify(value) ?? "null");
    }
    emit("}");
  }
  flush();
  return Buffer.concat(members);
}
