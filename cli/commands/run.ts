import type { Command } from "commander";
import { loadConfig, NudgeError, redactConfig } from "../../ingest/index.ts";
import { PARTS, type Part, startHost } from "../host.ts";

export function register(program: Command): void {
  program
    .command("run")
    .description(
      `Run nudge against NATS_URL: ${PARTS.join(", ")} in one process (or some of them with --only)`,
    )
    .option("--only <parts>", `comma-separated subset of: ${PARTS.join(",")}`)
    .action(async (o: { only?: string }) => {
      const config = loadConfig();
      const parts = o.only ? o.only.split(",").map((p) => p.trim()) : [...PARTS];
      const unknown = parts.filter((p) => !PARTS.some((known) => known === p));
      if (unknown.length > 0) {
        throw new NudgeError(
          "NUDGE_ERR_CONFIG",
          `unknown part(s) ${unknown.join(", ")}; use ${PARTS.join(",")}`,
        );
      }
      const chosen: Part[] = PARTS.filter((p) => parts.includes(p));
      const host = await startHost(config, { parts: chosen });
      host.logger.info({ config: redactConfig(config), parts }, "nudge running");
      const stats = setInterval(() => host.logger.info({ stats: host.stats() }, "stats"), 10_000);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      clearInterval(stats);
      host.logger.info("stopping");
      await host.stop();
    });
}
