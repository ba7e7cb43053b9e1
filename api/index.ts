/**
 * api/: the HTTP side of nudge (Fastify 5 + zod 4): events in, exact segment counts, recommendations,
 * campaign runs and API-triggered sends, unsubscribe, health, metrics, OpenAPI at /docs and the
 * campaign managers' page at /.
 *
 * @example
 * const app = await buildApp({ config, nc, db, segments, recommend, campaigns, email, metrics: createMetrics(), now: Date.now });
 * await listen(app, config);
 */
export * from "./app.ts";
export * from "./auth.ts";
export * from "./deps.ts";
export * from "./entity-upload.ts";
export * from "./errors.ts";
export * from "./idempotency.ts";
export * from "./listen.ts";
export * from "./metrics.ts";
export * from "./services.ts";
export * from "./start.ts";
