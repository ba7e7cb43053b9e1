import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { NudgeError } from "../../ingest/index.ts";
import type { AppDeps } from "../deps.ts";
import { ErrorBody } from "../errors.ts";

/** Segment names are file names too: keep them to a safe alphabet. */
export const SegmentName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "letters, digits, _ and -, at most 64");

/** Named parameters bound into segment SQL (`$city`). Values only: never spliced into the text. */
export const SegmentParams = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a parameter name"),
  z.union([
    z.string().max(10_000),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(z.string().max(10_000)).max(10_000),
    z.array(z.number()).max(10_000),
  ]),
);

const Sql = z.string().min(1).max(100_000);

const CountBody = z
  .strictObject({
    sql: Sql.optional().describe("inline segment SQL"),
    name: SegmentName.optional().describe("a stored segment"),
    params: SegmentParams.default({}),
  })
  .refine((b) => (b.sql === undefined) !== (b.name === undefined), {
    message: "give either sql or name",
    path: ["sql"],
  });

const CountReply = z.object({
  count: z.number(),
  perEntity: z.record(z.string(), z.number()).optional(),
  elapsedMs: z.number(),
});

const Segment = z.object({
  name: z.string(),
  sql: z.string(),
  description: z.string().optional(),
  source: z.string().optional(),
});

const NameParams = z.strictObject({ name: SegmentName });
const errors = { 400: ErrorBody, 404: ErrorBody, 422: ErrorBody };

/** Segments: exact counts, and the stored segments (GET/PUT/DELETE by name). */
export function segmentsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/v1/segments/count",
      {
        schema: {
          tags: ["segments"],
          summary: "Exact count of a segment",
          description:
            "Inline `{sql, params}` or a stored `{name, params}`. The SQL is one read-only SELECT returning " +
            "`profile_id` (and optional entity keys such as `booking_id`), run with named parameters on a " +
            "locked-down DuckDB connection. SQL errors answer 400 with DuckDB's message; time limit: 422.",
          body: CountBody,
          response: { 200: CountReply, ...errors },
        },
      },
      async (req) => {
        const { sql, name, params } = req.body;
        return deps.segments.count(sql !== undefined ? { sql } : { name: name ?? "" }, params);
      },
    );

    app.get(
      "/v1/segments",
      { schema: { tags: ["segments"], summary: "List segments", response: { 200: z.array(Segment) } } },
      async () => deps.segments.list(),
    );

    app.get(
      "/v1/segments/:name",
      {
        schema: {
          tags: ["segments"],
          summary: "Get a segment",
          params: NameParams,
          response: { 200: Segment, 404: ErrorBody },
        },
      },
      async (req) => {
        const segment = await deps.segments.get(req.params.name);
        if (!segment)
          throw new NudgeError("NUDGE_ERR_SEGMENT_NOT_FOUND", `no segment named ${req.params.name}`);
        return segment;
      },
    );

    app.put(
      "/v1/segments/:name",
      {
        schema: {
          tags: ["segments"],
          summary: "Create or replace a segment",
          description: "The SQL is checked (it must compile under the safety rules) before it is stored.",
          params: NameParams,
          body: z.strictObject({ sql: Sql, description: z.string().max(1_000).optional() }),
          response: { 200: Segment, ...errors },
        },
      },
      async (req) => deps.segments.put(req.params.name, req.body),
    );

    app.delete(
      "/v1/segments/:name",
      {
        schema: {
          tags: ["segments"],
          summary: "Delete a segment",
          params: NameParams,
          response: { 204: z.null().describe("deleted"), 404: ErrorBody },
        },
      },
      async (req, reply) => {
        if (!(await deps.segments.delete(req.params.name))) {
          throw new NudgeError("NUDGE_ERR_SEGMENT_NOT_FOUND", `no segment named ${req.params.name}`);
        }
        return reply.code(204).send(null);
      },
    );
  };
}
