import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecentIds } from "../ingest/index.ts";

/** The reference: a Set of strings and a FIFO of them. */
function model(capacity: number) {
  const set = new Set<string>();
  const fifo: string[] = [];
  return {
    add(id: string) {
      if (set.has(id)) return false;
      if (fifo.length === capacity) set.delete(fifo.shift()!);
      set.add(id);
      fifo.push(id);
      return true;
    },
    has: (id: string) => set.has(id),
    get size() {
      return set.size;
    },
  };
}

describe("RecentIds", () => {
  it("refuses an id it holds, and forgets the oldest once full", () => {
    const seen = new RecentIds(3);
    expect(["a", "b", "c"].map((id) => seen.add(id))).toEqual([true, true, true]);
    expect(seen.add("a")).toBe(false);
    expect(seen.add("d")).toBe(true); // evicts a
    expect(seen.size).toBe(3);
    expect(seen.has("a")).toBe(false);
    expect(seen.add("b")).toBe(false);
    expect(seen.add("a")).toBe(true); // evicts b
    expect(seen.has("b")).toBe(false);
    expect([...["c", "d", "a"]].every((id) => seen.has(id))).toBe(true);
  });

  it("answers exactly as a Set with a FIFO of the last `capacity` ids, whatever the ids and order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        // Few distinct ids, so repeats, evictions, probe chains and wrap-around all happen often.
        fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("é", "😀", "", "a".repeat(200))), {
          maxLength: 400,
        }),
        (capacity, ids) => {
          const seen = new RecentIds(capacity);
          const ref = model(capacity);
          for (const id of ids) {
            expect(seen.add(id)).toBe(ref.add(id));
            expect(seen.size).toBe(ref.size);
          }
          for (const id of ids) expect(seen.has(id)).toBe(ref.has(id));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("holds a million ids and tells each of the next million apart from them", () => {
    const seen = new RecentIds(1_000_000);
    let added = 0;
    for (let i = 0; i < 1_000_000; i++) if (seen.add(`evt-${i}`)) added++;
    expect(added).toBe(1_000_000);
    expect(seen.size).toBe(1_000_000);
    let repeats = 0;
    for (let i = 0; i < 1_000_000; i += 97) if (!seen.add(`evt-${i}`)) repeats++;
    expect(repeats).toBe(Math.ceil(1_000_000 / 97));
    // New ids are all new (no fingerprint collision), and each evicts the oldest.
    for (let i = 1_000_000; i < 2_000_000; i++) if (!seen.add(`evt-${i}`)) throw new Error(`evt-${i}`);
    expect(seen.has("evt-0")).toBe(false);
    expect(seen.has("evt-1999999")).toBe(true);
  });

  it("refuses a capacity it cannot hold", () => {
    expect(() => new RecentIds(0)).toThrow(/capacity/);
    expect(() => new RecentIds(1.5)).toThrow(/capacity/);
  });
});
