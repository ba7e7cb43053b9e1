import type { KV } from "@nats-io/kv";
import { z } from "zod";
import { profileToken } from "../../../ingest/index.ts";
import type { EventClockSnapshot } from "./event-clock.ts";
import { JourneyInstance } from "./instance.ts";

/** KV key of a profile's instance of a journey. Journey names start with [a-z0-9]: no clash with `_engine.*`. */
export const instanceKey = (journey: string, profileId: string) => `${journey}.${profileToken(profileId)}`;

const TRIGGERS_SEQ = "_engine.triggers_seq";
const EVENTS_POS = "_engine.events";

const EventsPosition = z.object({
  seq: z.number(),
  maxEventMs: z.number().nullable(),
  watermarkMs: z.number().nullable(),
});
export type EventsPosition = z.infer<typeof EventsPosition> & EventClockSnapshot;

/**
 * Journey state in KV `nudge_journeys`: one entry per (journey, profile) plus the engine's own
 * positions (last trigger and event sequences handled, and the event clock).
 */
export class JourneyStore {
  constructor(readonly kv: KV) {}

  async get(key: string): Promise<JourneyInstance | undefined> {
    const e = await this.kv.get(key);
    if (e?.operation !== "PUT" || e.value.length === 0) return undefined;
    const parsed = JourneyInstance.safeParse(e.json());
    return parsed.success ? parsed.data : undefined;
  }

  async put(inst: JourneyInstance): Promise<void> {
    await this.kv.put(instanceKey(inst.journey, inst.profileId), JSON.stringify(inst));
  }

  /** Every active instance (read once at start). */
  async active(): Promise<JourneyInstance[]> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys()) if (!k.startsWith("_engine.")) keys.push(k);
    const out: JourneyInstance[] = [];
    for (const k of keys) {
      const inst = await this.get(k);
      if (inst?.status === "active") out.push(inst);
    }
    return out;
  }

  async triggersSeq(): Promise<number> {
    return Number((await this.kv.get(TRIGGERS_SEQ))?.string() ?? "0") || 0;
  }

  async saveTriggersSeq(seq: number): Promise<void> {
    await this.kv.put(TRIGGERS_SEQ, String(seq));
  }

  async eventsPosition(): Promise<EventsPosition> {
    const e = await this.kv.get(EVENTS_POS);
    if (e?.operation !== "PUT" || e.value.length === 0) {
      return { seq: 0, maxEventMs: null, watermarkMs: null };
    }
    const parsed = EventsPosition.safeParse(e.json());
    return parsed.success ? parsed.data : { seq: 0, maxEventMs: null, watermarkMs: null };
  }

  async saveEventsPosition(pos: EventsPosition): Promise<void> {
    await this.kv.put(EVENTS_POS, JSON.stringify(pos));
  }
}
