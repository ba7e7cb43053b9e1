import { describe, expect, it } from "vitest";
import { Limiter } from "../sinks/index.ts";

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await null;
};

describe("Limiter", () => {
  it.each([1, 2, 3])("never runs more than %i tasks at once, whatever the arrival order", async (size) => {
    const limiter = new Limiter(size);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      inside++;
      most = Math.max(most, inside);
      order.push(i);
      await ticks(3);
      inside--;
    };
    // Callers arrive at every microtask depth, some exactly while a slot is being handed over.
    await Promise.all(Array.from({ length: 200 }, (_, i) => ticks(i % 7).then(() => limiter.run(task(i)))));
    expect(most).toBe(size);
    expect(order).toHaveLength(200);
  });
});
