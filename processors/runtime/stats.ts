import type { TriggerKind } from "../trigger.ts";

/** Counters of one processor instance, as `stats()` returns them and the logs print them. */
export interface ProcessorStats {
  name: string;
  eventsIn: number;
  /** Events that failed decoding, by reason (the history consumer dead-letters them, not us). */
  invalid: Record<string, number>;
  late: number;
  /** Repeated event ids the detector dropped. */
  duplicates: number;
  triggersOut: Record<TriggerKind, number>;
  /** Triggers found already on TRIGGERS after a restart and so not published again. */
  reconciled: number;
  /** PubAcks flagged duplicate by the stream: should stay 0; dedupe is only the last line of defence. */
  pubAckDuplicates: number;
  /** Late dead letters the DLQ stream deduplicated (republished after a restart; not reconciled). */
  dlqDuplicates: number;
  checkpoints: number;
  /** `snapshotMs`: snapshot + JSON + gzip (blocks the detecting thread); `ms`: publish + KV writes. */
  lastCheckpoint: { seq: number; bytes: number; chunks: number; snapshotMs: number; ms: number } | null;
  lastSeq: number;
  openCarts: number;
  openSessions: number;
  watermarkMs: number | null;
  /** Wall clock minus watermark: how far event-time processing trails real time. */
  watermarkLagMs: number | null;
}

export function emptyStats(name: string): ProcessorStats {
  return {
    name,
    eventsIn: 0,
    invalid: {},
    late: 0,
    duplicates: 0,
    triggersOut: { cart_abandoned: 0, browse_abandoned: 0 },
    reconciled: 0,
    pubAckDuplicates: 0,
    dlqDuplicates: 0,
    checkpoints: 0,
    lastCheckpoint: null,
    lastSeq: 0,
    openCarts: 0,
    openSessions: 0,
    watermarkMs: null,
    watermarkLagMs: null,
  };
}
