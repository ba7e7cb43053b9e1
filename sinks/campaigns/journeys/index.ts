/**
 * sinks/campaigns/journeys: per-profile journeys started by triggers — send, wait (event time),
 * condition (SQL over the profile), exit on an event — durable in NATS KV `nudge_journeys`.
 *
 * @example
 * const journeys = await startJourneys({ nc, config, sink, runner, campaigns: campaigns.values() });
 * await journeys.stop();
 */
export * from "./condition.ts";
export * from "./engine.ts";
export * from "./event-clock.ts";
export * from "./instance.ts";
export * from "./instance-store.ts";
