import { z } from "zod";
import type { Trigger } from "../../../processors/trigger.ts";
import { TriggerItem } from "../../../processors/trigger.ts";
import type { Campaign, JourneyStep } from "../definition.ts";

export type Journey = Extract<Campaign, { kind: "journey" }>;

/**
 * One profile's run through a journey, as kept in KV `nudge_journeys` under `<journey>.<profileToken>`.
 * Times are event time (ms). `baseMs` is entry time plus the waits already done: the next wait ends
 * at `baseMs + duration`.
 */
export const JourneyInstance = z.object({
  journey: z.string(),
  profileId: z.string(),
  triggerId: z.string(),
  items: z.array(TriggerItem),
  enteredAt: z.number(),
  baseMs: z.number(),
  step: z.number().int().min(0),
  waitUntil: z.number().optional(),
  status: z.enum(["active", "completed", "exited"]),
  /** Why it ended: `purchase`, `cart_add` (exit events), `condition`, `completed` (last or exit step). */
  reason: z.string().optional(),
  endedAt: z.number().optional(),
  /** Send results per step index (sent, skipped:<reason>, duplicate, …). */
  sends: z.record(z.string(), z.string()).default({}),
});
export type JourneyInstance = z.infer<typeof JourneyInstance>;

/** What to do with a trigger for a journey, given the profile's stored instance (if any). */
export type EntryDecision =
  | { enter: true; instance: JourneyInstance }
  | { enter: false; reason: "already_processed" | "active" | "reentry_never" | "exited_before_entry" }
  /** The same trigger again while its instance is active (a retry after a fault): go on from where it is. */
  | { enter: false; reason: "resume" };

/**
 * Entry rules: a trigger already seen is ignored (redelivery); one active instance per profile;
 * `reentry: never` refuses a profile that was ever in; an exit event (purchase) seen after the
 * trigger's time means the shopper already did what the journey asks, so it never starts.
 */
export function decideEntry(
  journey: Journey,
  trigger: Trigger,
  existing: JourneyInstance | undefined,
  lastExitMs: number | undefined,
): EntryDecision {
  if (existing?.triggerId === trigger.id) {
    return { enter: false, reason: existing.status === "active" ? "resume" : "already_processed" };
  }
  if (existing?.status === "active") return { enter: false, reason: "active" };
  if (existing && journey.reentry === "never") return { enter: false, reason: "reentry_never" };
  const at = Date.parse(trigger.at);
  if (lastExitMs !== undefined && lastExitMs >= at) return { enter: false, reason: "exited_before_entry" };
  return {
    enter: true,
    instance: {
      journey: journey.name,
      profileId: trigger.profileId,
      triggerId: trigger.id,
      items: trigger.items,
      enteredAt: at,
      baseMs: at,
      step: 0,
      status: "active",
      sends: {},
    },
  };
}

/** The next thing an active instance does at event time `nowMs` (pure). */
export type NextAction =
  | { type: "send"; step: number; template: string; strategy?: string | undefined; triggerId: string }
  | { type: "wait"; step: number; until: number; due: boolean }
  | { type: "condition"; step: number; sql: string; onFalse: "exit" | "continue" }
  | { type: "end"; status: "completed" | "exited"; reason: string };

export function nextAction(inst: JourneyInstance, steps: readonly JourneyStep[], nowMs: number): NextAction {
  const s = steps[inst.step];
  if (!s) return { type: "end", status: "completed", reason: "completed" };
  if ("send" in s) {
    // The first send keeps the trigger's own key: the same ledger key the plain reminder would use.
    const firstSend = steps.findIndex((x) => "send" in x) === inst.step;
    return {
      type: "send",
      step: inst.step,
      template: s.send.template,
      strategy: s.send.strategy,
      triggerId: firstSend ? inst.triggerId : `${inst.triggerId}#${inst.step}`,
    };
  }
  if ("wait" in s) {
    const until = inst.waitUntil ?? inst.baseMs + s.wait;
    return { type: "wait", step: inst.step, until, due: nowMs >= until };
  }
  if ("condition" in s) {
    return { type: "condition", step: inst.step, sql: s.condition.sql, onFalse: s.condition.else };
  }
  // An exit step is the journey's designed end, like running out of steps.
  return { type: "end", status: "completed", reason: "completed" };
}

/** The instance after a wait is over: the next wait counts from this one's end. */
export function afterWait(inst: JourneyInstance, until: number): JourneyInstance {
  return { ...inst, step: inst.step + 1, baseMs: until, waitUntil: undefined };
}

/**
 * After a condition: true goes on; false either ends the journey (`else: exit`) or skips the step the
 * condition guards (`else: continue`) and goes on after it.
 */
export function afterCondition(
  inst: JourneyInstance,
  ok: boolean,
  onFalse: "exit" | "continue",
  nowMs: number,
) {
  if (ok) return { ...inst, step: inst.step + 1 };
  if (onFalse === "continue") return { ...inst, step: inst.step + 2 };
  return end(inst, "exited", "condition", nowMs);
}

export function end(
  inst: JourneyInstance,
  status: "completed" | "exited",
  reason: string,
  nowMs: number,
): JourneyInstance {
  return { ...inst, status, reason, endedAt: nowMs, waitUntil: undefined };
}
