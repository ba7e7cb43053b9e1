import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppDeps } from "../deps.ts";
import { ErrorBody } from "../errors.ts";

const FORMATS: Record<string, "csv" | "ndjson"> = {
  "text/csv": "csv",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
};

/** The raw body types this route accepts; parsed as Buffers, handed to the loader as they are. */
export const ENTITY_CONTENT_TYPES = Object.keys(FORMATS);

/** `POST /v1/entities/:table`: load a CSV or NDJSON body into an entity table. */
export function entitiesRoutes(deps: AppDeps): FastifyPluginAsyncZod<{ bodyLimit: number }> {
  return async (app, opts) => {
    for (const type of ENTITY_CONTENT_TYPES) {
      app.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (_req, body, done) =>
        done(null, body),
      );
    }
    app.post(
      "/v1/entities/:table",
      {
        bodyLimit: opts.bodyLimit,
        schema: {
          tags: ["entities"],
          summary: "Load entity rows (CSV or NDJSON body)",
          description:
            "Content-Type `text/csv` (header row) or `application/x-ndjson` (one JSON object a line). " +
            "Rows are upserted by the table's key; a row that does not fit the table fails the load with 400.",
          params: z.strictObject({ table: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "a table name") }),
          response: {
            200: z.object({ table: z.string(), rows: z.number() }),
            400: ErrorBody,
            415: ErrorBody,
            501: ErrorBody,
          },
        },
      },
      async (req, reply) => {
        const format = FORMATS[(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()];
        if (!format || !Buffer.isBuffer(req.body)) {
          return reply
            .code(415)
            .send({ error: "unsupported media type", message: "send text/csv or application/x-ndjson" });
        }
        if (!deps.entities) {
          return reply
            .code(501)
            .send({ error: "not implemented", message: "use `nudge load <table> <file>`" });
        }
        return deps.entities.load(req.params.table, format, req.body);
      },
    );
  };
}
