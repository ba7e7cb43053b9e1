import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Config, NudgeError } from "../ingest/index.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Paths under /v1 that authenticate by other means (the unsubscribe link carries a signed token). */
const PUBLIC_V1 = ["/v1/unsubscribe"];

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Checks `Authorization: Bearer <key>` against the configured keys in constant time (keys are hashed
 * first so their lengths do not leak either). Returns the key's index, or -1.
 */
export function matchApiKey(header: string | undefined, keys: readonly Buffer[]): number {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const given = digest(m?.[1] ?? "");
  let found = -1;
  // Compare against every key, whatever matched, so timing does not tell which one did.
  keys.forEach((k, i) => {
    if (timingSafeEqual(given, k) && m) found = i;
  });
  return found;
}

/** True when the request needs an API key: every /v1 route except unsubscribe. */
export function requiresKey(url: string): boolean {
  const path = url.split("?", 1)[0] ?? "";
  if (!(path === "/v1" || path.startsWith("/v1/"))) return false;
  return !PUBLIC_V1.some((p) => path === p || path.startsWith(`${p}/`));
}

function decodePath(url: string): string {
  const path = url.split("?", 1)[0] ?? "";
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

declare module "fastify" {
  interface FastifyRequest {
    /** `key:<index>` of the API key used, or undefined (open loopback mode, public routes). */
    apiKeyId?: string | undefined;
  }
}

/**
 * An onRequest hook enforcing API keys. With no API_KEYS (allowed on loopback only) everything is open.
 *
 * @example app.addHook("onRequest", apiKeyHook(config.API_KEYS));
 */
export function apiKeyHook(apiKeys: readonly string[]) {
  const keys = apiKeys.map(digest);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // Decide on the route that matched, not the raw URL: the router decodes `%76` to `v`, so a raw-URL
    // check would let `/%761/campaigns` through. Unmatched URLs are checked decoded (they end in 404).
    if (keys.length === 0 || !requiresKey(req.routeOptions.url ?? decodePath(req.url))) return;
    const index = matchApiKey(req.headers.authorization, keys);
    if (index < 0) {
      reply.header("www-authenticate", 'Bearer realm="nudge"');
      return reply
        .code(401)
        .send({ error: "unauthorized", message: "missing or wrong API key (Authorization: Bearer <key>)" });
    }
    req.apiKeyId = `key:${index}`;
  };
}

/**
 * Refuses to listen on a non-loopback host without API keys (config refuses it too; this guards
 * callers that build a config by hand).
 */
export function assertSafeListen(config: Pick<Config, "HTTP_HOST" | "API_KEYS">): void {
  if (!LOOPBACK.has(config.HTTP_HOST) && config.API_KEYS.length === 0) {
    throw new NudgeError(
      "NUDGE_ERR_CONFIG",
      `refusing to listen on ${config.HTTP_HOST} without API_KEYS: set API_KEYS or use HTTP_HOST=127.0.0.1`,
    );
  }
}
