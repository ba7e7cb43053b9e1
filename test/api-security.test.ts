import { createHash } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertSafeListen, matchApiKey, requiresKey, toHttpError } from "../api/index.ts";
import { NudgeError } from "../ingest/index.ts";
import { startApi, type TestApi } from "./api-fakes.ts";

const KEY = "k-0123456789abcdef";
const OTHER = "k-other-key-0000";
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

let api: TestApi;
beforeAll(async () => {
  api = await startApi({ API_KEYS: `${KEY},${OTHER}` });
});
afterAll(() => api[Symbol.asyncDispose]());

/** Every /v1 route with a sample request that would succeed with a key. */
const V1_ROUTES = [
  {
    method: "POST",
    url: "/v1/events",
    payload: { id: "s1", type: "product_view", profileId: "p", ts: "2026-11-23T10:00:00Z", productId: "x" },
  },
  { method: "POST", url: "/v1/segments/count", payload: { sql: "SELECT 1 AS profile_id" } },
  { method: "GET", url: "/v1/segments" },
  { method: "GET", url: "/v1/segments/x" },
  { method: "PUT", url: "/v1/segments/x", payload: { sql: "SELECT 1 AS profile_id" } },
  { method: "DELETE", url: "/v1/segments/x" },
  { method: "GET", url: "/v1/profiles/p1/recommendations" },
  { method: "GET", url: "/v1/campaigns" },
  { method: "GET", url: "/v1/campaigns/welcome" },
  { method: "PUT", url: "/v1/campaigns/welcome", payload: { kind: "api", template: "order-confirmation" } },
  { method: "DELETE", url: "/v1/campaigns/welcome" },
  { method: "POST", url: "/v1/campaigns/welcome/trigger", payload: { profileId: "p1" } },
  { method: "POST", url: "/v1/campaigns/winback/runs", payload: { dryRun: true } },
  { method: "GET", url: "/v1/campaigns/winback/runs/r1" },
  { method: "GET", url: "/v1/campaigns/welcome/preview?profileId=p1" },
  {
    method: "POST",
    url: "/v1/entities/products",
    payload: "product_id\nx\n",
    headers: { "content-type": "text/csv" },
  },
] as const;

describe("API keys", () => {
  it("every /v1 route answers 401 without a key and with a wrong one, and runs nothing", async () => {
    for (const r of V1_ROUTES) {
      const headers = "headers" in r ? r.headers : {};
      const none = await api.app.inject({ ...r, headers });
      expect(none.statusCode, `${r.method} ${r.url}`).toBe(401);
      expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
      const wrong = await api.app.inject({ ...r, headers: { ...headers, ...auth("k-0123456789abcdeX") } });
      expect(wrong.statusCode, `${r.method} ${r.url}`).toBe(401);
      const basic = await api.app.inject({ ...r, headers: { ...headers, authorization: `Basic ${KEY}` } });
      expect(basic.statusCode).toBe(401);
    }
    expect(api.campaigns.sends).toEqual([]);
  });

  it("encoded or odd paths do not slip past the key check", async () => {
    const odd = [
      "/%761/campaigns",
      "/v1/campaigns/",
      "/v1//campaigns",
      "/%76%31/segments/x",
      "/v1/unsubscribe/../campaigns",
      "/v1/unsubscribe%2F..%2Fcampaigns",
    ];
    for (const url of odd) {
      const res = await api.app.inject({ method: "GET", url });
      expect([401, 404], url).toContain(res.statusCode);
    }
  });

  it("a right key passes (any of the configured keys)", async () => {
    expect(
      (await api.app.inject({ method: "GET", url: "/v1/campaigns", headers: auth(KEY) })).statusCode,
    ).toBe(200);
    expect(
      (await api.app.inject({ method: "GET", url: "/v1/campaigns", headers: auth(OTHER) })).statusCode,
    ).toBe(200);
  });

  it("unsubscribe, health, metrics, docs and the page need no key", async () => {
    for (const url of ["/v1/unsubscribe?token=good-token", "/healthz", "/metrics", "/docs/json", "/"]) {
      expect((await api.app.inject({ method: "GET", url })).statusCode, url).toBe(200);
    }
  });

  it("matchApiKey and requiresKey", () => {
    const keys = [createHash("sha256").update(KEY).digest()];
    expect(matchApiKey(`Bearer ${KEY}`, keys)).toBe(0);
    expect(matchApiKey(`bearer ${KEY} `, keys)).toBe(0);
    expect(matchApiKey(`Bearer ${KEY}x`, keys)).toBe(-1);
    expect(matchApiKey(undefined, keys)).toBe(-1);
    expect(matchApiKey("Bearer ", keys)).toBe(-1);
    expect(requiresKey("/v1/unsubscribe?token=x")).toBe(false);
    expect(requiresKey("/v1/unsubscribed")).toBe(true);
    expect(requiresKey("/v1/events")).toBe(true);
    expect(requiresKey("/healthz")).toBe(false);
  });

  it("refuses to listen on a non-loopback host without keys", () => {
    expect(() => assertSafeListen({ HTTP_HOST: "0.0.0.0", API_KEYS: [] })).toThrow(/API_KEYS/);
    expect(() => assertSafeListen({ HTTP_HOST: "0.0.0.0", API_KEYS: ["k"] })).not.toThrow();
    expect(() => assertSafeListen({ HTTP_HOST: "127.0.0.1", API_KEYS: [] })).not.toThrow();
  });

  it("with no API_KEYS on loopback, /v1 is open", async () => {
    await using open = await startApi();
    expect((await open.app.inject({ method: "GET", url: "/v1/campaigns" })).statusCode).toBe(200);
  });
});

describe("limits", () => {
  it("413 with a JSON error for a body over the limit", async () => {
    const big = { sql: `SELECT 1 AS profile_id -- ${"x".repeat(300 * 1024)}` };
    const res = await api.app.inject({
      method: "POST",
      url: "/v1/segments/count",
      headers: auth(KEY),
      payload: big,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: "payload too large" });
  });

  it("429 per key once its budget is spent; another key still passes", async () => {
    await using limited = await startApi(
      { API_KEYS: `${KEY},${OTHER}` },
      { limits: { rateMax: 3, rateWindowMs: 60_000 } },
    );
    const get = (key: string) =>
      limited.app.inject({ method: "GET", url: "/v1/campaigns", headers: auth(key) });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(KEY)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limitedRes = await get(KEY);
    expect(limitedRes.json()).toMatchObject({ error: "too many requests" });
    expect(limitedRes.headers["retry-after"]).toBeDefined();
    expect((await get(OTHER)).statusCode).toBe(200);
  });
});

describe("strict schemas", () => {
  const cases = [
    { url: "/v1/segments/count", payload: { sql: "SELECT 1 AS profile_id", limit: 3 }, path: "body.limit" },
    { url: "/v1/segments/count", payload: { sql: 42 }, path: "body.sql" },
    {
      url: "/v1/segments/count",
      payload: { sql: "SELECT 1 AS profile_id", params: { "bad name": 1 } },
      path: "body.params.bad name",
    },
    { url: "/v1/campaigns/welcome/trigger", payload: { profileId: "p1", extra: true }, path: "body.extra" },
    { url: "/v1/campaigns/welcome/trigger", payload: { data: {} }, path: "body.profileId" },
    { url: "/v1/campaigns/winback/runs", payload: { dryRun: "yes" }, path: "body.dryRun" },
    {
      url: "/v1/campaigns/winback/runs",
      payload: { dryRun: true, params: { x: { nested: 1 } } },
      path: "body.params.x",
    },
  ];
  it.each(cases)("$url $payload → 400 at $path", async ({ url, payload, path }) => {
    const res = await api.app.inject({ method: "POST", url, headers: auth(OTHER), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe("invalid request");
    expect(res.json().issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("invalid JSON and a wrong content type are 4xx, not 500", async () => {
    const bad = await api.app.inject({
      method: "POST",
      url: "/v1/segments/count",
      headers: { ...auth(OTHER), "content-type": "application/json" },
      payload: "{nope",
    });
    expect(bad.statusCode).toBe(400);
    const proto = await api.app.inject({
      method: "POST",
      url: "/v1/segments/count",
      headers: { ...auth(OTHER), "content-type": "application/json" },
      payload: '{"__proto__":{"x":1},"sql":"SELECT 1 AS profile_id"}',
    });
    expect(proto.statusCode).toBe(400);
    const xml = await api.app.inject({
      method: "POST",
      url: "/v1/segments/count",
      headers: { ...auth(OTHER), "content-type": "application/xml" },
      payload: "<a/>",
    });
    expect(xml.statusCode).toBe(415);
  });
});

describe("errors", () => {
  it("a fault answers 500 with a generic body; codes map to statuses", () => {
    expect(toHttpError(new Error("secret detail at /srv/x.ts:12"))).toEqual({
      status: 500,
      body: { error: "internal error" },
    });
    expect(toHttpError(new NudgeError("NUDGE_ERR_INTERNAL", "secret"))).toEqual({
      status: 500,
      body: { error: "internal error", code: "NUDGE_ERR_INTERNAL" },
    });
    expect(toHttpError(new NudgeError("NUDGE_ERR_SEGMENT_TIMEOUT", "over 5 s")).status).toBe(422);
    expect(toHttpError(new NudgeError("NUDGE_ERR_CAMPAIGN_NOT_FOUND", "x")).status).toBe(404);
    expect(toHttpError(new NudgeError("NUDGE_ERR_NATS_UNREACHABLE", "x")).status).toBe(503);
  });
});

describe("a fault inside a service", () => {
  it("answers 500 with a generic body: no message, no stack", async () => {
    const boom = new Error("DuckDB exploded at /srv/secret/path.ts:12");
    await using faulty = await startApi(
      {},
      {
        recommend: {
          recommend: async () => {
            throw boom;
          },
        },
      },
    );
    const res = await faulty.app.inject({ method: "GET", url: "/v1/profiles/p1/recommendations" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: "internal error" });
    expect(res.body).not.toContain("secret");
  });
});

describe("fuzzed bodies never cause a 500 or leak a stack", () => {
  const POSTS = [
    "/v1/events",
    "/v1/segments/count",
    "/v1/campaigns/welcome/trigger",
    "/v1/campaigns/winback/runs",
    "/v1/unsubscribe?token=good-token",
  ];
  it.each(POSTS)("POST %s", async (url) => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), async (body, asText) => {
        const payload = asText ? JSON.stringify(body).slice(0, -1) : JSON.stringify(body);
        const res = await api.app.inject({
          method: "POST",
          url,
          headers: { ...auth(KEY), "content-type": "application/json" },
          payload,
        });
        expect(res.statusCode).toBeLessThan(500);
        expect(res.body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
      }),
      { numRuns: 150 },
    );
  });

  it("PUT /v1/segments/:name with fuzzed names and bodies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.jsonValue({ maxDepth: 3 }), async (name, body) => {
        const res = await api.app.inject({
          method: "PUT",
          url: `/v1/segments/${encodeURIComponent(name)}`,
          headers: auth(KEY),
          payload: JSON.stringify(body),
        });
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });
});
