import type { Config, Db } from "../../ingest/index.ts";
import { openSegmentRunner, type SegmentRunner } from "../../queries/index.ts";
import {
  type Campaign,
  type CampaignService,
  type Clock,
  createCampaigns,
  createRenderer,
  newEmailCounters,
  type RunningEmailSink,
  startEmailSink,
} from "../../sinks/index.ts";
import type { TestNats } from "./nats.ts";

export interface CampaignStack extends AsyncDisposable {
  email: RunningEmailSink;
  campaigns: CampaignService;
  /** The segment runner the campaign service uses (./segments). */
  runner: SegmentRunner;
}

/**
 * The real campaign side over a test NATS and DuckDB: an email sink (not consuming TRIGGERS) and the
 * campaign service with the given definitions, segments from ./segments.
 *
 * @example await using stack = await startCampaignStack({ nats, db, config, defs: [campaign] });
 */
export async function startCampaignStack(opts: {
  nats: TestNats;
  db: Db;
  config: Readonly<Config>;
  defs: readonly Campaign[];
  clock?: Clock;
}): Promise<CampaignStack> {
  const renderer = createRenderer();
  const email = await startEmailSink({
    nc: opts.nats.nc,
    db: opts.db,
    config: opts.config,
    renderer,
    consumeTriggers: false,
    counters: newEmailCounters(),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const runner = await openSegmentRunner(opts.db, { dir: "./segments" });
  const campaigns = await createCampaigns({
    nc: opts.nats.nc,
    db: opts.db,
    config: opts.config,
    sink: email.sink,
    runner,
    renderer,
    ...(opts.clock ? { clock: opts.clock } : {}),
    campaigns: new Map(opts.defs.map((d) => [d.name, d])),
  });
  return { email, campaigns, runner, [Symbol.asyncDispose]: () => email.stop() };
}
