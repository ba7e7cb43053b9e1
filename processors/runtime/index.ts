/**
 * processors/runtime/: the imperative shell around detection: NATS consume, trigger publish,
 * checkpoints in KV, partitioned scale-out.
 *
 * @example
 * const p = await startProcessors({ nc, config, logger });
 * await p.stop();
 */
export * from "./checkpoint.ts";
export * from "./host.ts";
export * from "./partition.ts";
export * from "./snapshot-codec.ts";
export * from "./stats.ts";
export * from "./trigger-publisher.ts";
