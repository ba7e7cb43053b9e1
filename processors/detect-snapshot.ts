import { z } from "zod";
import { ShopEvent } from "../ingest/index.ts";
import { type DetectState, initialDetectState, pendingTie, setCart, setSession } from "./detect-state.ts";
import { BUCKET_MS, rememberId } from "./seen-ids.ts";

/** −∞ (nothing seen yet) is stored as null. */
const Time = z.number().nullable();
const Ms = z.number();

const CartSnapshot = z.object({
  items: z.array(z.object({ productId: z.string(), quantity: z.number(), price: z.number().optional() })),
  windowStartMs: Ms.nullable(),
  lastActivityMs: Ms,
  timerMs: Ms,
});

const SessionSnapshot = z.object({
  startMs: Ms,
  lastMs: Ms,
  closeMs: Ms,
  views: z.number(),
  converted: z.boolean(),
  products: z.array(z.object({ productId: z.string(), views: z.number(), price: z.number().optional() })),
});

/**
 * The JSON form of DetectState: plain arrays (so a runtime may store the big ones in chunks).
 * Timer queues and counters are rebuilt from the profiles on restore.
 */
export const DetectSnapshot = z.object({
  v: z.literal(1),
  watermark: z.object({ watermarkMs: Time, maxEventMs: Time, anchorWallMs: Time }),
  /** Accepted events not yet applied, in application order. */
  pending: z.array(z.object({ tsMs: Ms, event: ShopEvent })),
  profiles: z.array(
    z.tuple([z.string(), z.object({ cart: CartSnapshot.optional(), session: SessionSnapshot.optional() })]),
  ),
  /** Remembered event ids by minute bucket of event time: [bucket, ids]. */
  seen: z.array(z.tuple([z.number(), z.array(z.string())])),
});
export type DetectSnapshot = z.infer<typeof DetectSnapshot>;

const fromTime = (t: number): number | null => (t === Number.NEGATIVE_INFINITY ? null : t);
const toTime = (t: number | null): number => t ?? Number.NEGATIVE_INFINITY;

/**
 * The state as JSON-ready data. For speed it SHARES objects with the state (pending events, cart
 * items and viewed products after the first): serialize it (JSON.stringify) before the next `detect`
 * call, or structuredClone it.
 * `changed` is left alone: a runtime that also writes deltas empties it once this snapshot is saved.
 *
 * @example
 * const json = JSON.stringify(snapshotDetectState(state)); // … later: restoreDetectState(JSON.parse(json))
 */
export function snapshotDetectState(s: DetectState): DetectSnapshot {
  return withProfiles(s, [...profileEntries(s)]);
}

/** `snapshotDetectState` with `profiles` and `pending` as generators instead of arrays: for `encodeSnapshot`. */
export type DetectSnapshotStream = Omit<DetectSnapshot, "profiles" | "pending"> & {
  profiles: Iterable<DetectSnapshot["profiles"][number]>;
  pending: Iterable<DetectSnapshot["pending"][number]>;
};

/**
 * `snapshotDetectState` for `encodeSnapshot` (runtime/snapshot-codec.ts), which writes `profiles` in
 * slices as it walks them: the entries of a large state are made a slice at a time and never held
 * together (a base snapshot of 600k profiles made ~65 MB of tuples at once). Encode it at once: it
 * reads the live state.
 *
 * @example const gz = encodeSnapshot(snapshotDetectStream(state)); // decodes to snapshotDetectState(state)
 */
export function snapshotDetectStream(s: DetectState): DetectSnapshotStream {
  return { ...header(s), pending: pendingEntries(s), profiles: profileEntries(s), seen: [...s.seen.buckets] };
}

/**
 * `snapshotDetectDelta` as generators, for `encodeSnapshot` like `snapshotDetectStream`: a delta's
 * entries (100k changed profiles: ~25 MB of tuples and objects, with the pending events' ~8 MB) were
 * all alive while it was written, long enough to be promoted to the old generation at every
 * checkpoint. Empties `changed` once its entries have all been read; encode it at once.
 */
export function snapshotDetectDeltaStream(s: DetectState): DetectSnapshotStream {
  return { ...header(s), pending: pendingEntries(s), profiles: changedEntries(s), seen: [...s.seen.buckets] };
}

function* changedEntries(s: DetectState): Generator<DetectSnapshot["profiles"][number]> {
  for (const pid of s.changed) yield [pid, profileEntry(s, pid)];
  s.changed.clear();
}

function* pendingEntries(s: DetectState): Generator<DetectSnapshot["pending"][number]> {
  for (const { time, item } of s.pending.sortedEntries()) yield { tsMs: time, event: item };
}

/** Profiles with a cart (and their session, if any), then those with a session alone. */
function* profileEntries(s: DetectState): Generator<DetectSnapshot["profiles"][number]> {
  for (const pid of s.carts.profileIds()) yield [pid, profileEntry(s, pid)];
  for (const pid of s.sessions.profileIds()) if (!s.carts.has(pid)) yield [pid, profileEntry(s, pid)];
}

/** A profile's cart and session as the snapshot's objects (made from the tables: they share nothing mutable but items). */
function profileEntry(s: DetectState, pid: string): DetectSnapshot["profiles"][number][1] {
  const cart = s.carts.get(pid);
  const session = s.sessions.get(pid);
  if (cart === undefined) return session === undefined ? {} : { session };
  return session === undefined ? { cart } : { cart, session };
}

/**
 * What changed since `changed` was last emptied, as a snapshot of the same shape: only the profiles
 * that changed (one that went is `[id, {}]`), with the whole watermark, pending events and remembered
 * ids (all bounded by the lateness window). Empties `changed`. A base snapshot followed by its deltas,
 * merged with `mergeDetectSnapshots`, restores the state as of the last delta. Shares objects like
 * `snapshotDetectState`.
 *
 * @example
 * const base = JSON.stringify(snapshotDetectState(state)); state.changed.clear();
 * // … more events …
 * const delta = JSON.stringify(snapshotDetectDelta(state));
 * restoreDetectState(mergeDetectSnapshots(JSON.parse(base), [JSON.parse(delta)]));
 */
export function snapshotDetectDelta(s: DetectState): DetectSnapshot {
  const profiles: DetectSnapshot["profiles"] = [];
  for (const pid of s.changed) profiles.push([pid, profileEntry(s, pid)]);
  s.changed.clear();
  return withProfiles(s, profiles);
}

function withProfiles(s: DetectState, profiles: DetectSnapshot["profiles"]): DetectSnapshot {
  return {
    ...header(s),
    pending: s.pending.sorted().map(({ time, item }) => ({ tsMs: time, event: item })),
    profiles,
    seen: [...s.seen.buckets],
  };
}

/** The snapshot's first fields (its key order is the JSON's). */
function header(s: DetectState): Pick<DetectSnapshot, "v" | "watermark"> {
  const w = s.watermark;
  return {
    v: 1,
    watermark: {
      watermarkMs: fromTime(w.watermarkMs),
      maxEventMs: fromTime(w.maxEventMs),
      anchorWallMs: w.anchorWallMs,
    },
  };
}

/**
 * A base snapshot with its deltas applied in order (plain JSON in, plain JSON out): profiles are
 * replaced or removed by each delta; watermark, pending events and ids come from the last one.
 */
export function mergeDetectSnapshots(base: unknown, deltas: readonly unknown[]): unknown {
  if (deltas.length === 0) return base;
  const snaps = [base, ...deltas].map((d) => DetectSnapshot.parse(d));
  const profiles = new Map<string, DetectSnapshot["profiles"][number][1]>();
  for (const snap of snaps) {
    for (const [pid, p] of snap.profiles) {
      if (p.cart === undefined && p.session === undefined) profiles.delete(pid);
      else profiles.set(pid, p);
    }
  }
  const last = snaps.at(-1) as DetectSnapshot;
  return { ...last, profiles: [...profiles] };
}

/** Rebuilds a state from `snapshotDetectState` output (parsed back from JSON). Throws a ZodError on bad input. */
export function restoreDetectState(json: unknown): DetectState {
  const snap = DetectSnapshot.parse(json);
  const s = initialDetectState();
  s.watermark.watermarkMs = toTime(snap.watermark.watermarkMs);
  s.watermark.maxEventMs = toTime(snap.watermark.maxEventMs);
  s.watermark.anchorWallMs = snap.watermark.anchorWallMs;
  for (const { tsMs, event } of snap.pending) s.pending.push(tsMs, pendingTie(event), event);
  for (const [bucket, ids] of snap.seen) for (const id of ids) rememberId(s.seen, id, bucket * BUCKET_MS);
  for (const [pid, { cart, session }] of snap.profiles) {
    // a profile listed twice: its last entry stands
    if (cart !== undefined || s.carts.has(pid)) setCart(s, pid, s.carts.slotOf(pid), cart);
    if (session !== undefined || s.sessions.has(pid)) setSession(s, pid, s.sessions.slotOf(pid), session);
  }
  return s;
}
