import type { SchedulerLike } from "rxjs";
import type { Clock } from "./clock.ts";
import type { ComposeOptions, Recommendation } from "./compose.ts";
import type { EmailCounters } from "./counters.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { Ledger } from "./ledger.ts";
import type { QuietHours } from "./quiet-hours.ts";
import type { DeliveryStore } from "./store.ts";

/** `recommend()` from queries/, bound to its database: one set-based query per call. */
export type RecommendFn = (
  requests: { profileId: string; context: string[] }[],
  opts: { strategy: string; limit: number; now: Date },
) => Promise<Recommendation[]>;

export interface SendResult {
  sendId: string;
  key: string;
  messageId: string;
  status: "sent" | "failed" | "skipped" | "held" | "duplicate";
  reason?: string;
  response?: string;
  error?: string;
}

/** What a send is counted as in run and journey stats: its status, or `skipped:<reason>`. */
export function outcomeKey(r: Pick<SendResult, "status" | "reason">): string {
  return r.status === "skipped" && r.reason ? `skipped:${r.reason}` : r.status;
}

export interface EmailSinkOptions extends ComposeOptions {
  batchSize: number;
  batchDelayMs: number;
  /** Batches processed at once (lookups of one overlap sends of another). */
  batchConcurrency: number;
  /** Emails in an SMTP transaction at once. */
  sendConcurrency: number;
  recommendationLimit: number;
  quietHours?: QuietHours;
  frequencyCap: number;
  frequencyWindowMs: number;
  /** Emails per second over the whole sink; Infinity for none. */
  sendRate: number;
  backoff: { baseMs: number; maxMs: number; maxAttempts: number };
}

export interface EmailSinkDeps {
  store: DeliveryStore;
  ledger: Ledger;
  dispatcher: Dispatcher;
  recommend?: RecommendFn;
  clock?: Clock;
  /** Drives the micro-batch delay (default asyncScheduler). */
  scheduler?: SchedulerLike;
  counters?: EmailCounters;
  logger?: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  options: EmailSinkOptions;
}
