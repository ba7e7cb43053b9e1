import { Counter, Histogram, Registry } from "prom-client";

/**
 * nudge's Prometheus metrics, on one registry served at `GET /metrics`. The API counts events in and
 * request latencies; `nudge run` hands the same object to the processors and sinks for the rest.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.triggersOut.inc({ kind: "cart_abandoned" });
 */
export interface ApiMetrics {
  registry: Registry;
  /** Events received, by `source` (http, nats) and `result` (accepted, rejected). */
  eventsIn: Counter<"source" | "result">;
  triggersOut: Counter<"kind">;
  emailsSent: Counter<"campaign">;
  skips: Counter<"reason">;
  httpDuration: Histogram<"method" | "route" | "status">;
}

export function createMetrics(registry = new Registry()): ApiMetrics {
  const registers = [registry];
  return {
    registry,
    eventsIn: new Counter({
      name: "nudge_events_in_total",
      help: "Events received, by source and result",
      labelNames: ["source", "result"],
      registers,
    }),
    triggersOut: new Counter({
      name: "nudge_triggers_out_total",
      help: "Triggers emitted, by kind",
      labelNames: ["kind"],
      registers,
    }),
    emailsSent: new Counter({
      name: "nudge_emails_sent_total",
      help: "Emails accepted by the SMTP server (or written to the outbox), by campaign or trigger kind",
      labelNames: ["campaign"],
      registers,
    }),
    skips: new Counter({
      name: "nudge_skips_total",
      help: "Sends skipped, by reason (unsubscribed, suppressed, frequency_cap, quiet_hours, duplicate, ...)",
      labelNames: ["reason"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "nudge_http_request_duration_seconds",
      help: "HTTP request latency, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
