/**
 * ingest/: the event contract, configuration, errors, NATS provisioning, publishing, consuming,
 * the DuckDB history and entity loading. Upstream of every other folder.
 *
 * @example
 * const config = loadConfig();
 * const nc = await connectNats(config.NATS_URL);
 * await provision(nc);
 */

export * from "./arrow.ts";
export * from "./config.ts";
export * from "./consumer.ts";
export * from "./db.ts";
export * from "./decode.ts";
export * from "./dlq.ts";
export * from "./duration.ts";
export * from "./errors.ts";
export * from "./event.ts";
export * from "./generate.ts";
export * from "./generate-files.ts";
export * from "./generate-messages.ts";
export { Rng } from "./generate-rng.ts";
export * from "./generate-write.ts";
export * from "./history.ts";
export * from "./history-columns.ts";
export * from "./history-decode.ts";
export * from "./load.ts";
export * from "./nats.ts";
export * from "./nats-server.ts";
export * from "./publish-file.ts";
export * from "./publisher.ts";
export * from "./recent-ids.ts";
