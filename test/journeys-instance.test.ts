import { describe, expect, it } from "vitest";
import type { Trigger } from "../processors/index.ts";
import {
  afterCondition,
  afterWait,
  decideEntry,
  type Journey,
  type JourneyInstance,
  nextAction,
  parseCampaign,
} from "../sinks/index.ts";

const H = 3_600_000;
const T = Date.parse("2026-11-23T15:00:00Z");

function journey(reentry: "never" | "after_exit"): Journey {
  const c = parseCampaign(
    `name: j
kind: journey
trigger: cart_abandoned
reentry: ${reentry}
steps:
  - send: { template: cart-reminder, strategy: cart_based }
  - wait: 24h
  - condition: { sql: "SELECT true AS ok", else: continue }
  - send: { template: cart-reminder-2, strategy: popular }
  - wait: 2h
  - send: { template: cart-reminder-2 }
  - exit: true
`,
    "j.yaml",
  );
  if (c.kind !== "journey") throw new Error("not a journey");
  return c;
}

const trigger = (id: string, atMs = T): Trigger => ({
  id,
  kind: "cart_abandoned",
  profileId: "p1",
  at: new Date(atMs).toISOString(),
  items: [{ productId: "sku-1", quantity: 1 }],
  windowStart: new Date(atMs - 2 * H).toISOString(),
  windowEnd: new Date(atMs).toISOString(),
});

const inst = (over: Partial<JourneyInstance> = {}): JourneyInstance => ({
  journey: "j",
  profileId: "p1",
  triggerId: "t1",
  items: [],
  enteredAt: T,
  baseMs: T,
  step: 0,
  status: "active",
  sends: {},
  ...over,
});

describe("decideEntry", () => {
  it.each([
    ["no instance yet", "after_exit", undefined, undefined, true],
    ["active instance", "after_exit", inst({ triggerId: "t0" }), undefined, "active"],
    ["ended, after_exit", "after_exit", inst({ triggerId: "t0", status: "exited" }), undefined, true],
    ["ended, never", "never", inst({ triggerId: "t0", status: "completed" }), undefined, "reentry_never"],
    ["same trigger, ended", "after_exit", inst({ status: "completed" }), undefined, "already_processed"],
    ["same trigger, active", "after_exit", inst(), undefined, "resume"],
    ["bought after the trigger", "after_exit", undefined, T + H, "exited_before_entry"],
    ["bought before the trigger", "after_exit", undefined, T - H, true],
  ] as const)("%s", (_, reentry, existing, lastExit, expected) => {
    const d = decideEntry(journey(reentry), trigger("t1"), existing, lastExit);
    expect(d.enter ? true : d.reason).toBe(expected);
  });
});

describe("nextAction", () => {
  const j = journey("after_exit");
  it("keys the first send by the trigger id and later ones by trigger#step", () => {
    expect(nextAction(inst(), j.steps, T)).toMatchObject({
      type: "send",
      triggerId: "t1",
      template: "cart-reminder",
    });
    expect(nextAction(inst({ step: 3 }), j.steps, T)).toMatchObject({ type: "send", triggerId: "t1#3" });
  });

  it("waits in event time from entry plus the waits already done", () => {
    expect(nextAction(inst({ step: 1 }), j.steps, T + 24 * H - 1)).toEqual({
      type: "wait",
      step: 1,
      until: T + 24 * H,
      due: false,
    });
    expect(nextAction(inst({ step: 1 }), j.steps, T + 24 * H)).toMatchObject({ due: true });
    const after = afterWait(inst({ step: 1, waitUntil: T + 24 * H }), T + 24 * H);
    expect(after).toMatchObject({ step: 2, baseMs: T + 24 * H, waitUntil: undefined });
    expect(nextAction({ ...after, step: 4 }, j.steps, T + 25 * H)).toMatchObject({
      until: T + 26 * H,
      due: false,
    });
  });

  it("condition: true goes on, else exit ends, else continue skips the guarded step", () => {
    const at3 = inst({ step: 2 });
    expect(afterCondition(at3, true, "continue", T).step).toBe(3);
    expect(afterCondition(at3, false, "continue", T).step).toBe(4);
    expect(afterCondition(at3, false, "exit", T)).toMatchObject({ status: "exited", reason: "condition" });
  });

  it("ends as completed at an exit step or after the last step", () => {
    expect(nextAction(inst({ step: 6 }), j.steps, T)).toMatchObject({ type: "end", status: "completed" });
    expect(nextAction(inst({ step: 7 }), j.steps, T)).toMatchObject({ type: "end", status: "completed" });
  });
});
