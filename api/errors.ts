import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import { type ErrorCode, isNudgeError } from "../ingest/index.ts";

/** One problem in a request: where (`body.items.0.price`) and what. */
export interface Issue {
  path: string;
  message: string;
}

/** The body of every error response. Never carries a stack trace. */
export const ErrorBody = z.object({
  error: z.string(),
  message: z.string().optional(),
  code: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * HTTP status for each NudgeError code (codes listed in ingest/errors.ts). A code missing here is a
 * server fault (500, with a generic message).
 */
export const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  NUDGE_ERR_SEGMENT_SQL: 400,
  NUDGE_ERR_SEGMENT_REFUSED: 400,
  NUDGE_ERR_SEGMENT_TIMEOUT: 422,
  NUDGE_ERR_SEGMENT_NOT_FOUND: 404,
  NUDGE_ERR_SEGMENT_NAME: 400,
  NUDGE_ERR_CAMPAIGN_NOT_FOUND: 404,
  NUDGE_ERR_CAMPAIGN: 422,
  NUDGE_ERR_STRATEGY: 400,
  NUDGE_ERR_TEMPLATE: 422,
  NUDGE_ERR_LOAD_FILE: 400,
  NUDGE_ERR_LOAD_SCHEMA: 400,
  NUDGE_ERR_NATS_UNREACHABLE: 503,
  NUDGE_ERR_NO_JETSTREAM: 503,
  NUDGE_ERR_SMTP: 502,
};

/** Joins a path the way users write it: `body.items.0.price`. */
export function formatPath(parts: readonly PropertyKey[]): string {
  return parts.map(String).join(".");
}

/** The zod validation error of a request as issues with full paths (unknown keys name the key itself). */
function validationIssues(err: FastifyError & { validation: unknown[] }): Issue[] {
  const context = err.validationContext ?? "body";
  const issues: Issue[] = [];
  for (const v of err.validation as Array<{
    instancePath: string;
    message?: string;
    params?: { keys?: unknown };
  }>) {
    const base = [context, ...v.instancePath.split("/").filter(Boolean)];
    const keys = Array.isArray(v.params?.keys) ? v.params.keys.map(String) : [];
    if (keys.length > 0) {
      for (const k of keys) issues.push({ path: formatPath([...base, k]), message: "unknown field" });
    } else {
      issues.push({ path: formatPath(base), message: v.message ?? "invalid" });
    }
  }
  return issues;
}

/** Maps any thrown value to a status and a safe body. Pure: used by the error handler and by tests. */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (isNudgeError(err)) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    if (status >= 500 && status !== 502 && status !== 503) {
      return { status, body: { error: "internal error", code: err.code } };
    }
    return { status, body: { error: errorName(status), message: err.message, code: err.code } };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    return { status: 400, body: { error: "invalid request", issues: validationIssues(err) } };
  }
  const e = err as Partial<FastifyError> | undefined;
  const status = typeof e?.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: { error: errorName(status), message: e?.message, code: e?.code } };
  }
  return { status: 500, body: { error: "internal error" } };
}

function errorName(status: number): string {
  const names: Record<number, string> = {
    400: "bad request",
    401: "unauthorized",
    404: "not found",
    408: "request timeout",
    409: "conflict",
    413: "payload too large",
    415: "unsupported media type",
    422: "unprocessable",
    429: "too many requests",
    502: "bad gateway",
    503: "unavailable",
  };
  return names[status] ?? "error";
}

/** The app's one error handler: logs faults, answers with `toHttpError`. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const { status, body } = toHttpError(err);
  if (status >= 500) req.log.error({ err }, "request failed");
  return reply.code(status).send(body);
}
