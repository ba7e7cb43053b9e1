/**
 * What the email sink did, for `/metrics`: sends by outcome and every skip by its reason.
 *
 * @example emailCounters.skipped.unsubscribed // 3
 */
export interface EmailCounters {
  sent: number;
  failed: number;
  held: number;
  duplicates: number;
  retries: number;
  resumed: number;
  skipped: Record<string, number>;
}

export function newEmailCounters(): EmailCounters {
  return { sent: 0, failed: 0, held: 0, duplicates: 0, retries: 0, resumed: 0, skipped: {} };
}

/** The process-wide counters (every sink in the process adds to them). */
export const emailCounters: EmailCounters = newEmailCounters();

export function countSkip(counters: EmailCounters, reason: string): void {
  counters.skipped[reason] = (counters.skipped[reason] ?? 0) + 1;
}

/** Prometheus text lines for the counters. */
export function emailMetricsText(counters: EmailCounters = emailCounters): string {
  const lines = [
    "# TYPE nudge_emails_total counter",
    `nudge_emails_total{outcome="sent"} ${counters.sent}`,
    `nudge_emails_total{outcome="failed"} ${counters.failed}`,
    `nudge_emails_total{outcome="held"} ${counters.held}`,
    `nudge_emails_total{outcome="duplicate"} ${counters.duplicates}`,
    `nudge_emails_total{outcome="resumed"} ${counters.resumed}`,
    `nudge_email_retries_total ${counters.retries}`,
    "# TYPE nudge_emails_skipped_total counter",
    ...Object.entries(counters.skipped).map(([r, n]) => `nudge_emails_skipped_total{reason="${r}"} ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}
