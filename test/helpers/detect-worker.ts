/**
 * One processors host in its own process, for the crash test: `tsx test/helpers/detect-worker.ts`.
 * Env: NATS_URL, CHECKPOINT_EVERY, CHUNK_BYTES, PARTITION ("i/n"), plus the usual nudge variables.
 * Logs pino JSON (debug: one line per checkpoint) to stdout. SIGTERM stops cleanly.
 */
import { pino } from "pino";
import { connectNats, loadConfig } from "../../ingest/index.ts";
import { startProcessors } from "../../processors/index.ts";

const config = loadConfig(process.env);
const nc = await connectNats(config.NATS_URL, "detect-worker");
const [index, count] = (process.env.PARTITION ?? "").split("/").map(Number);
const p = await startProcessors({
  nc,
  config,
  logger: pino({ level: "debug" }),
  ...(count ? { partition: { index: index ?? 0, count } } : {}),
  checkpoint: {
    everyEvents: Number(process.env.CHECKPOINT_EVERY ?? 20_000),
    ...(process.env.CHUNK_BYTES ? { chunkBytes: Number(process.env.CHUNK_BYTES) } : {}),
  },
  statsEveryMs: 250,
});
process.on("SIGTERM", () => {
  p.stop().then(
    () => nc.close().then(() => process.exit(0)),
    () => process.exit(1),
  );
});
p.done.catch(() => process.exit(1));
