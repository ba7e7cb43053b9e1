/**
 * Event ids seen recently, for dropping duplicates. Ids are bucketed by event time and forgotten
 * once the watermark (minus a margin) has passed their bucket: an older duplicate is late anyway.
 *
 * @example
 * const s = initialSeenIds(); rememberId(s, "e1", 1000); s.ids.has("e1"); // true
 * forgetIdsBefore(s, 120_000); s.ids.has("e1"); // false
 */
export interface SeenIds {
  ids: Map<string, number>;
  buckets: Map<number, string[]>;
  /** No bucket ends at or before this time (forgetting below it is a no-op). */
  forgottenBeforeMs: number;
}

export const BUCKET_MS = 60_000;

export function initialSeenIds(): SeenIds {
  return { ids: new Map(), buckets: new Map(), forgottenBeforeMs: Number.NEGATIVE_INFINITY };
}

export function rememberId(s: SeenIds, id: string, tsMs: number): void {
  s.ids.set(id, tsMs);
  const b = Math.floor(tsMs / BUCKET_MS);
  const bucket = s.buckets.get(b);
  if (bucket === undefined) s.buckets.set(b, [id]);
  else bucket.push(id);
}

/** Forgets every id whose bucket ends at or before `beforeMs`. */
export function forgetIdsBefore(s: SeenIds, beforeMs: number): void {
  if (beforeMs < s.forgottenBeforeMs + BUCKET_MS) return;
  const limit = Math.floor(beforeMs / BUCKET_MS);
  for (const [b, ids] of s.buckets) {
    if (b >= limit) continue;
    for (const id of ids) s.ids.delete(id);
    s.buckets.delete(b);
  }
  s.forgottenBeforeMs = limit * BUCKET_MS;
}
