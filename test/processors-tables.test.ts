import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlotIndex } from "../processors/slot-index.ts";
import { SlotTimers } from "../processors/slot-timers.ts";
import { seededRandom } from "./helpers/detect-log.ts";

describe("SlotIndex", () => {
  it("finds what a Map would, through adds and removes (slots reused, table rehashed)", () => {
    // Each step toggles an id (added when absent, removed when present): heavy churn, long clusters.
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 100, max: 3_000 }), (seed, universe) => {
        const rnd = seededRandom(seed);
        const ix = new SlotIndex();
        const model = new Map<string, number>();
        const check = () => {
          expect(ix.size).toBe(model.size);
          for (const [key, slot] of model) expect(ix.find(key)).toBe(slot);
          for (let id = 0; id < universe; id += 7)
            if (!model.has(`p-${id}`)) expect(ix.find(`p-${id}`)).toBe(-1);
        };
        for (let k = 0; k < 20_000; k++) {
          const key = `p-${Math.floor(rnd() * universe)}`;
          const slot = model.get(key);
          if (slot === undefined) {
            const s = ix.add(key);
            expect(ix.ids[s]).toBe(key);
            model.set(key, s);
          } else {
            ix.remove(slot);
            model.delete(key);
          }
          if (k % 2_000 === 0) check();
        }
        check();
        expect(new Set(ix.keys())).toEqual(new Set(model.keys()));
        expect(new Set(model.values()).size).toBe(model.size);
      }),
      { numRuns: 20 },
    );
  });
});

describe("SlotTimers", () => {
  it("pops by (time, slot) whatever the push order, interleaved with pops", () => {
    const entry = fc.record({
      time: fc.integer({ min: 0, max: 50 }),
      slot: fc.integer({ min: 0, max: 2_000 }),
      gen: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(fc.array(entry, { maxLength: 400, size: "max" }), { maxLength: 8 }), (rounds) => {
        const q = new SlotTimers();
        const model: { time: number; slot: number; gen: number }[] = [];
        const take = () => {
          const got = { time: q.peekTime(), slot: q.peekSlot(), gen: q.peekGen() };
          q.pop();
          return got;
        };
        const order = (a: { time: number; slot: number }, b: { time: number; slot: number }) =>
          a.time - b.time || a.slot - b.slot;
        for (const round of rounds) {
          for (const e of round) {
            q.push(e.time, e.slot, e.gen);
            model.push(e);
          }
          model.sort(order);
          // pop half of what is queued; equal (time, slot) entries may come in any order
          for (let n = Math.floor(model.length / 2); n > 0; n--) {
            const got = take();
            const want = model.shift();
            expect([got.time, got.slot]).toEqual([want?.time, want?.slot]);
          }
        }
        expect(q.size).toBe(model.length);
        while (q.size > 0) take();
        expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
      }),
      { numRuns: 100 },
    );
  });
});
