import { jetstream } from "@nats-io/jetstream";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics, listen, parseCsv } from "../api/index.ts";
import { emptyStats } from "../processors/index.ts";
import { newEmailCounters } from "../sinks/index.ts";
import { startApi, type TestApi } from "./api-fakes.ts";

const ts = "2026-11-23T10:00:00Z";
const view = (id: string, profileId = "p1") => ({
  id,
  type: "product_view",
  profileId,
  ts,
  productId: "sku-1",
});

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
  await api.deps.db.conn.run(
    "INSERT INTO profiles (profile_id, email, city) SELECT 'p' || i, 'p' || i || '@x.test', CASE WHEN i % 3 = 0 THEN 'Paris' ELSE 'Lyon' END FROM range(30) t(i)",
  );
});
afterAll(() => api[Symbol.asyncDispose]());

const inject = (opts: InjectOptions) => api.app.inject(opts);

describe("POST /v1/events", () => {
  it("publishes one event to events.<type>.<p> with Nats-Msg-Id = id", async () => {
    const res = await inject({ method: "POST", url: "/v1/events", payload: view("e-one", "a@b") });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accepted: 1,
      rejected: 0,
      results: [{ index: 0, id: "e-one", accepted: true, duplicate: false }],
    });
    const jsm = await jetstream(api.deps.nc).jetstreamManager();
    const msg = await jsm.streams.getMessage("EVENTS", { last_by_subj: "events.product_view.a_b" });
    expect(msg?.json<{ id: string }>().id).toBe("e-one");
    expect(msg?.header.get("Nats-Msg-Id")).toBe("e-one");
  });

  it("reports each event of a batch: accepted, rejected with paths, duplicates flagged", async () => {
    const batch = [view("e-b1"), { ...view("e-b2"), productId: 7 }, view("e-b1"), "nope"];
    const res = await inject({ method: "POST", url: "/v1/events", payload: batch });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(2);
    expect(body.results[0]).toEqual({ index: 0, id: "e-b1", accepted: true, duplicate: false });
    expect(body.results[1]).toMatchObject({
      index: 1,
      accepted: false,
      reason: "schema",
      errors: [{ path: "productId" }],
    });
    expect(body.results[2]).toEqual({ index: 2, id: "e-b1", accepted: true, duplicate: true });
    expect(body.results[3]).toMatchObject({ index: 3, accepted: false, reason: "schema" });
  });

  it("answers 400 when no event is valid, and refuses more than 1,000", async () => {
    const none = await inject({ method: "POST", url: "/v1/events", payload: [{ id: "x" }] });
    expect(none.statusCode).toBe(400);
    expect(none.json().results[0].errors.map((e: { path: string }) => e.path)).toContain("type");
    const many = Array.from({ length: 1_001 }, (_, i) => view(`m${i}`));
    const tooMany = await inject({ method: "POST", url: "/v1/events", payload: many });
    expect(tooMany.statusCode).toBe(400);
  });

  it("answers 503 when NATS takes none of the valid events", async () => {
    await using down = await startApi(
      {},
      { publish: async (msgs) => msgs.map(() => ({ ok: false, error: "no responders" })) },
    );
    const res = await down.app.inject({
      method: "POST",
      url: "/v1/events",
      payload: [view("d1"), { id: "bad" }],
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: "NUDGE_ERR_NATS_UNREACHABLE" });
  });

  it("counts events in /metrics", async () => {
    const res = await inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/nudge_http_events_total\{result="accepted"\} [1-9]/);
    expect(res.body).toMatch(/nudge_http_events_total\{result="rejected"\} [1-9]/);
    expect(res.body).toContain("nudge_http_request_duration_seconds_bucket");
  });
});

describe("/metrics reads the processors' and the email sink's counters at scrape time", () => {
  it("triggers by kind, emails sent, skips by reason", async () => {
    const stats = { ...emptyStats("p"), eventsIn: 42, openCarts: 3 };
    const email = newEmailCounters();
    const metrics = createMetrics({ processors: () => stats, email: () => email });
    stats.triggersOut.cart_abandoned = 7;
    email.sent = 5;
    email.skipped.unsubscribed = 2;
    const text = await metrics.registry.metrics();
    expect(text).toContain("nudge_events_in_total 42");
    expect(text).toContain('nudge_triggers_out_total{kind="cart_abandoned"} 7');
    expect(text).toContain("nudge_emails_sent_total 5");
    expect(text).toContain('nudge_skips_total{reason="unsubscribed"} 2');
    expect(text).toContain("nudge_open_carts 3");
    email.sent = 6;
    expect(await metrics.registry.metrics()).toContain("nudge_emails_sent_total 6");
  });
});

describe("segments", () => {
  it("counts inline SQL with named parameters", async () => {
    const res = await inject({
      method: "POST",
      url: "/v1/segments/count",
      payload: { sql: "SELECT profile_id FROM profiles WHERE city = $city", params: { city: "Paris" } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ count: 10 });
    expect(res.json().elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it("stores, lists, counts by name, gets and deletes a segment", async () => {
    const put = await inject({
      method: "PUT",
      url: "/v1/segments/lyon",
      payload: { sql: "SELECT profile_id FROM profiles WHERE city = 'Lyon'", description: "Lyon" },
    });
    expect(put.statusCode).toBe(200);
    expect(
      (await inject({ method: "GET", url: "/v1/segments" })).json().map((s: { name: string }) => s.name),
    ).toContain("lyon");
    expect((await inject({ method: "GET", url: "/v1/segments/lyon" })).json()).toMatchObject({
      name: "lyon",
      description: "Lyon",
    });
    const count = await inject({ method: "POST", url: "/v1/segments/count", payload: { name: "lyon" } });
    expect(count.json().count).toBe(20);
    expect((await inject({ method: "DELETE", url: "/v1/segments/lyon" })).statusCode).toBe(204);
    expect((await inject({ method: "GET", url: "/v1/segments/lyon" })).statusCode).toBe(404);
    expect((await inject({ method: "DELETE", url: "/v1/segments/lyon" })).statusCode).toBe(404);
    expect(
      (await inject({ method: "POST", url: "/v1/segments/count", payload: { name: "lyon" } })).statusCode,
    ).toBe(404);
  });

  it("answers 400 with DuckDB's message for bad SQL and for refused SQL", async () => {
    const bad = await inject({
      method: "POST",
      url: "/v1/segments/count",
      payload: { sql: "SELEC profile_id FROM profiles" },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "NUDGE_ERR_SEGMENT_SQL" });
    expect(bad.json().message).toMatch(/syntax error/i);
    const refused = await inject({
      method: "POST",
      url: "/v1/segments/count",
      payload: { sql: "SELECT * FROM read_csv('/etc/passwd')" },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe("NUDGE_ERR_SEGMENT_REFUSED");
  });

  it("wants exactly one of sql and name", async () => {
    const both = await inject({
      method: "POST",
      url: "/v1/segments/count",
      payload: { sql: "SELECT 1 AS profile_id", name: "x" },
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().issues[0].path).toBe("body.sql");
  });
});

describe("recommendations", () => {
  it("returns ranked items with reasons; unknown strategy is 400", async () => {
    const res = await inject({
      method: "GET",
      url: "/v1/profiles/p1/recommendations?strategy=popular&limit=3",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(3);
    expect(res.json().items[0]).toMatchObject({ productId: "sku-0", reason: "popular for p1" });
    expect(
      (await inject({ method: "GET", url: "/v1/profiles/p1/recommendations?strategy=nope" })).statusCode,
    ).toBe(400);
    const badLimit = await inject({ method: "GET", url: "/v1/profiles/p1/recommendations?limit=0" });
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().issues[0].path).toBe("querystring.limit");
  });
});

describe("campaigns", () => {
  it("lists, triggers, runs (dry), reads a run, previews; unknown campaign is 404", async () => {
    expect(
      (await inject({ method: "GET", url: "/v1/campaigns" })).json().map((c: { name: string }) => c.name),
    ).toEqual(["welcome", "winback"]);
    const trig = await inject({
      method: "POST",
      url: "/v1/campaigns/welcome/trigger",
      payload: { profileId: "p1", data: { code: "X" } },
    });
    expect(trig.statusCode).toBe(200);
    expect(trig.json()).toMatchObject({ status: "sent" });
    const run = await inject({
      method: "POST",
      url: "/v1/campaigns/winback/runs",
      payload: { dryRun: true },
    });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ dryRun: true, steps: [{ name: "audience", count: 120 }, {}, {}] });
    const got = await inject({ method: "GET", url: `/v1/campaigns/winback/runs/${run.json().id}` });
    expect(got.json().id).toBe(run.json().id);
    expect((await inject({ method: "GET", url: "/v1/campaigns/winback/runs/nope" })).statusCode).toBe(404);
    const pv = await inject({ method: "GET", url: "/v1/campaigns/welcome/preview?profileId=p7" });
    expect(pv.json()).toMatchObject({ subject: "Hello p7", text: "Hello p7" });
    for (const url of ["/v1/campaigns/nope/trigger", "/v1/campaigns/nope/runs"]) {
      expect((await inject({ method: "POST", url, payload: { profileId: "p1" } })).statusCode).toBeOneOf([
        400, 404,
      ]);
    }
    expect((await inject({ method: "POST", url: "/v1/campaigns/nope/runs", payload: {} })).statusCode).toBe(
      404,
    );
    expect((await inject({ method: "GET", url: "/v1/campaigns/nope/preview?profileId=p1" })).statusCode).toBe(
      404,
    );
  });
});

describe("unsubscribe (RFC 8058)", () => {
  it("GET shows a confirmation page and unsubscribes nobody", async () => {
    const res = await inject({ method: "GET", url: "/v1/unsubscribe?token=good-token" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.body).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(api.email.unsubscribed).toEqual([]);
  });

  it("POST List-Unsubscribe=One-Click (form-encoded) unsubscribes; a forged token is 400", async () => {
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const ok = await inject({
      method: "POST",
      url: "/v1/unsubscribe?token=good-token",
      headers,
      payload: "List-Unsubscribe=One-Click",
    });
    expect(ok.statusCode).toBe(200);
    expect(api.email.unsubscribed).toEqual(["p1"]);
    const forged = await inject({
      method: "POST",
      url: "/v1/unsubscribe?token=forged",
      headers,
      payload: "List-Unsubscribe=One-Click",
    });
    expect(forged.statusCode).toBe(400);
    expect(api.email.unsubscribed).toEqual(["p1"]);
  });
});

describe("POST /v1/entities/:table", () => {
  const post = (table: string, type: string, payload: string) =>
    inject({ method: "POST", url: `/v1/entities/${table}`, headers: { "content-type": type }, payload });

  it("upserts CSV (quoted fields) and NDJSON rows by primary key, typed by the table", async () => {
    const csv = await post(
      "products",
      "text/csv",
      'product_id,name,price\nsku-a,"Coat, ""warm""",12.5\nsku-b,Hat,\n',
    );
    expect(csv.statusCode).toBe(200);
    expect(csv.json()).toEqual({ table: "products", rows: 2 });
    const nd = await post(
      "products",
      "application/x-ndjson",
      '{"product_id":"sku-b","name":"Big hat","price":9}\n',
    );
    expect(nd.json()).toEqual({ table: "products", rows: 1 });
    const rows = await api.deps.db.conn.runAndReadAll(
      "SELECT product_id, name, price FROM products WHERE product_id IN ('sku-a', 'sku-b') ORDER BY 1",
    );
    expect(rows.getRowObjectsJS()).toEqual([
      { product_id: "sku-a", name: 'Coat, "warm"', price: 12.5 },
      { product_id: "sku-b", name: "Big hat", price: 9 },
    ]);
  });

  it("parseCsv reads back any table written with RFC 4180 quoting", () => {
    const cell = fc.string({ unit: fc.constantFrom("a", "b", ",", '"', "\n", "\r\n", " ", "é") });
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 5 }), (rows) => {
        const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
        const text = ["x,y", ...rows.map(([a, b]) => `${q(a)},${q(b)}`)].join("\r\n");
        expect(parseCsv(text)).toEqual(rows.map(([x, y]) => ({ x, y })));
      }),
    );
  });

  it("refuses rows that do not fit (400, nothing written), unknown tables and columns, other types", async () => {
    const bad = await post("products", "text/csv", "product_id,price\nsku-c,1\nsku-d,abc\n");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/Could not convert string 'abc'/);
    const none = await api.deps.db.conn.runAndReadAll(
      "SELECT count(*)::INT AS n FROM products WHERE product_id = 'sku-c'",
    );
    expect(none.getRowObjectsJS()[0]?.n).toBe(0);
    expect((await post("nope", "text/csv", "a\n1\n")).statusCode).toBe(400);
    expect((await post("events", "text/csv", "id\n1\n")).statusCode).toBe(400);
    expect((await post("products", "text/csv", "product_id,zzz\n1,2\n")).json().message).toMatch(/zzz/);
    expect((await post("products", "application/x-ndjson", "[1]\n")).statusCode).toBe(400);
    expect((await post("products", "application/json", "{}")).statusCode).toBe(415);
  });
});

describe("ops", () => {
  it("/healthz reports NATS, DuckDB and SMTP", async () => {
    const res = await inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: "ok",
      checks: { nats: { ok: true }, duckdb: { ok: true }, smtp: { ok: true } },
    });
  });

  it("/docs serves the OpenAPI document with every /v1 route", async () => {
    const doc = (await inject({ method: "GET", url: "/docs/json" })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      "/v1/events",
      "/v1/segments/count",
      "/v1/segments/{name}",
      "/v1/profiles/{id}/recommendations",
      "/v1/campaigns/{name}/trigger",
      "/v1/campaigns/{name}/runs",
      "/v1/campaigns/{name}/runs/{id}",
      "/v1/unsubscribe",
      "/healthz",
      "/metrics",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(
      doc.paths["/v1/segments/count"].post.requestBody.content["application/json"].schema.properties,
    ).toHaveProperty("sql");
    const definition = doc.paths["/v1/campaigns/{name}"];
    expect(Object.keys(definition).sort()).toEqual(["delete", "get", "put"]);
    // The PUT body is the campaign schema of the definition files: one shape per kind.
    const body = JSON.stringify(definition.put.requestBody.content["application/json"].schema);
    for (const kind of ["journey", "action", "api", "orchestrated"]) expect(body).toContain(`"${kind}"`);
    expect((await inject({ method: "GET", url: "/docs" })).statusCode).toBeLessThan(400);
  });

  it("serves the managers' page at /", async () => {
    const res = await inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('src="/page/app.js"');
    expect((await inject({ method: "GET", url: "/page/app.js" })).headers["content-type"]).toMatch(
      /javascript/,
    );
  });

  it("unknown routes answer a JSON 404", async () => {
    const res = await inject({ method: "GET", url: "/v1/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe("not found");
  });
});

describe("a real listen on port 0", () => {
  it("answers fetch over loopback", async () => {
    await using other = await startApi({ HTTP_PORT: "0" });
    const url = await listen(other.app, other.deps.config);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const res = await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([view("l1"), view("l2")]),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(2);
  });
});
