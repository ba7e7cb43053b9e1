import { describe, expect, it } from "vitest";
import {
  detect,
  detectStats,
  initialDetectState,
  initialWatermark,
  observeEventTime,
  observeWallTime,
  restoreDetectState,
  snapshotDetectState,
} from "../processors/index.ts";
import { add, brief, HOUR, MIN, OPTS, profileUpdate, run, T0, view } from "./processors-fixtures.ts";

describe("watermark", () => {
  it("is the highest event time minus lateness, and never goes back", () => {
    const w = initialWatermark();
    expect(observeEventTime(w, 100 * MIN, 5 * MIN)).toBe(95 * MIN);
    expect(observeEventTime(w, 90 * MIN, 5 * MIN)).toBe(95 * MIN);
    expect(observeWallTime(w, 0, 5 * MIN)).toBe(95 * MIN); // first tick only anchors the wall clock
    expect(observeWallTime(w, 10 * MIN, 5 * MIN)).toBe(105 * MIN);
    expect(observeWallTime(w, 5 * MIN, 5 * MIN)).toBe(105 * MIN); // a clock going back moves nothing
  });

  it("uses the event's arrival wall time as the anchor when given", () => {
    const w = initialWatermark();
    observeEventTime(w, 100 * MIN, 5 * MIN, 1_000);
    expect(observeWallTime(w, 1_000 + 20 * MIN, 5 * MIN)).toBe(115 * MIN);
  });

  it("does not move on ticks before any event", () => {
    const w = initialWatermark();
    expect(observeWallTime(w, 1e12, 0)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("late events", () => {
  it("an event older than the watermark is late and changes nothing", () => {
    const r = run([add(100, "a"), add(94, "b"), add(96, "c")]);
    expect(r.late.map((l) => [l.event.id, (l.tsMs - T0) / MIN, (l.watermarkMs - T0) / MIN])).toEqual([
      [expect.any(String), 94, 95],
    ]);
    expect(r.triggers.map(brief)).toEqual(["cart p1 at 220 [96..100] cx1,ax1"]);
  });

  it("out of order within lateness gives the same triggers as sorted input", () => {
    const sorted = run([view(0, "x"), view(3, "y"), add(4, "a"), add(120, "b", 1, undefined, "p2")]);
    const shuffled = run([add(4, "a"), view(3, "y"), view(0, "x"), add(120, "b", 1, undefined, "p2")]);
    expect(shuffled.late).toEqual([]);
    expect(shuffled.triggers).toEqual(sorted.triggers);
  });
});

describe("duplicates", () => {
  it("a repeated event id is dropped and counted", () => {
    const a = add(0, "a");
    const r = run([a, add(1, "b"), a, a]);
    expect(r.duplicates).toBe(2);
    expect(r.triggers.map(brief)).toEqual(["cart p1 at 121 [0..1] ax1,bx1"]);
  });

  it("remembers ids only while they could still be accepted (bounded by event time)", () => {
    const events = Array.from({ length: 600 }, (_, i) => profileUpdate(i, `p${i}`));
    const r = run(events, OPTS, { flush: false });
    // 600 minutes of ids, lateness 5m: only the last few minutes (plus a margin of a bucket) are kept
    expect(detectStats(r.state).rememberedIds).toBeLessThanOrEqual(12);
    const again = run([events[598] ?? events[0]!], OPTS, { flush: false, state: r.state });
    expect(again.duplicates).toBe(1);
    const old = run([events[100]!], OPTS, { flush: false, state: r.state });
    expect(old.late).toHaveLength(1); // long forgotten: it is late, not a duplicate
  });
});

describe("idle advance", () => {
  it("a lone cart fires on wall-clock ticks when no more events come", () => {
    let state = initialDetectState();
    const a = add(0, "a");
    [state] = detect(state, { type: "event", ...a, wallMs: 5_000 }, OPTS);
    const fired: string[] = [];
    for (let wall = 5_000; wall <= 5_000 + 3 * HOUR; wall += MIN) {
      const [, out] = detect(state, { type: "tick", wallMs: wall }, OPTS);
      if (out.triggers.length > 0) fired.push(`${(wall - 5_000) / MIN}: ${out.triggers.map(brief).join()}`);
    }
    // deadline 120m; the watermark passes it once the wall clock is more than 125m on
    expect(fired).toEqual(["126: cart p1 at 120 [0..0] ax1"]);
  });

  it("ticks derived from the log give the same triggers as the sorted log", () => {
    const events = [
      view(0, "x"),
      add(2, "a"),
      view(1, "y"),
      add(200, "b", 1, undefined, "p2"),
      view(203, "z", "p3"),
    ];
    const sorted = run([...events].sort((x, y) => x.tsMs - y.tsMs));
    // each event arrives at wall time = its event time + 2m, a tick every minute between arrivals
    const inputs = [];
    let wall = events[0]!.tsMs;
    for (const e of events) {
      const arrival = Math.max(wall, e.tsMs + 2 * MIN);
      for (; wall < arrival; wall += MIN) inputs.push({ type: "tick" as const, wallMs: wall });
      inputs.push({ type: "event" as const, ...e, wallMs: arrival });
    }
    const live = run(inputs);
    expect(live.late).toEqual([]);
    expect(live.triggers).toEqual(sorted.triggers);
  });
});

describe("snapshot", () => {
  it("round-trips through JSON to an equal state that behaves the same", () => {
    const first = run(
      [
        view(0, "x"),
        view(1, "y", "p1", 4),
        add(2, "a", 2, 7.5, "p4"),
        add(3, "b", 1, undefined, "p2"),
        add(100, "c", 1, undefined, "p3"),
      ],
      OPTS,
      { flush: false },
    );
    expect(first.triggers.map(brief)).toEqual(["browse p1 at 31 [0..1] xx1,yx1@4"]);
    const json = JSON.parse(JSON.stringify(snapshotDetectState(first.state)));
    const restored = restoreDetectState(json);
    expect(snapshotDetectState(restored)).toEqual(json);
    expect(detectStats(restored)).toEqual(detectStats(first.state));
    const rest = [add(131, "d", 1, undefined, "p2")];
    expect(run(rest, OPTS, { state: restored }).triggers).toEqual(
      run(rest, OPTS, { state: first.state }).triggers,
    );
  });

  it("rejects a snapshot that is not one", () => {
    expect(() => restoreDetectState({ v: 2 })).toThrow();
  });
});
