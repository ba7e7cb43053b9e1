import { describe, expect, it } from "vitest";
import { RecentIds } from "../ingest/index.ts";

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
});
