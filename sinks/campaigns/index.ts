/**
 * sinks/campaigns: campaign definitions (journey, action, api, orchestrated), exact counts per step,
 * runs that send one message per profile or entity through the email sink, and previews.
 *
 * @example
 * const campaigns = await createCampaigns({ nc, db, config, sink, runner, renderer });
 * const run = await campaigns.startRun("booking-reminders", { dryRun: true, params: { now } });
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { type Config, type Db, openBucket } from "../../ingest/index.ts";
import { recommend, type SegmentRunner } from "../../queries/index.ts";
import { type Clock, systemClock } from "../delivery/clock.ts";
import type { EmailSink } from "../delivery/email-sink.ts";
import { emailSinkOptions, unsubscribeSecret } from "../delivery/start-email-sink.ts";
import type { Renderer } from "../render/index.ts";
import type { Campaign } from "./definition.ts";
import { previewEmail } from "./preview.ts";
import { CampaignRegistry } from "./registry.ts";
import { CampaignService } from "./service.ts";

export * from "./definition.ts";
export * from "./follow.ts";
export * from "./preview.ts";
export * from "./registry.ts";
export * from "./run-workflow.ts";
export * from "./service.ts";
export * from "./store.ts";
export * from "./workflow-sql.ts";

export async function createCampaigns(deps: {
  nc: NatsConnection;
  db: Db;
  config: Readonly<Config>;
  sink: EmailSink;
  runner: SegmentRunner;
  renderer: Renderer;
  clock?: Clock;
  /** Default: the definitions of CAMPAIGNS_DIR (changes written there); a Map is kept in memory only. */
  campaigns?: CampaignRegistry | ReadonlyMap<string, Campaign>;
}): Promise<CampaignService> {
  const clock = deps.clock ?? systemClock;
  const compose = emailSinkOptions(deps.config, await unsubscribeSecret(deps.nc, deps.config));
  return new CampaignService({
    registry:
      deps.campaigns instanceof CampaignRegistry
        ? deps.campaigns
        : deps.campaigns
          ? CampaignRegistry.inMemory(deps.campaigns.values())
          : CampaignRegistry.fromDir(deps.config.CAMPAIGNS_DIR),
    runner: deps.runner,
    sink: deps.sink,
    state: await openBucket(deps.nc, "state"),
    clock,
    preview: (input) =>
      previewEmail(
        {
          db: deps.db,
          renderer: deps.renderer,
          recommend: (r, o) => recommend(deps.db, r, o),
          compose,
          now: () => clock.now(),
        },
        input,
      ),
  });
}

// Journeys and the campaign scheduler (helper A2).
export * from "./journeys/index.ts";
export * from "./scheduler.ts";
