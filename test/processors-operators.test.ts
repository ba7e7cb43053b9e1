import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { browseSessions, cartAbandonment, detectOutputs, detectTriggers } from "../processors/index.ts";
import { add, brief, MIN, OPTS, purchase, view } from "./processors-fixtures.ts";

// Marble time progression has no hours unit ("2h" is not valid): 120m it is.
// Virtual wall time in the marbles; event time is in the values (minutes after T0).
// Lateness 5m and idle ticks every minute: a lone cart's 2h deadline is passed at wall +126m.
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe("operators (marbles)", () => {
  it("idle advance fires a lone cart about abandonAfter after its last activity", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold("a", { a: add(0, "a") });
      const out = src.pipe(
        cartAbandonment({
          abandonAfterMs: OPTS.abandonAfterMs,
          latenessMs: OPTS.latenessMs,
          idleAdvanceMs: MIN,
        }),
      );
      expectObservable(out.pipe(map(brief)), "^ 200m !").toBe("126m x", { x: "cart p1 at 120 [0..0] ax1" });
    });
  });

  it("a purchase at 1h59m ('a 119m b') cancels the trigger", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold("a 119m b", { a: add(0, "a"), b: purchase(119) });
      const out = src.pipe(
        cartAbandonment({
          abandonAfterMs: OPTS.abandonAfterMs,
          latenessMs: OPTS.latenessMs,
          idleAdvanceMs: MIN,
        }),
      );
      expectObservable(out, "^ 300m !").toBe("");
    });
  });

  it("activity pushes the deadline ('a 59m b')", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold("a 59m b", { a: add(0, "a"), b: add(60, "b") });
      const out = src.pipe(
        cartAbandonment({
          abandonAfterMs: OPTS.abandonAfterMs,
          latenessMs: OPTS.latenessMs,
          idleAdvanceMs: MIN,
        }),
      );
      // b (event time 60m) arrives at wall 59m + 1ms: the watermark passes 180m once the wall is past 184m + 1ms
      expectObservable(out.pipe(map(brief)), "^ 300m !").toBe("185m x", {
        x: "cart p1 at 180 [0..60] ax1,bx1",
      });
    });
  });

  it("browse sessions close a sessionGap after the last view", () => {
    // b (event time 5m) arrives at wall 4m + 1ms: the watermark passes 35m once the wall is past 39m + 1ms
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold("a 4m b", { a: view(0, "x"), b: view(5, "y") });
      const out = src.pipe(
        browseSessions({
          sessionGapMs: OPTS.sessionGapMs,
          minViews: 2,
          latenessMs: OPTS.latenessMs,
          idleAdvanceMs: MIN,
        }),
      );
      expectObservable(out.pipe(map(brief)), "^ 120m !").toBe("40m x", {
        x: "browse p1 at 35 [0..5] xx1,yx1",
      });
    });
  });

  it("detectTriggers emits both kinds, and events drive the watermark too", () => {
    scheduler().run(({ cold, expectObservable }) => {
      // event time jumps ahead of the wall clock at c: the browse session and p1's cart are passed at once
      const src = cold("a b 10m c", {
        a: view(0, "x"),
        b: add(1, "y"),
        c: add(300, "z", 1, undefined, "p2"),
      });
      const out = src.pipe(detectTriggers({ ...OPTS, idleAdvanceMs: MIN }), map(brief));
      expectObservable(out, "^ 30m !").toBe("-- 10m x", { x: "cart p1 at 121 [1..1] yx1" });
    });
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold("a b 10m c", {
        a: view(0, "x"),
        b: view(1, "y"),
        c: add(300, "z", 1, undefined, "p2"),
      });
      const out = src.pipe(detectTriggers({ ...OPTS, idleAdvanceMs: MIN }), map(brief));
      expectObservable(out, "^ 30m !").toBe("-- 10m x", { x: "browse p1 at 31 [0..1] xx1,yx1" });
    });
  });

  it("detectOutputs reports late events and duplicates; flushOnComplete fires what is pending", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const a = add(100, "a");
      const src = cold("abc|", { a, b: add(50, "b"), c: a });
      const out = src.pipe(
        detectOutputs({ ...OPTS, idleAdvanceMs: MIN, flushOnComplete: true }),
        map((x) => `${x.triggers.map(brief).join()}|late ${x.late.length}|dup ${x.duplicates}`),
      );
      expectObservable(out).toBe("-bc(d|)", {
        b: "|late 1|dup 0",
        c: "|late 0|dup 1",
        d: "cart p1 at 220 [100..100] ax1|late 0|dup 0",
      });
    });
  });

  it("ticks pause while events flow, so slow out-of-order input within lateness is not late", () => {
    scheduler().run(({ cold, expectObservable }) => {
      // one event a minute of wall time, each a minute older in event time: all within lateness 5m.
      // Ticks during the flow would have moved the watermark a minute per tick and made e late.
      const src = cold("a 59s b 59s c 59s d 59s e|", {
        a: add(10, "x"),
        b: view(9, "v"),
        c: view(8, "v"),
        d: view(7, "v"),
        e: add(6, "y"),
      });
      const out = src.pipe(
        detectOutputs({ ...OPTS, idleAdvanceMs: MIN, flushOnComplete: true }),
        map((x) => `${x.triggers.map(brief).join(" / ")}|late ${x.late.length}`),
      );
      expectObservable(out).toBe("236005ms (x|)", { x: "cart p1 at 130 [6..10] yx1,xx1|late 0" });
    });
  });

  it("keeps one state per subscription", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold("a|", { a: add(0, "a") });
      const out = src.pipe(cartAbandonment({ ...OPTS, flushOnComplete: true }), map(brief));
      expectObservable(out).toBe("-(x|)", { x: "cart p1 at 120 [0..0] ax1" });
      expectObservable(out).toBe("-(x|)", { x: "cart p1 at 120 [0..0] ax1" });
    });
  });
});
