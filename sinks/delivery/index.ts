/**
 * sinks/delivery: micro-batched, exactly-once-per-key email sending over nodemailer (SMTP or the
 * `.eml` outbox), with a send ledger in NATS KV, retries, suppression, consent, frequency cap,
 * quiet hours, a global rate and a DuckDB send log.
 *
 * @example
 * const { sink, stop } = await startEmailSink({ nc, db, config, renderer: createRenderer() });
 * await sendCampaignEmails({ sink }, [{ campaign: "spring", runId: "r1", profileId: "p1", template: "browse-reminder" }]);
 */
export * from "./ack-tracker.ts";
export * from "./batcher.ts";
export * from "./campaign-send.ts";
export * from "./clock.ts";
export * from "./compose.ts";
export * from "./counters.ts";
export * from "./decide.ts";
export * from "./dispatcher.ts";
export * from "./email-sink.ts";
export * from "./frequency-cap.ts";
export * from "./ledger.ts";
export * from "./mailer.ts";
export * from "./quiet-hours.ts";
export * from "./recommend-batch.ts";
export * from "./retry.ts";
export * from "./send-log-row.ts";
export * from "./send-log-writer.ts";
export * from "./send-request.ts";
export * from "./sink-types.ts";
export * from "./start-email-sink.ts";
export * from "./store.ts";
export * from "./token-bucket.ts";
export * from "./trigger-request.ts";
export * from "./unsubscribe-token.ts";
export * from "./worker-dispatcher.ts";
