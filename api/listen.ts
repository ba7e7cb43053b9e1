import type { FastifyInstance } from "fastify";
import type { Config } from "../ingest/index.ts";
import { assertSafeListen } from "./auth.ts";

/**
 * Listens on HTTP_HOST:HTTP_PORT after refusing an unsafe setup (non-loopback host without API keys).
 * Returns the address actually bound (useful with port 0).
 *
 * @example const url = await listen(app, config); // "http://127.0.0.1:3000"
 */
export async function listen(
  app: FastifyInstance,
  config: Pick<Config, "HTTP_HOST" | "HTTP_PORT" | "API_KEYS">,
): Promise<string> {
  assertSafeListen(config);
  return app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
}
