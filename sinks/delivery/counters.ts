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
