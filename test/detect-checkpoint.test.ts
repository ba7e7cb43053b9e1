import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openBucket } from "../ingest/index.ts";
import {
  detect,
  encodeSnapshot,
  initialDetectState,
  openCheckpoints,
  snapshotDetectDelta,
  snapshotDetectDeltaStream,
  snapshotDetectState,
  snapshotDetectStream,
} from "../processors/index.ts";
import { generateLog } from "./helpers/detect-log.ts";
import { startTestNats } from "./helpers/nats.ts";

const decode = (gz: Buffer) => JSON.parse(gunzipSync(gz).toString("utf8"));

describe("checkpoint encoding", () => {
  it("round-trips any JSON value, big arrays written in slices", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(decode(encodeSnapshot(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 500 },
    );
    const big = {
      v: 1,
      profiles: Array.from({ length: 45_001 }, (_, i) => [`p${i}`, { cart: { n: i, s: 'é\u2028"' } }]),
      seen: [],
      none: undefined,
    };
    expect(decode(encodeSnapshot(big))).toEqual(JSON.parse(JSON.stringify(big)));
    // big arrays inside big arrays (the ids of a minute in `seen`), holes and undefined entries, more
    // text than one gzip member, and a big array as the whole value
    const nested = {
      seen: Array.from({ length: 300 }, (_, b) => [
        b,
        Array.from({ length: 700 + b }, (_, i) => `id-${b}-${i}`),
      ]),
      sparse: [
        1,
        undefined,
        new Array(3),
        [undefined, ...Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? undefined : i))],
      ],
    };
    expect(decode(encodeSnapshot(nested))).toEqual(JSON.parse(JSON.stringify(nested)));
    expect(decode(encodeSnapshot(nested.seen))).toEqual(JSON.parse(JSON.stringify(nested.seen)));
  });

  it("writes a generator as the array of its entries (empty, one slice, several)", () => {
    for (const n of [0, 1, 20_000, 45_001]) {
      const entries = function* () {
        for (let i = 0; i < n; i++) yield [`p${i}`, { n: i }];
      };
      expect(decode(encodeSnapshot({ v: 1, profiles: entries(), seen: [] }))).toEqual({
        v: 1,
        profiles: Array.from(entries()),
        seen: [],
      });
    }
  });

  it("encodes a detector state streamed (snapshotDetectStream) as its snapshot", () => {
    const MIN = 60_000;
    const log = generateLog({ seed: 7, events: 30_000, profiles: 3_000, startMs: 0, spanMs: 600 * MIN });
    const opts = { abandonAfterMs: 120 * MIN, sessionGapMs: 30 * MIN, minViews: 2, latenessMs: 5 * MIN };
    const state = initialDetectState();
    for (const l of log) detect(state, { type: "event", event: l.event, tsMs: l.tsMs }, opts);
    expect(state.profiles).toBeGreaterThan(1_000);
    expect(decode(encodeSnapshot(snapshotDetectStream(state)))).toEqual(
      JSON.parse(JSON.stringify(snapshotDetectState(state))),
    );
  });

  it("encodes a delta streamed (snapshotDetectDeltaStream) as snapshotDetectDelta, and empties changed", () => {
    const MIN = 60_000;
    const log = generateLog({ seed: 9, events: 20_000, profiles: 2_000, startMs: 0, spanMs: 600 * MIN });
    const opts = { abandonAfterMs: 120 * MIN, sessionGapMs: 30 * MIN, minViews: 2, latenessMs: 5 * MIN };
    const [a, b] = [initialDetectState(), initialDetectState()];
    // stop mid-log: events of the last minutes are still pending
    for (const [k, l] of log.slice(0, 15_000).entries()) {
      for (const s of [a, b]) {
        detect(s, { type: "event", event: l.event, tsMs: l.tsMs }, opts);
        if (k === 12_000) s.changed.clear();
      }
    }
    expect(a.changed.size).toBeGreaterThan(100);
    expect(a.pending.size).toBeGreaterThan(10);
    const streamed = decode(encodeSnapshot(snapshotDetectDeltaStream(a)));
    expect(streamed).toEqual(JSON.parse(JSON.stringify(snapshotDetectDelta(b))));
    expect(a.changed.size).toBe(0);
  });
});

describe("checkpoints in KV", () => {
  it("splits a state larger than a KV value into chunks, switches the head last, and sweeps old chunks", async () => {
    await using nats = await startTestNats();
    const store = await openCheckpoints(nats.nc, "t", { chunkBytes: 4_096 });
    expect(await store.load()).toBeUndefined();
    // Random bytes do not compress: ~40 KiB of state → ~10 chunks.
    const state = { v: 1, blob: randomBytes(30_000).toString("base64"), list: [1, 2, 3] };
    const first = await store.save({
      lastSeq: 10,
      watermarkMs: 5,
      triggersSeq: 2,
      stateGz: encodeSnapshot(state),
    });
    expect(first.chunks).toBeGreaterThan(5);
    const state2 = { ...state, list: [4] };
    const second = await store.save({
      lastSeq: 20,
      watermarkMs: 6,
      triggersSeq: 3,
      stateGz: encodeSnapshot(state2),
    });
    expect(second.gen).toBe(first.gen + 1);

    const kv = await openBucket(nats.nc, "checkpoints");
    const keys: string[] = [];
    for await (const k of await kv.keys("t.>")) keys.push(k);
    expect(keys.filter((k) => k.startsWith(`t.g${first.gen}.`))).toEqual([]);

    // A crash in the middle of the next save: some chunks of generation 3 written, head not switched.
    await kv.put(`t.g${second.gen + 1}.0`, "garbage");
    const reopened = await openCheckpoints(nats.nc, "t", { chunkBytes: 4_096 });
    expect(await reopened.load()).toMatchObject({
      lastSeq: 20,
      watermarkMs: 6,
      triggersSeq: 3,
      state: state2,
      deltas: [],
    });
    const after: string[] = [];
    for await (const k of await kv.keys(`t.g${second.gen + 1}.*`)) after.push(k);
    expect(after).toEqual([]); // the half-written generation was swept at load
  });

  it("lists deltas on the base once complete, sweeps a half-written one, and drops them with the next base", async () => {
    await using nats = await startTestNats();
    const store = await openCheckpoints(nats.nc, "d", { chunkBytes: 4_096 });
    const base = { blob: randomBytes(20_000).toString("base64") };
    const saved = await store.save({
      lastSeq: 1,
      watermarkMs: 1,
      triggersSeq: 0,
      stateGz: encodeSnapshot(base),
    });
    const deltas = [{ n: 1 }, { n: 2, blob: randomBytes(10_000).toString("base64") }];
    for (const [i, d] of deltas.entries()) {
      const r = await store.save({
        lastSeq: 2 + i,
        watermarkMs: 2 + i,
        triggersSeq: i,
        stateGz: encodeSnapshot(d),
        delta: true,
      });
      expect(r).toMatchObject({ gen: saved.gen, delta: i });
    }
    const kv = await openBucket(nats.nc, "checkpoints");
    // A crash in the middle of the third delta: a chunk written, the head not switched.
    await kv.put(`d.g${saved.gen}.d2.0`, "garbage");
    const reopened = await openCheckpoints(nats.nc, "d", { chunkBytes: 4_096 });
    const cp = await reopened.load();
    expect(cp).toMatchObject({ lastSeq: 3, watermarkMs: 3, triggersSeq: 1, state: base, deltas });
    expect(cp?.deltaBytes).toBeGreaterThan(0);
    const keys = async (pattern: string) => {
      const out: string[] = [];
      for await (const k of await kv.keys(pattern)) out.push(k);
      return out.sort();
    };
    expect(await keys(`d.g${saved.gen}.d2.>`)).toEqual([]);

    // Writing after a reload continues the same list; a new base drops the old generation with its deltas.
    await reopened.save({
      lastSeq: 4,
      watermarkMs: 4,
      triggersSeq: 2,
      stateGz: encodeSnapshot({ n: 3 }),
      delta: true,
    });
    expect((await reopened.load())?.deltas).toEqual([...deltas, { n: 3 }]);
    await reopened.save({
      lastSeq: 5,
      watermarkMs: 5,
      triggersSeq: 2,
      stateGz: encodeSnapshot({ all: true }),
    });
    expect(await keys(`d.g${saved.gen}.>`)).toEqual([]);
    expect(await reopened.load()).toMatchObject({ lastSeq: 5, state: { all: true }, deltas: [] });
  });
});
