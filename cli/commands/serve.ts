import type { Command } from "commander";
import pino from "pino";
import { startApiServer } from "../../api/index.ts";
import { connectNats, loadConfig, openDb, provision, redactConfig } from "../../ingest/index.ts";

/**
 * `nudge serve`: the HTTP API alone (events in, counts, recommendations, campaigns, unsubscribe,
 * health, metrics, /docs, the managers' page). `nudge run` hosts the same API beside the other parts.
 */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve the HTTP API only (on HTTP_HOST:HTTP_PORT, docs at /docs, managers' page at /). " +
        "It opens DUCKDB_PATH itself: do not run it beside `nudge run` on the same file (that hosts the API too).",
    )
    .option("--host <host>", "listen address (default: HTTP_HOST)")
    .option("--port <port>", "listen port (default: HTTP_PORT)")
    .option("--db <path>", "DuckDB file (default: DUCKDB_PATH)")
    .action(async (o: { host?: string; port?: string; db?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(o.host && { HTTP_HOST: o.host }),
        ...(o.port && { HTTP_PORT: o.port }),
        ...(o.db && { DUCKDB_PATH: o.db }),
      });
      const logger = pino({ level: config.LOG_LEVEL, base: { app: "nudge" } });
      const nc = await connectNats(config.NATS_URL);
      await provision(nc);
      const db = await openDb(config.DUCKDB_PATH);
      const api = await startApiServer({ config, nc, db });
      logger.info(
        { url: api.url, docs: `${api.url}/docs`, config: redactConfig(config) },
        "nudge API listening",
      );
      if (config.API_KEYS.length === 0) {
        logger.warn("API_KEYS is empty: /v1 is open to anyone who can reach this loopback address");
      }
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      logger.info("stopping");
      await api.stop();
      await nc.drain().catch(() => {});
      db.close();
    });
}
