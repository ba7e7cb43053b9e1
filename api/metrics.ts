import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ProcessorStats } from "../processors/index.ts";
import { type EmailCounters, emailCounters } from "../sinks/index.ts";

/** Where scrape-time figures come from: the processors' and the email sink's own counters. */
export interface MetricSources {
  /** Stats of the processors hosted in this process (undefined when they are not). */
  processors?: () => ProcessorStats | undefined;
  /** The email sink's counters; default: the process-wide `emailCounters` of sinks/. */
  email?: () => EmailCounters;
}

/**
 * nudge's Prometheus metrics on one registry, served at `GET /metrics`. The API counts what it sees
 * (events posted, request latencies); the rest is read from the processors and the email sink at
 * scrape time, so those parts need not know about Prometheus.
 *
 * @example
 * const metrics = createMetrics({ processors: () => host.processors?.stats() });
 */
export interface ApiMetrics {
  registry: Registry;
  /** Events received over HTTP, by `result` (accepted, rejected). */
  httpEvents: Counter<"result">;
  httpDuration: Histogram<"method" | "route" | "status">;
}

export function createMetrics(sources: MetricSources = {}, registry = new Registry()): ApiMetrics {
  const registers = [registry];
  const processors = () => sources.processors?.();
  const email = () => (sources.email ?? (() => emailCounters))();

  new Counter({
    name: "nudge_events_in_total",
    help: "Events consumed by the processors",
    registers,
    collect() {
      this.reset();
      this.inc(processors()?.eventsIn ?? 0);
    },
  });
  new Counter({
    name: "nudge_events_invalid_total",
    help: "Events refused by the processors, by reason (late, duplicate, schema, ...)",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      const s = processors();
      if (!s) return;
      for (const [reason, n] of Object.entries(s.invalid)) this.inc({ reason }, n);
      this.inc({ reason: "late" }, s.late);
      this.inc({ reason: "duplicate" }, s.duplicates);
    },
  });
  new Counter({
    name: "nudge_triggers_out_total",
    help: "Triggers emitted, by kind",
    labelNames: ["kind"],
    registers,
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(processors()?.triggersOut ?? {})) this.inc({ kind }, n);
    },
  });
  new Gauge({
    name: "nudge_open_carts",
    help: "Carts with a pending abandonment deadline",
    registers,
    collect() {
      this.set(processors()?.openCarts ?? 0);
    },
  });
  new Gauge({
    name: "nudge_watermark_lag_seconds",
    help: "Wall clock minus the event-time watermark",
    registers,
    collect() {
      this.set((processors()?.watermarkLagMs ?? 0) / 1_000);
    },
  });
  new Counter({
    name: "nudge_emails_sent_total",
    help: "Emails accepted by the SMTP server (or written to the outbox)",
    registers,
    collect() {
      this.reset();
      this.inc(email().sent);
    },
  });
  new Counter({
    name: "nudge_emails_total",
    help: "Email outcomes other than sent: failed, held, duplicate, resumed",
    labelNames: ["outcome"],
    registers,
    collect() {
      this.reset();
      const c = email();
      this.inc({ outcome: "failed" }, c.failed);
      this.inc({ outcome: "held" }, c.held);
      this.inc({ outcome: "duplicate" }, c.duplicates);
      this.inc({ outcome: "resumed" }, c.resumed);
    },
  });
  new Counter({
    name: "nudge_skips_total",
    help: "Sends skipped, by reason (unsubscribed, suppressed, frequency_cap, quiet_hours, ...)",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(email().skipped)) this.inc({ reason }, n);
    },
  });

  return {
    registry,
    httpEvents: new Counter({
      name: "nudge_http_events_total",
      help: "Events posted to POST /v1/events, by result",
      labelNames: ["result"],
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
