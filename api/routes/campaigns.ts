import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { NudgeError } from "../../ingest/index.ts";
import { Campaign } from "../../sinks/index.ts";
import type { AppDeps } from "../deps.ts";
import { ErrorBody } from "../errors.ts";
import type { IdempotencyStore } from "../idempotency.ts";
import { SegmentParams } from "./segments.ts";

const CampaignName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "letters, digits, _ and -, at most 64");
const NameParams = z.strictObject({ name: CampaignName });

const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

const Summary = z.looseObject({ name: z.string(), kind: z.string(), description: z.string().optional() });
const TriggerReply = z.looseObject({ sendId: z.string(), status: z.string(), reason: z.string().optional() });
const Run = z.looseObject({
  id: z.string(),
  campaign: z.string(),
  dryRun: z.boolean(),
  status: z.string(),
  steps: z.array(z.looseObject({ name: z.string(), kind: z.string().optional(), count: z.number() })),
});
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody };
/** A definition as written: what PUT takes and GET gives back (checked by `Campaign` on the way in). */
const Definition = z.looseObject({ name: z.string(), kind: z.string() });

/** Campaigns: definitions (list, get, put, delete), API-triggered sends (with Idempotency-Key), runs, previews. */
export function campaignsRoutes(
  deps: AppDeps,
  idempotency: () => Promise<IdempotencyStore>,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/v1/campaigns",
      { schema: { tags: ["campaigns"], summary: "List campaigns", response: { 200: z.array(Summary) } } },
      async () => deps.campaigns.list(),
    );

    app.get(
      "/v1/campaigns/:name",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Get a campaign's definition, as written",
          params: NameParams,
          response: { 200: Definition, 404: ErrorBody },
        },
      },
      async (req) => Definition.parse((await deps.campaigns.definition(req.params.name)).definition),
    );

    // The body as sent: zod fills in defaults and turns `wait: 24h` into milliseconds, but the file keeps
    // what the manager wrote (so GET gives back what PUT took).
    const sent = new WeakMap<FastifyRequest, unknown>();
    app.put(
      "/v1/campaigns/:name",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Create or replace a campaign",
          description:
            "The body is a campaign definition, as in a CAMPAIGNS_DIR file. `name` may be left out (the URL's " +
            "name is used); when given it must equal the URL's (a PUT never renames). Checked by the same " +
            "schema as the files (400 with the path of each problem), then its cron schedule and journey " +
            "conditions (422), then written to CAMPAIGNS_DIR atomically (a restart sees it) and in effect at " +
            "once: schedules re-armed, new journey entries follow the new steps. 201 when created, 200 when replaced.",
          params: NameParams,
          body: Campaign,
          response: { 200: Definition, 201: Definition, ...errors },
        },
        preValidation: async (req) => {
          const body: unknown = req.body;
          if (isRecord(body)) {
            body.name ??= req.params.name;
            sent.set(req, structuredClone(body));
          }
        },
      },
      async (req, reply) => {
        if (req.body.name !== req.params.name) {
          return reply.code(400).send({
            error: "invalid request",
            issues: [{ path: "body.name", message: `must be ${req.params.name}, the name in the URL` }],
          });
        }
        const r = await deps.campaigns.put(req.params.name, sent.get(req) ?? req.body);
        return reply.code(r.created ? 201 : 200).send(Definition.parse(r.definition));
      },
    );

    app.delete(
      "/v1/campaigns/:name",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Delete a campaign",
          description:
            "Removes its file. Runs already started finish; no new run, fire or journey entry starts. " +
            "Profiles inside a deleted journey pause where they are (they go on if it comes back).",
          params: NameParams,
          response: { 204: z.null().describe("deleted"), 404: ErrorBody },
        },
      },
      async (req, reply) => {
        if (!(await deps.campaigns.delete(req.params.name))) {
          throw new NudgeError("NUDGE_ERR_CAMPAIGN_NOT_FOUND", `no campaign named ${req.params.name}`);
        }
        return reply.code(204).send(null);
      },
    );

    app.post(
      "/v1/campaigns/:name/trigger",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Send an API-triggered (transactional) campaign to one profile now",
          description:
            "With an `Idempotency-Key` header the first answer is stored: the same key and body replay it " +
            "(and nothing is sent again), the same key with another body is refused (422), and a key whose " +
            "first request is still running answers 409.",
          params: NameParams,
          headers: z.looseObject({ "idempotency-key": IdempotencyKey.optional() }),
          body: z.strictObject({
            profileId: z.string().min(1).max(128),
            data: z.record(z.string(), z.unknown()).default({}),
          }),
          response: { 200: TriggerReply, ...errors },
        },
      },
      async (req, reply) => {
        const { name } = req.params;
        const { profileId, data } = req.body;
        const key = req.headers["idempotency-key"];
        if (key === undefined) return deps.campaigns.trigger(name, profileId, data);
        const store = await idempotency();
        const scope = `trigger:${name}`;
        const begun = await store.begin(scope, key, req.body);
        if (begun.kind === "mismatch") {
          return reply.code(422).send({
            error: "unprocessable",
            message: "this Idempotency-Key was already used with a different request body",
          });
        }
        if (begun.kind === "in_progress") {
          return reply
            .code(409)
            .send({ error: "conflict", message: "a request with this Idempotency-Key is in progress" });
        }
        if (begun.kind === "replay") {
          reply.header("idempotent-replayed", "true");
          return reply.code(begun.status).send(TriggerReply.parse(begun.body));
        }
        try {
          const result = await deps.campaigns.trigger(name, profileId, data, key);
          await store.complete(scope, key, req.body, 200, result);
          return result;
        } catch (err) {
          await store.abandon(scope, key).catch(() => {});
          throw err;
        }
      },
    );

    app.post(
      "/v1/campaigns/:name/runs",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Start a run of an action or orchestrated campaign",
          description: "`dryRun: true` computes the exact count at every step and branch and sends nothing.",
          params: NameParams,
          body: z.strictObject({ dryRun: z.boolean().default(false), params: SegmentParams.default({}) }),
          response: { 200: Run, ...errors },
        },
      },
      async (req) => deps.campaigns.startRun(req.params.name, req.body),
    );

    app.get(
      "/v1/campaigns/:name/runs/:id",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Progress and per-step counts of a run",
          params: z.strictObject({ name: CampaignName, id: z.string().min(1).max(128) }),
          response: { 200: Run, 404: ErrorBody },
        },
      },
      async (req) => {
        const run = await deps.campaigns.getRun(req.params.name, req.params.id);
        if (!run)
          throw new NudgeError(
            "NUDGE_ERR_CAMPAIGN_NOT_FOUND",
            `no run ${req.params.id} of ${req.params.name}`,
          );
        return run;
      },
    );

    app.get(
      "/v1/campaigns/:name/preview",
      {
        schema: {
          tags: ["campaigns"],
          summary: "Render a campaign's email for one profile, without sending",
          params: NameParams,
          querystring: z.strictObject({ profileId: z.string().min(1).max(128) }),
          response: { 200: z.object({ subject: z.string(), html: z.string(), text: z.string() }), ...errors },
        },
      },
      async (req) => deps.campaigns.preview(req.params.name, req.query.profileId),
    );
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
