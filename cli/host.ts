import type { NatsConnection } from "@nats-io/transport-node";
import pino, { type Logger } from "pino";
import { createMetrics, type RunningApi, startApiServer } from "../api/index.ts";
import {
  type Config,
  connectNats,
  type Db,
  DUCKDB_ROW_GROUP,
  type EmbeddedNats,
  type HistoryWriter,
  NudgeError,
  natsReachable,
  openBucket,
  openDb,
  provision,
  startHistory,
  startNats,
} from "../ingest/index.ts";
import { type Processors, startProcessors } from "../processors/index.ts";
import { ModelRefresher, openSegmentRunner } from "../queries/index.ts";
import {
  CampaignRegistry,
  createCampaigns,
  createRenderer,
  followCampaigns,
  type RunningEmailSink,
  type RunningJourneys,
  type RunningScheduler,
  startCampaignScheduler,
  startEmailSink,
  startJourneys,
  systemClock,
} from "../sinks/index.ts";

/** The parts `nudge run` can host; `--only` picks some. */
export const PARTS = ["history", "processors", "email", "api", "journeys"] as const;
export type Part = (typeof PARTS)[number];

export interface Host {
  nc: NatsConnection;
  db: Db;
  logger: Logger;
  history?: HistoryWriter;
  processors?: Processors;
  email?: RunningEmailSink;
  api?: RunningApi;
  journeys?: RunningJourneys;
  scheduler?: RunningScheduler;
  /** Stops the parts in reverse order, then the connections (and the embedded server, if any). */
  stop(): Promise<void>;
  /** Counters of every hosted part, for logs and /metrics. */
  stats(): Record<string, unknown>;
  stoppers: (() => Promise<void> | void)[];
}

/**
 * Finds NATS for the demo: NATS_URL when the user set it (it must answer), otherwise an embedded
 * nats-server on a free loopback port with its store under `storeDir`, so a demo never writes into
 * streams someone else uses.
 */
export async function findOrStartNats(
  config: Config,
  storeDir: string,
  opts: { explicit: boolean },
): Promise<{ url: string; embedded?: EmbeddedNats }> {
  if (opts.explicit) {
    if (!(await natsReachable(config.NATS_URL))) {
      throw new NudgeError("NUDGE_ERR_NATS_UNREACHABLE", `NATS_URL=${config.NATS_URL} does not answer`);
    }
    return { url: config.NATS_URL };
  }
  const embedded = await startNats({ storeDir });
  return { url: embedded.url, embedded };
}

/**
 * Starts the parts of nudge in one process over one NATS connection and one DuckDB instance.
 *
 * @example const host = await startHost(config, { natsUrl, parts: ["history", "processors"] });
 */
export async function startHost(
  config: Config,
  opts: {
    natsUrl?: string;
    parts?: readonly Part[];
    logger?: Logger;
    embedded?: EmbeddedNats;
    /** This instance's profile partition (see README, "Scale-out"). */
    partition?: { index: number; count: number };
    /** Called when a part fails for good (the caller exits so a supervisor restarts it). */
    onFatal?: (err: unknown) => void;
  } = {},
): Promise<Host> {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL, base: { app: "nudge" } });
  const parts = new Set(opts.parts ?? PARTS);
  const nc = await connectNats(opts.natsUrl ?? config.NATS_URL);
  await provision(nc);
  const db = await openDb(config.DUCKDB_PATH);
  const stoppers: Host["stoppers"] = [];
  const host: Host = {
    nc,
    db,
    logger,
    stoppers,
    stats: () => ({
      history: host.history?.stats(),
      processors: host.processors?.stats(),
      email: host.email?.sink.counters,
      journeys: host.journeys?.stats(),
    }),
    async stop() {
      for (const s of stoppers.reverse()) await s();
      await nc.drain().catch(() => {});
      db.close();
      await opts.embedded?.stop();
    },
  };
  if (parts.has("history")) {
    host.history = await startHistory({
      nc,
      db,
      // Room for batches of whole DuckDB row groups under load (see DUCKDB_ROW_GROUP).
      maxInFlight: Math.max(config.MAX_IN_FLIGHT, 4 * DUCKDB_ROW_GROUP),
      onError: (err) => logger.error({ err }, "history writer stopped"),
    });
    stoppers.push(() => host.history?.stop());
    logger.info({ part: "history" }, "history writer started");
  }
  if (parts.has("processors")) {
    host.processors = await startProcessors({ nc, config, logger, partition: opts.partition });
    stoppers.push(() => host.processors?.stop());
    host.processors.done.catch((err: unknown) => {
      logger.error({ err }, "processors stopped; restart to resume from the checkpoint");
      opts.onFatal?.(err);
    });
  }
  const renderer = createRenderer({ templatesDir: config.TEMPLATES_DIR });
  if (parts.has("email") || parts.has("api")) {
    // Recommendation models follow the history: rebuilt and swapped in every MODEL_REFRESH.
    // The first recommend() builds them lazily; the refresher takes over after one interval.
    const refresher = new ModelRefresher(db, {
      intervalMs: config.MODEL_REFRESH,
      now: () => new Date(),
      onRefresh: (stats) => logger.info({ stats }, "recommendation models rebuilt"),
      onError: (err) => logger.error({ err }, "model rebuild failed"),
    });
    const delay = setTimeout(() => refresher.start(), config.MODEL_REFRESH);
    delay.unref();
    stoppers.push(() => {
      clearTimeout(delay);
      return refresher.stop();
    });
  }
  if (parts.has("email")) {
    // With journeys in this process, they consume TRIGGERS (and send the plain reminders themselves).
    host.email = await startEmailSink({
      nc,
      db,
      config,
      renderer,
      logger,
      consumeTriggers: !parts.has("journeys"),
    });
    stoppers.push(() => host.email?.stop());
    logger.info({ part: "email", smtp: config.SMTP_URL ? "smtp" : "outbox" }, "email sink started");
  }
  // One set of campaign definitions for the API and the journeys: a PUT through the API re-arms the
  // scheduler and the journey engine here; a change in the folder (by hand, or by another process's API)
  // is picked up by the watch.
  const registry =
    parts.has("api") || parts.has("journeys") ? CampaignRegistry.fromDir(config.CAMPAIGNS_DIR) : undefined;
  if (registry) {
    const unwatch = registry.watch({
      onError: (err) => logger.error({ err }, "campaign definitions not reloaded; the previous ones stay"),
    });
    stoppers.push(unwatch);
  }
  // Campaign runs, API-triggered sends and scheduled campaigns go through this process's email sink
  // (with journeys but no email part, one of their own that leaves TRIGGERS to them): one segment
  // runner and one campaigns service for the API and the scheduler.
  let sink = host.email?.sink;
  if (!sink && parts.has("journeys")) {
    const own = await startEmailSink({ nc, db, config, renderer, logger, consumeTriggers: false });
    stoppers.push(() => own.stop());
    sink = own.sink;
  }
  const runner = registry && sink ? await openSegmentRunner(db, { dir: config.SEGMENTS_DIR }) : undefined;
  const campaigns =
    registry && sink && runner
      ? await createCampaigns({ nc, db, config, sink, runner, renderer, campaigns: registry })
      : undefined;
  if (parts.has("api")) {
    host.api = await startApiServer({
      config,
      nc,
      db,
      metrics: createMetrics({ processors: () => host.processors?.stats() }),
      services: campaigns ? { campaigns } : {},
    });
    stoppers.push(() => host.api?.stop());
    logger.info({ part: "api", url: host.api.url }, "API listening");
  }
  // (registry, sink, runner and campaigns are all there when journeys are.)
  if (parts.has("journeys") && registry && sink && runner && campaigns) {
    // Journeys (TRIGGERS + EVENTS) and scheduled action/orchestrated campaigns (helper A2).
    host.journeys = await startJourneys({
      nc,
      config,
      sink,
      runner,
      campaigns: registry.values(),
      logger,
    });
    stoppers.push(() => host.journeys?.stop());
    host.scheduler = startCampaignScheduler({
      campaigns,
      defs: registry.values(),
      clock: systemClock,
      state: await openBucket(nc, "state"),
      runner,
      logger,
    });
    stoppers.push(() => host.scheduler?.stop());
    stoppers.push(
      followCampaigns(registry, {
        scheduler: host.scheduler,
        journeys: host.journeys,
        onError: (err) => logger.error({ err }, "journeys kept their previous definitions"),
      }),
    );
    logger.info(
      { part: "journeys", campaigns: [...registry.campaigns.keys()], active: host.journeys.stats().active },
      "journeys and scheduler started",
    );
  }
  return host;
}
