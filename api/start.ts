import type { NatsConnection } from "@nats-io/transport-node";
import type { FastifyInstance } from "fastify";
import type { Config, Db } from "../ingest/index.ts";
import { buildApp } from "./app.ts";
import type { AppDeps } from "./deps.ts";
import { entityUploader } from "./entity-upload.ts";
import { listen } from "./listen.ts";
import { type ApiMetrics, createMetrics } from "./metrics.ts";
import { defaultEmail, defaultRecommend, defaultSegments, noCampaigns } from "./services.ts";

export interface StartApiOptions {
  config: Readonly<Config>;
  nc: NatsConnection;
  db: Db;
  metrics?: ApiMetrics;
  now?: () => number;
  /** Any service to use instead of the default one (campaigns has no default yet: none listed). */
  services?: Partial<Pick<AppDeps, "segments" | "recommend" | "campaigns" | "email" | "entities">>;
}

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

/**
 * Builds the API with the real services (queries/ segments and recommendations, sinks/ unsubscribe)
 * over the given NATS connection and DuckDB, and listens on HTTP_HOST:HTTP_PORT. Used by `nudge serve`
 * and by `nudge run` for its `api` part.
 *
 * @example
 * const api = await startApiServer({ config, nc, db, services: { campaigns } });
 * logger.info(`API on ${api.url}`);
 */
export async function startApiServer(opts: StartApiOptions): Promise<RunningApi> {
  const { config, nc, db } = opts;
  const now = opts.now ?? Date.now;
  const s = opts.services ?? {};
  const app = await buildApp({
    config,
    nc,
    db,
    now,
    metrics: opts.metrics ?? createMetrics(),
    segments: s.segments ?? (await defaultSegments(db, config)),
    recommend: s.recommend ?? defaultRecommend(db, now),
    email: s.email ?? (await defaultEmail(nc, db, config)),
    campaigns: s.campaigns ?? noCampaigns,
    entities: s.entities ?? entityUploader(db),
  });
  const url = await listen(app, config);
  return { app, url, stop: () => app.close() };
}
