/**
 * Event ids seen recently, for dropping duplicates. Ids are bucketed by event time and forgotten
 * once the watermark (minus a margin) has passed their bucket: an older duplicate is late anyway.
 *
 * @example
 * const s = initialSeenIds(); rememberId(s, "e1", 1000); s.ids.has("e1"); // true
 * forgetIdsBefore(s, 120_000); s.ids.has("e1"); // false
 */
export interface SeenIds {
  ids: Set<string>;
  buckets: Map<number, string[]>;
  /** The bucket written last (events mostly arrive in time order): spares a lookup per event. */
  lastBucket: number;
  lastIds: string[] | undefined;
  /** No bucket ends at or before this time (forgetting below it is a no-op). */
  forgottenBeforeMs: number;
}

export const BUCKET_MS = 60_000;

export function initialSeenIds(): SeenIds {
  return {
    ids: new Set(),
    buckets: new Map(),
    lastBucket: Number.NaN,
    lastIds: undefined,
    forgottenBeforeMs: Number.NEGATIVE_INFINITY,
  };
}

export function rememberId(s: SeenIds, id: string, tsMs: number): void {
  s.ids.add(id);
  const b = Math.floor(tsMs / BUCKET_MS);
  if (b === s.lastBucket && s.lastIds !== undefined) {
    s.lastIds.push(id);
    return;
  }
  let bucket = s.buckets.get(b);
  if (bucket === undefined) {
    bucket = [id];
    s.buckets.set(b, bucket);
  } else bucket.push(id);
  s.lastBucket = b;
  s.lastIds = bucket;
}

/** Forgets every id whose bucket ends at or before `beforeMs`. */
export function forgetIdsBefore(s: SeenIds, beforeMs: number): void {
  if (beforeMs < s.forgottenBeforeMs + BUCKET_MS) return;
  const limit = Math.floor(beforeMs / BUCKET_MS);
  for (const [b, ids] of s.buckets) {
    if (b >= limit) continue;
    for (const id of ids) s.ids.delete(id);
    s.buckets.delete(b);
    if (b === s.lastBucket) s.lastIds = undefined;
  }
  s.forgottenBeforeMs = limit * BUCKET_MS;
}
