import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppDeps } from "../deps.ts";

const Query = z.strictObject({ token: z.string().min(1).max(1_024) });

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const INVALID = page(
  "Link not valid",
  "<p>This unsubscribe link is not valid. Please use the link in your latest email.</p>",
);

/**
 * Unsubscribe by signed token (no API key). `GET` only shows a confirmation page, so link scanners that
 * follow URLs unsubscribe nobody; `POST` with `List-Unsubscribe=One-Click` (RFC 8058) unsubscribes.
 */
export function unsubscribeRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/v1/unsubscribe",
      {
        schema: {
          tags: ["unsubscribe"],
          security: [],
          summary: "Confirmation page for an unsubscribe link",
          querystring: Query,
        },
      },
      async (req, reply) => {
        reply.type("text/html; charset=utf-8").header("cache-control", "no-store");
        if (!deps.email.verifyUnsubscribeToken(req.query.token)) return reply.code(400).send(INVALID);
        const action = `/v1/unsubscribe?token=${encodeURIComponent(req.query.token)}`;
        return page(
          "Unsubscribe",
          `<p>Stop receiving marketing emails from us?</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
        );
      },
    );

    app.post(
      "/v1/unsubscribe",
      {
        schema: {
          tags: ["unsubscribe"],
          security: [],
          summary: "One-click unsubscribe (RFC 8058)",
          description: "Form-encoded body `List-Unsubscribe=One-Click`, as mail clients send it. Idempotent.",
          querystring: Query,
          body: z.strictObject({ "List-Unsubscribe": z.literal("One-Click") }).optional(),
        },
      },
      async (req, reply) => {
        reply.type("text/html; charset=utf-8").header("cache-control", "no-store");
        const who = deps.email.verifyUnsubscribeToken(req.query.token);
        if (!who) return reply.code(400).send(INVALID);
        await deps.email.unsubscribe(who.profileId, { campaign: who.campaign, source: "one-click" });
        return page("You are unsubscribed", "<p>You will not receive marketing emails from us any more.</p>");
      },
    );
  };
}
