import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { messageOf } from "../../ingest/index.ts";
import type { AppDeps } from "../deps.ts";

const Check = z.object({ ok: z.boolean(), detail: z.string().optional(), ms: z.number() });
const Health = z.object({ status: z.enum(["ok", "unavailable"]), checks: z.record(z.string(), Check) });
type Check = z.infer<typeof Check>;

const CHECK_TIMEOUT_MS = 2_000;

/** Runs one check with a time limit; never throws. */
async function check(now: () => number, fn: () => Promise<string | undefined>): Promise<Check> {
  const start = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    const detail = await Promise.race([fn(), timeout]);
    return { ok: true, detail, ms: now() - start };
  } catch (err) {
    return { ok: false, detail: messageOf(err), ms: now() - start };
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /healthz` (NATS, DuckDB, SMTP) and `GET /metrics` (Prometheus text). Neither needs an API key. */
export function opsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/healthz",
      {
        schema: {
          tags: ["ops"],
          security: [],
          summary: "Health of NATS, DuckDB and SMTP",
          description: "200 when every check passes, 503 otherwise; each check says what it saw.",
          response: { 200: Health, 503: Health },
        },
      },
      async (_req, reply) => {
        const [nats, duckdb, smtp] = await Promise.all([
          check(deps.now, async () => {
            if (deps.nc.isClosed()) throw new Error("connection closed");
            return `rtt ${await deps.nc.rtt()} ms to ${deps.nc.getServer()}`;
          }),
          check(deps.now, async () => {
            // A connection of its own: the shared one may be inside someone else's transaction.
            const conn = await deps.db.instance.connect();
            try {
              await conn.run("SELECT 1");
            } finally {
              conn.closeSync();
            }
            return undefined;
          }),
          check(deps.now, async () => {
            if (!deps.email.checkSmtp) return "no SMTP_URL: emails go to the outbox folder";
            const r = await deps.email.checkSmtp();
            if (!r.ok) throw new Error(r.detail ?? "SMTP check failed");
            return r.detail;
          }),
        ]);
        const checks = { nats, duckdb, smtp };
        const ok = Object.values(checks).every((c) => c.ok);
        return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "unavailable", checks });
      },
    );

    app.get(
      "/metrics",
      { schema: { tags: ["ops"], security: [], summary: "Prometheus metrics (text exposition format)" } },
      async (_req, reply) => {
        const text = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(text);
      },
    );
  };
}
