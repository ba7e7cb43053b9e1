/**
 * One base error for every fault nudge raises, with a stable `code`.
 * The codes are listed here (ErrorCodes); api/errors.ts maps them to HTTP statuses.
 *
 * @example
 * throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", "Parser Error: syntax error at or near FROM", { cause: err });
 */
export const ErrorCodes = {
  NUDGE_ERR_CONFIG: "configuration is invalid",
  NUDGE_ERR_NATS_UNREACHABLE: "NATS server cannot be reached",
  NUDGE_ERR_NO_JETSTREAM: "NATS server has no JetStream",
  NUDGE_ERR_NATS_SERVER_MISSING: "nats-server is not installed and cannot be installed",
  NUDGE_ERR_LOAD_FILE: "entity file missing or unreadable",
  NUDGE_ERR_LOAD_SCHEMA: "entity file does not fit its table",
  NUDGE_ERR_SEGMENT_SQL: "segment SQL failed in DuckDB",
  NUDGE_ERR_SEGMENT_REFUSED: "segment SQL refused by the safety rules",
  NUDGE_ERR_SEGMENT_TIMEOUT: "segment SQL exceeded its time limit",
  NUDGE_ERR_SEGMENT_NOT_FOUND: "no such segment",
  NUDGE_ERR_SEGMENT_NAME: "segment name is invalid",
  NUDGE_ERR_STRATEGY: "unknown recommendation strategy",
  NUDGE_ERR_TEMPLATE: "template failed to compile or render",
  NUDGE_ERR_CAMPAIGN: "campaign definition is invalid",
  NUDGE_ERR_CAMPAIGN_NOT_FOUND: "no such campaign",
  NUDGE_ERR_SMTP: "SMTP transport failed",
  NUDGE_ERR_LEDGER: "send ledger (NATS KV) read or write failed",
  NUDGE_ERR_INTERNAL: "internal error",
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class NudgeError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "NudgeError";
    this.code = code;
    this.context = Object.freeze({ ...opts.context });
  }
}

export function isNudgeError(err: unknown, code?: ErrorCode): err is NudgeError {
  return err instanceof NudgeError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for logs and error bodies. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
