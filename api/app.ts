import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { openBucket, publishMany } from "../ingest/index.ts";
import { apiKeyHook } from "./auth.ts";
import type { ApiLimits, AppDeps } from "./deps.ts";
import { errorHandler } from "./errors.ts";
import { type IdempotencyStore, idempotencyStore } from "./idempotency.ts";
import { campaignsRoutes } from "./routes/campaigns.ts";
import { entitiesRoutes } from "./routes/entities.ts";
import { eventsRoutes } from "./routes/events.ts";
import { opsRoutes } from "./routes/ops.ts";
import { pageRoutes } from "./routes/page.ts";
import { profilesRoutes } from "./routes/profiles.ts";
import { segmentsRoutes } from "./routes/segments.ts";
import { unsubscribeRoutes } from "./routes/unsubscribe.ts";

export const DEFAULT_LIMITS: ApiLimits = {
  bodyLimit: 256 * 1024,
  eventsBodyLimit: 4 * 1024 * 1024,
  entitiesBodyLimit: 256 * 1024 * 1024,
  rateMax: 6_000,
  rateWindowMs: 60_000,
};

/**
 * Builds the HTTP API (Fastify 5, zod schemas, OpenAPI at /docs) without listening, so tests can
 * `inject()` and `nudge serve` / `nudge run` can `listen()`.
 *
 * @example
 * const app = await buildApp({ config, nc, db, segments, recommend, campaigns, email, metrics: createMetrics(), now: Date.now });
 * await listen(app, config);
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = Fastify({
    logger: { level: deps.logLevel ?? deps.config.LOG_LEVEL },
    bodyLimit: limits.bodyLimit,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: "not found", message: `no route ${req.method} ${req.url.split("?")[0]}` }),
  );

  // RFC 8058 one-click unsubscribe posts a form body.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  app.addHook("onRequest", apiKeyHook(deps.config.API_KEYS));
  app.addHook("onResponse", async (req, reply) => {
    deps.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
      reply.elapsedTime / 1_000,
    );
  });

  await app.register(rateLimit, {
    global: true,
    max: limits.rateMax,
    timeWindow: limits.rateWindowMs,
    keyGenerator: (req) => req.apiKeyId ?? `ip:${req.ip}`,
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "nudge API",
        description:
          "Events in, exact segment counts, recommendations, campaign runs, API-triggered sends. " +
          "Every /v1 route except /v1/unsubscribe needs `Authorization: Bearer <API key>` when API_KEYS is set.",
        version: "0.1.0",
      },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  const publish = deps.publish ?? ((msgs) => publishMany(deps.nc, msgs));
  let store: Promise<IdempotencyStore> | undefined;
  const idempotency = () => {
    store ??= openBucket(deps.nc, "idempotency").then((kv) => idempotencyStore(kv, deps.now));
    store.catch(() => {
      store = undefined;
    });
    return store;
  };

  await app.register(eventsRoutes(deps, publish), { bodyLimit: limits.eventsBodyLimit });
  await app.register(segmentsRoutes(deps));
  await app.register(profilesRoutes(deps));
  await app.register(campaignsRoutes(deps, idempotency));
  await app.register(unsubscribeRoutes(deps));
  await app.register(entitiesRoutes(deps), { bodyLimit: limits.entitiesBodyLimit });
  await app.register(opsRoutes(deps));
  await app.register(pageRoutes);
  return app;
}
