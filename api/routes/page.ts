import { readFileSync } from "node:fs";
import type { FastifyPluginAsync } from "fastify";

const read = (name: string) => readFileSync(new URL(`../page/${name}`, import.meta.url), "utf8");

/** Security headers for the page: its own script only, previews in a sandboxed iframe (srcdoc). */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data: https: http:",
  "frame-src 'self' about:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** The campaign managers' page: `GET /` (HTML) and `GET /page/app.js` (a plain ES module, no build). */
export const pageRoutes: FastifyPluginAsync = async (app) => {
  const html = read("index.html");
  const js = read("app.js");
  app.get("/", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/html; charset=utf-8").header("content-security-policy", CSP).send(html),
  );
  app.get("/favicon.ico", { schema: { hide: true } }, async (_req, reply) => reply.code(204).send());
  app.get("/page/app.js", { schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").send(js),
  );
};
