import type { Command } from "commander";
import { connectNats, loadConfig, provision, publishFile } from "../../ingest/index.ts";

export function register(program: Command): void {
  program
    .command("publish")
    .description("Publish events from an NDJSON file (one JSON event per line) to the EVENTS stream")
    .argument("<file>", "NDJSON file, e.g. ./data/shop/events.ndjson")
    .option("--nats <url>", "NATS server (default: NATS_URL)")
    .option("--batch <n>", "PubAcks awaited per window", "20000")
    .action(async (file: string, opts: { nats?: string; batch: string }) => {
      const config = loadConfig();
      const nc = await connectNats(opts.nats ?? config.NATS_URL, "nudge-publish");
      try {
        await provision(nc);
        const t0 = performance.now();
        const s = await publishFile(nc, file, { batch: Number(opts.batch) });
        const secs = (performance.now() - t0) / 1000;
        process.stdout.write(
          `${s.lines} lines: ${s.published} published, ${s.duplicates} duplicates dropped by the server, ` +
            `${s.failed} failed, in ${secs.toFixed(2)} s (${Math.round(s.lines / secs)} events/s)\n`,
        );
        if (s.failed > 0) process.exitCode = 1;
      } finally {
        await nc.close();
      }
    });
}
