import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  eventSubject,
  MAX_EVENT_BYTES,
  NudgeError,
  type OutMsg,
  type PublishResult,
  ShopEvent,
} from "../../ingest/index.ts";
import type { AppDeps } from "../deps.ts";
import { ErrorBody, formatPath, type Issue } from "../errors.ts";

export const MAX_EVENTS_PER_REQUEST = 1_000;

const EventBody = z
  .record(z.string(), z.unknown())
  .describe("A shop event (DESIGN.md, Events): id, type, profileId, ts, and the fields of its type")
  .meta({
    examples: [
      {
        id: "e-1",
        type: "cart_add",
        profileId: "p1",
        ts: "2026-11-23T10:00:00Z",
        productId: "sku-1",
        quantity: 1,
      },
    ],
  });

const EventsBody = z.union([EventBody, z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_REQUEST)]);

export const EventResult = z.union([
  z.object({ index: z.number(), id: z.string(), accepted: z.literal(true), duplicate: z.boolean() }),
  z.object({
    index: z.number(),
    accepted: z.literal(false),
    reason: z.enum(["schema", "oversize", "publish"]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
]);
export type EventResult = z.infer<typeof EventResult>;

const EventsReply = z.object({
  accepted: z.number(),
  rejected: z.number(),
  results: z.array(EventResult),
});

const encoder = new TextEncoder();

/**
 * Validates one event of a request and encodes it once for NATS (`events.<type>.<p>`, `Nats-Msg-Id` = id);
 * a refusal is a value with every problem and its path.
 */
export function checkEvent(
  raw: unknown,
  index: number,
): { ok: true; event: ShopEvent; msg: OutMsg } | EventResult {
  const parsed = ShopEvent.safeParse(raw);
  if (!parsed.success) {
    const errors: Issue[] = parsed.error.issues.map((i) => ({
      path: formatPath(i.path),
      message: i.message,
    }));
    return { index, accepted: false, reason: "schema", errors };
  }
  const data = encoder.encode(JSON.stringify(parsed.data));
  if (data.byteLength > MAX_EVENT_BYTES) {
    const message = `event is ${data.byteLength} bytes, limit ${MAX_EVENT_BYTES}`;
    return { index, accepted: false, reason: "oversize", errors: [{ path: "", message }] };
  }
  return {
    ok: true,
    event: parsed.data,
    msg: { subject: eventSubject(parsed.data), data, msgId: parsed.data.id },
  };
}

/**
 * `POST /v1/events`: one event or an array of up to 1,000. Each is validated on its own; the valid ones
 * are published to `events.<type>.<p>` with `Nats-Msg-Id` = id and their PubAcks awaited.
 * 200 when at least one event was accepted (the body says which were not), 400 when none was.
 */
export function eventsRoutes(deps: AppDeps, publish: (msgs: OutMsg[]) => Promise<PublishResult[]>) {
  const plugin: FastifyPluginAsyncZod<{ bodyLimit: number }> = async (app, opts) => {
    app.post(
      "/v1/events",
      {
        bodyLimit: opts.bodyLimit,
        schema: {
          tags: ["events"],
          summary: "Publish shop events",
          description:
            "One event or an array of at most 1,000. Per-event results in request order. 200 when at least one " +
            "was accepted, 400 when none was. Repeated ids are accepted and flagged `duplicate` (NATS dedupe).",
          body: EventsBody,
          response: { 200: EventsReply, 400: z.union([EventsReply, ErrorBody]) },
        },
      },
      async (req, reply) => {
        const items = Array.isArray(req.body) ? req.body : [req.body];
        const results: EventResult[] = new Array(items.length);
        const valid: { index: number; event: ShopEvent; msg: OutMsg }[] = [];
        items.forEach((raw, index) => {
          const r = checkEvent(raw, index);
          if ("ok" in r) valid.push({ index, event: r.event, msg: r.msg });
          else results[index] = r;
        });
        if (valid.length > 0) {
          const acks = await publish(valid.map((v) => v.msg));
          const failed = acks.find((a) => !a.ok);
          if (failed && !acks.some((a) => a.ok)) {
            throw new NudgeError("NUDGE_ERR_NATS_UNREACHABLE", `events not published: ${failed.error}`);
          }
          valid.forEach(({ index, event }, i) => {
            const ack = acks[i];
            results[index] = ack?.ok
              ? { index, id: event.id, accepted: true, duplicate: ack.duplicate }
              : {
                  index,
                  accepted: false,
                  reason: "publish",
                  errors: [{ path: "", message: ack?.error ?? "not published" }],
                };
          });
        }
        const accepted = results.filter((r) => r.accepted).length;
        deps.metrics.httpEvents.inc({ result: "accepted" }, accepted);
        deps.metrics.httpEvents.inc({ result: "rejected" }, results.length - accepted);
        return reply
          .code(accepted > 0 ? 200 : 400)
          .send({ accepted, rejected: results.length - accepted, results });
      },
    );
  };
  return plugin;
}
