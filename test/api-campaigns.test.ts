import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, createMetrics, defaultEmail, defaultRecommend, defaultSegments } from "../api/index.ts";
import { type Db, openDb } from "../ingest/index.ts";
import { openSegmentRunner } from "../queries/index.ts";
import {
  type CampaignService,
  createCampaigns,
  createRenderer,
  newEmailCounters,
  parseCampaign,
  type RunningEmailSink,
  startEmailSink,
  systemClock,
} from "../sinks/index.ts";
import { emailConfig } from "./helpers/email-fixtures.ts";
import { startTestNats, type TestNats } from "./helpers/nats.ts";
import { startTestSmtp, type TestSmtp } from "./helpers/smtp.ts";

const NOW = Date.parse("2026-11-23T09:00:00Z");
const KEY = "campaign-test-key-0001";

let nats: TestNats;
let smtp: TestSmtp;
let db: Db;
let sink: RunningEmailSink;
let campaigns: CampaignService;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  nats = await startTestNats();
  smtp = await startTestSmtp();
  db = await openDb(":memory:");
  await db.conn.run(`
    INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent, city)
    SELECT 'p' || i, 'p' || i || '@example.com', 'P' || i, 'fr-FR', 'Europe/Paris', 'subscribed',
           CASE WHEN i % 2 = 0 THEN 'Paris' ELSE 'Lyon' END
    FROM range(20) t(i);
  `);
  const config = emailConfig(smtp.url, { API_KEYS: KEY, LOG_LEVEL: "silent" });
  const renderer = createRenderer();
  sink = await startEmailSink({
    nc: nats.nc,
    db,
    config,
    renderer,
    consumeTriggers: false,
    counters: newEmailCounters(),
    clock: { now: () => NOW, sleep: systemClock.sleep },
  });
  const defs = [
    parseCampaign('{"name":"order-confirmation","kind":"api","template":"order-confirmation"}', "oc.json"),
    parseCampaign(
      `{"name":"parisians","kind":"orchestrated","audience":{"sql":"SELECT profile_id, city FROM profiles","params":{}},
        "steps":[{"type":"filter","where":"city = 'Paris'"},{"type":"send","template":"order-confirmation"}]}`,
      "parisians.json",
    ),
  ];
  campaigns = await createCampaigns({
    nc: nats.nc,
    db,
    config,
    sink: sink.sink,
    runner: await openSegmentRunner(db, { dir: "./segments" }),
    renderer,
    campaigns: new Map(defs.map((c) => [c.name, c])),
  });
  app = await buildApp({
    config,
    nc: nats.nc,
    db,
    segments: await defaultSegments(db, { SEGMENTS_DIR: "./segments" }),
    recommend: defaultRecommend(db, () => NOW),
    campaigns,
    email: await defaultEmail(nats.nc, db, config),
    metrics: createMetrics(),
    now: () => NOW,
  });
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
  db?.close();
  await smtp?.[Symbol.asyncDispose]();
  await nats?.[Symbol.asyncDispose]();
});

const call = (opts: InjectOptions) =>
  app.inject({ ...opts, headers: { authorization: `Bearer ${KEY}`, ...opts.headers } });

describe("the API over the real campaigns service, email sink and SMTP server", () => {
  it("an API-triggered send with an Idempotency-Key sends one email, however often it is retried", async () => {
    const body = { profileId: "p3", data: { orderId: "o-17", total: 42 } };
    const headers = { "idempotency-key": "order-17" };
    const first = await call({
      method: "POST",
      url: "/v1/campaigns/order-confirmation/trigger",
      headers,
      payload: body,
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: "sent" });
    const again = await Promise.all(
      Array.from({ length: 3 }, () =>
        call({ method: "POST", url: "/v1/campaigns/order-confirmation/trigger", headers, payload: body }),
      ),
    );
    for (const r of again) expect(r.json()).toEqual(first.json());
    const other = await call({
      method: "POST",
      url: "/v1/campaigns/order-confirmation/trigger",
      headers,
      payload: { ...body, profileId: "p4" },
    });
    expect(other.statusCode).toBe(422);
    await smtp.waitFor(1);
    const mine = smtp.messages.filter((m) => m.messageId === first.json().messageId);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.to).toEqual(["p3@example.com"]);
    expect(mine[0]?.sendKey).toBe("campaign/order-confirmation/order-17/p3/-");
    expect(smtp.messages.filter((m) => m.to.includes("p3@example.com"))).toHaveLength(1);
    expect(smtp.messages.filter((m) => m.to.includes("p4@example.com"))).toHaveLength(0);
  });

  it("lists campaigns, dry-runs with exact counts per step, previews, and refuses what does not fit", async () => {
    const list = await call({ method: "GET", url: "/v1/campaigns" });
    expect(list.json().map((c: { name: string; kind: string }) => `${c.name}:${c.kind}`)).toEqual([
      "order-confirmation:api",
      "parisians:orchestrated",
    ]);
    const dry = await call({
      method: "POST",
      url: "/v1/campaigns/parisians/runs",
      payload: { dryRun: true },
    });
    expect(dry.statusCode).toBe(200);
    const counts = dry.json().steps.map((s: { count: number }) => s.count);
    expect(counts[0]).toBe(20);
    expect(counts.at(-1)).toBe(10);
    const run = await call({ method: "GET", url: `/v1/campaigns/parisians/runs/${dry.json().id}` });
    expect(run.json()).toMatchObject({ id: dry.json().id, dryRun: true });
    const preview = await call({
      method: "GET",
      url: "/v1/campaigns/order-confirmation/preview?profileId=p2",
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json().subject).toEqual(expect.any(String));
    expect(preview.json().html).toContain("<");
    expect((await call({ method: "POST", url: "/v1/campaigns/nope/runs", payload: {} })).statusCode).toBe(
      404,
    );
    const wrongKind = await call({
      method: "POST",
      url: "/v1/campaigns/parisians/trigger",
      payload: { profileId: "p1" },
    });
    expect(wrongKind.statusCode).toBe(422);
    expect(wrongKind.json().code).toBe("NUDGE_ERR_CAMPAIGN");
  });
});
