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
    .option("--partition <i/n>", "own profile partition i of n (server subject mapping partition(n, …))")
    .action(async (o: { only?: string; partition?: string }) => {
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
      const m = o.partition ? /^(\d+)\/(\d+)$/.exec(o.partition) : null;
      if (o.partition && (!m || Number(m[1]) >= Number(m[2]))) {
        throw new NudgeError(
          "NUDGE_ERR_CONFIG",
          `--partition ${o.partition}: use i/n with 0 ≤ i < n, e.g. 0/4`,
        );
      }
      const partition = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
      const host = await startHost(config, {
        parts: chosen,
        partition,
        onFatal: () => {
          process.exitCode = 1; // a supervisor restarts us; we resume from the checkpoints
          process.kill(process.pid, "SIGTERM");
        },
      });
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
