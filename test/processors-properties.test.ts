import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DetectInput,
  type DetectOptions,
  detectStats,
  initialDetectState,
  mergeDetectSnapshots,
  restoreDetectState,
  snapshotDetectDelta,
  snapshotDetectState,
  type TimedEvent,
  type Trigger,
  type TriggerItem,
} from "../processors/index.ts";
import { at, MIN, OPTS, run } from "./processors-fixtures.ts";

// Small worlds (3 profiles, 3 products, 10 hours at minute resolution) so that ties, exact gaps and
// every rule happen often. Each event gets an arrival delay within lateness.
const TYPES = [
  "product_view",
  "product_view",
  "product_view",
  "cart_add",
  "cart_add",
  "cart_remove",
  "checkout_start",
  "purchase",
  "profile_update",
] as const;

const arbRows = fc.array(
  fc.record({
    p: fc.constantFrom("p1", "p2", "p3"),
    type: fc.constantFrom(...TYPES),
    product: fc.constantFrom("a", "b", "c"),
    quantity: fc.integer({ min: 1, max: 3 }),
    min: fc.integer({ min: 0, max: 600 }),
    delay: fc.integer({ min: 0, max: OPTS.latenessMs }),
    asView: fc.boolean(),
    /** Delivered again, this much after the event's time (still within lateness). */
    again: fc.option(fc.integer({ min: 0, max: OPTS.latenessMs }), { freq: 8 }),
  }),
  { maxLength: 80, size: "max" },
);

// Spans from 1 to 10 hours: dense logs make long sessions, sparse ones make many windows.
// In "browsy" logs most events are views, so browse triggers (with ranked products) are common too.
const arbLog = fc.tuple(arbRows, fc.integer({ min: 1, max: 10 }), fc.boolean()).map(([rows, hours, browsy]) =>
  rows.flatMap((row) => {
    const r = browsy && row.asView ? { ...row, type: "product_view" as const } : row;
    const fields =
      r.type === "purchase"
        ? { type: r.type, orderId: "o", items: [{ productId: r.product, quantity: 1 }] }
        : r.type === "profile_update"
          ? { type: r.type, attributes: {} }
          : r.type === "checkout_start"
            ? { type: r.type }
            : { type: r.type, productId: r.product, quantity: r.quantity, price: r.quantity * 2 };
    const e = at(Math.round((r.min * hours) / 10), fields, r.p);
    const first = { ...e, arrival: e.tsMs + r.delay };
    return r.again === null ? [first] : [first, { ...e, arrival: e.tsMs + r.again }];
  }),
);
const copies = (log: Arrived[]) => log.length - new Set(log.map((e) => e.event.id)).size;

type Arrived = TimedEvent & { arrival: number };
const byTime = (a: Arrived[]) => [...a].sort((x, y) => x.tsMs - y.tsMs);
const byArrival = (a: Arrived[]) => [...a].sort((x, y) => x.arrival - y.arrival);
const strip = (a: Arrived[]): TimedEvent[] => a.map(({ event, tsMs }) => ({ event, tsMs }));
const opts: DetectOptions = { ...OPTS, cartTtlMs: 4 * 60 * MIN };

describe("detection properties", () => {
  it("any arrival order within lateness gives the same triggers, in the same order, as sorted input", () => {
    fc.assert(
      fc.property(arbLog, (log) => {
        const sorted = run(strip(byTime(log)), opts);
        const shuffled = run(strip(byArrival(log)), opts);
        expect(shuffled.late).toEqual([]);
        expect(shuffled.duplicates).toBe(copies(log));
        expect(shuffled.triggers).toEqual(sorted.triggers);
      }),
      { numRuns: 300 },
    );
  });

  it("ticks derived from the arrivals (wall = arrival time) change nothing", () => {
    fc.assert(
      fc.property(arbLog, fc.integer({ min: 1, max: 20 }), (log, tickMin) => {
        const inputs: DetectInput[] = [];
        let wall = Number.NEGATIVE_INFINITY;
        for (const e of byArrival(log)) {
          if (wall === Number.NEGATIVE_INFINITY) wall = e.arrival;
          for (; wall < e.arrival; wall += tickMin * MIN) inputs.push({ type: "tick", wallMs: wall });
          inputs.push({ type: "event", event: e.event, tsMs: e.tsMs, wallMs: e.arrival });
        }
        const live = run(inputs, opts);
        expect(live.late).toEqual([]);
        expect(live.triggers).toEqual(run(strip(byTime(log)), opts).triggers);
      }),
      { numRuns: 200 },
    );
  });

  it("a snapshot → JSON → restore at any point gives the same triggers as one pass", () => {
    fc.assert(
      fc.property(arbLog, fc.nat(), (log, cut) => {
        const input = strip(byArrival(log));
        const k = input.length === 0 ? 0 : cut % (input.length + 1);
        const one = run(input, opts);
        const first = run(input.slice(0, k), opts, { flush: false });
        const json: unknown = JSON.parse(JSON.stringify(snapshotDetectState(first.state)));
        const second = run(input.slice(k), opts, { state: restoreDetectState(json) });
        expect([...first.triggers, ...second.triggers]).toEqual(one.triggers);
        expect(first.duplicates + second.duplicates).toBe(one.duplicates);
      }),
      { numRuns: 300 },
    );
  });

  it("a base snapshot plus deltas taken at any points restores the same state as one pass", () => {
    fc.assert(
      fc.property(arbLog, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (log, cuts) => {
        const input = strip(byArrival(log));
        const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
        const one = run(input, opts);
        const roundTrip = (snap: unknown): unknown => JSON.parse(JSON.stringify(snap));
        // The base at the first point, one delta at each later point, all written from one running state.
        let state = initialDetectState();
        const triggers: Trigger[] = [];
        let base: unknown;
        const deltas: unknown[] = [];
        let from = 0;
        for (const k of points) {
          const part = run(input.slice(from, k), opts, { state, flush: false });
          state = part.state;
          triggers.push(...part.triggers);
          if (base === undefined) {
            base = roundTrip(snapshotDetectState(state));
            state.changed.clear();
          } else deltas.push(roundTrip(snapshotDetectDelta(state)));
          from = k;
        }
        const restored = restoreDetectState(mergeDetectSnapshots(base, deltas));
        expect(detectStats(restored)).toEqual(detectStats(state));
        const rest = run(input.slice(from), opts, { state: restored });
        expect([...triggers, ...rest.triggers]).toEqual(one.triggers);
      }),
      { numRuns: 300 },
    );
  });

  it("state size returns to 0 once everything has fired", () => {
    fc.assert(
      fc.property(arbLog, (log) => {
        const r = run(strip(byArrival(log)), opts);
        expect(detectStats(r.state)).toMatchObject({
          openCarts: 0,
          openSessions: 0,
          firedCarts: 0,
          profiles: 0,
          pendingEvents: 0,
          rememberedIds: 0,
        });
        expect(r.state.cartTimers.size + r.state.sessionTimers.size).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it("matches a naive reference model of the rules (per profile, sorted, no watermark)", () => {
    fc.assert(
      fc.property(arbLog, (log) => {
        expect(run(strip(byArrival(log)), opts).triggers).toEqual(reference(strip(log), opts));
      }),
      { numRuns: 300 },
    );
  });

  it("cart-only and browse-only detection together equal both at once", () => {
    fc.assert(
      fc.property(arbLog, (log) => {
        const input = strip(byArrival(log));
        const both = run(input, opts).triggers;
        const cart = run(input, { ...opts, kinds: ["cart_abandoned"] }).triggers;
        const browse = run(input, { ...opts, kinds: ["browse_abandoned"] }).triggers;
        expect([...cart, ...browse].sort(order)).toEqual(both);
      }),
      { numRuns: 100 },
    );
  });

  it("a fresh state reports nothing open", () => {
    expect(detectStats(initialDetectState())).toMatchObject({ openCarts: 0, openSessions: 0, profiles: 0 });
  });
});

function order(a: Trigger, b: Trigger): number {
  return a.at < b.at
    ? -1
    : a.at > b.at
      ? 1
      : a.profileId < b.profileId
        ? -1
        : a.profileId > b.profileId
          ? 1
          : a.kind < b.kind
            ? -1
            : a.kind > b.kind
              ? 1
              : 0;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The rules of DESIGN.md written as plainly as possible: one profile at a time, over its sorted events. */
function reference(log: TimedEvent[], o: DetectOptions): Trigger[] {
  const seen = new Set<string>();
  const unique = log.filter((e) => !seen.has(e.event.id) && seen.add(e.event.id));
  const out: Trigger[] = [];
  for (const pid of new Set(unique.map((e) => e.event.profileId))) {
    const evs = unique
      .filter((e) => e.event.profileId === pid && e.event.type !== "profile_update")
      .sort((a, b) => a.tsMs - b.tsMs || (a.event.id < b.event.id ? -1 : 1));
    // cart
    let items: TriggerItem[] = [];
    let last = 0;
    let start: number | null = null;
    const fire = () => {
      out.push({
        id: `cart_abandoned:${pid}:${iso(start as number)}`,
        kind: "cart_abandoned",
        profileId: pid,
        at: iso(last + o.abandonAfterMs),
        items: items.map((i) => ({ ...i })),
        windowStart: iso(start as number),
        windowEnd: iso(last),
      });
      start = null;
    };
    for (const { event: e, tsMs } of evs) {
      if (start !== null && tsMs >= last + o.abandonAfterMs) fire();
      if (start === null && items.length > 0 && tsMs >= last + (o.cartTtlMs ?? Number.POSITIVE_INFINITY))
        items = [];
      if (e.type === "purchase") {
        items = [];
        start = null;
      } else if (e.type === "cart_add" || e.type === "cart_remove" || e.type === "checkout_start") {
        if (e.type !== "checkout_start") {
          const i = items.find((x) => x.productId === e.productId);
          const d = e.type === "cart_add" ? e.quantity : -e.quantity;
          if (i) i.quantity += d;
          else if (d > 0) items.push({ productId: e.productId, quantity: d });
          const j = items.find((x) => x.productId === e.productId);
          if (j && e.type === "cart_add" && e.price !== undefined) j.price = e.price;
          items = items.filter((x) => x.quantity > 0);
        }
        if (items.length === 0) start = null;
        else {
          start ??= tsMs;
          last = tsMs;
        }
      }
    }
    if (start !== null) fire();
    // browse
    const views = evs.filter((e) => e.event.type === "product_view");
    const sessions: TimedEvent[][] = [];
    for (const v of views) {
      const cur = sessions.at(-1);
      if (cur && v.tsMs - (cur.at(-1) as TimedEvent).tsMs < o.sessionGapMs) cur.push(v);
      else sessions.push([v]);
    }
    for (const s of sessions) {
      const first = (s[0] as TimedEvent).tsMs;
      const lastView = (s.at(-1) as TimedEvent).tsMs;
      const converted = evs.some(
        (e) =>
          (e.event.type === "cart_add" || e.event.type === "purchase") &&
          e.tsMs >= first &&
          e.tsMs < lastView + o.sessionGapMs,
      );
      if (converted || s.length < o.minViews) continue;
      const counts = new Map<string, { views: number; price?: number }>();
      for (const { event: v } of s) {
        if (v.type !== "product_view") continue;
        const c = counts.get(v.productId) ?? { views: 0 };
        c.views += 1;
        if (v.price !== undefined) c.price = v.price;
        counts.set(v.productId, c);
      }
      const ranked = [...counts].sort((a, b) => b[1].views - a[1].views);
      out.push({
        id: `browse_abandoned:${pid}:${iso(first)}`,
        kind: "browse_abandoned",
        profileId: pid,
        at: iso(lastView + o.sessionGapMs),
        items: ranked.map(([productId, c]) =>
          c.price === undefined
            ? { productId, quantity: c.views }
            : { productId, quantity: c.views, price: c.price },
        ),
        windowStart: iso(first),
        windowEnd: iso(lastView),
      });
    }
  }
  return out.sort(order);
}
