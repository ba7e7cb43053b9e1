/**
 * A real email sink process for the crash test: consumes TRIGGERS from NATS_URL, sends to SMTP_URL,
 * ledger in NATS KV, DuckDB at DUCKDB_PATH. Prints "ready" once consuming; SIGTERM stops it cleanly.
 * Run: node --import tsx test/helpers/email-sink-child.ts
 */
import { connectNats, loadConfig, openDb } from "../../ingest/index.ts";
import { createRenderer, startEmailSink } from "../../sinks/index.ts";

const config = loadConfig(process.env);
const nc = await connectNats(config.NATS_URL, "email-child");
const db = await openDb(config.DUCKDB_PATH);
const running = await startEmailSink({ nc, db, config, renderer: createRenderer() });
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await running.stop();
  db.close();
  await nc.close();
  process.exit(0);
});
