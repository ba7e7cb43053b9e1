import { describe, expect, it } from "vitest";
import { type Db, openDb } from "../ingest/index.ts";
import { type Campaign, parseCampaign, systemClock } from "../sinks/index.ts";
import { startCampaignStack } from "./helpers/campaign-stack.ts";
import { emailConfig } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const NOW = Date.parse("2026-11-23T09:00:00Z");

/** 40 profiles, 4 stores (2 in Paris), 0–3 bookings each, some orders. */
async function fixture(): Promise<Db> {
  const db = await openDb(":memory:");
  await db.conn.run(`
    INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent)
    SELECT 'p' || i, 'p' || i || '@example.com', 'P' || i, 'fr-FR', 'Europe/Paris',
           CASE WHEN i % 9 = 0 THEN 'unsubscribed' ELSE 'subscribed' END
    FROM range(40) t(i);
    INSERT INTO stores VALUES ('s1', 'Opéra', 'Paris', 'FR', 'Europe/Paris'), ('s2', 'Marais', 'Paris', 'FR', 'Europe/Paris'),
                              ('s3', 'Mitte', 'Berlin', 'DE', 'Europe/Berlin'), ('s4', 'Soho', 'London', 'GB', 'Europe/London');
    INSERT INTO bookings
    SELECT 'b' || i || '-' || k, 'p' || i, 's' || (1 + (i + k) % 4),
           TIMESTAMPTZ '2026-11-24 10:00:00+00' + INTERVAL (k * 3 + i % 5) DAY, 'fitting',
           CASE WHEN (i + k) % 7 = 0 THEN 'cancelled' ELSE 'confirmed' END
    FROM range(40) t(i), range(3) u(k) WHERE k < i % 4;
    INSERT INTO orders SELECT 'o' || i, 'p' || i, 's1', TIMESTAMPTZ '2026-10-01 10:00:00+00', 50.0 * (i % 5), 'EUR', 'paid'
    FROM range(40) t(i);
  `);
  return db;
}

const bookingCampaign = parseCampaign(
  `
name: paris-fittings
kind: orchestrated
description: remind Paris bookings next week, VIPs first
audience:
  sql: SELECT profile_id, booking_id, store_id, starts_at, status FROM bookings WHERE starts_at >= $from::TIMESTAMPTZ AND starts_at < $from::TIMESTAMPTZ + INTERVAL 7 DAY
  params: {}
steps:
  - type: filter
    where: status = 'confirmed'
  - type: enrich
    table: stores
    on: store_id
    columns: [city, name]
  - type: filter
    where: city = 'Paris'
  - type: split
    branches:
      - name: vip
        when: profile_id IN (SELECT profile_id FROM orders WHERE total >= 150)
        steps:
          - { type: send, template: order-confirmation, per: entity, entityKey: booking_id }
      - name: others
        steps:
          - { type: dedupe, by: [profile_id], orderBy: starts_at }
          - { type: send, template: order-confirmation }
`,
  "paris-fittings.yaml",
);

async function setup() {
  const nats = await startTestNats();
  const smtp = await startTestSmtp();
  const db = await fixture();
  const api: Campaign = parseCampaign(
    '{"name":"order-confirmation","kind":"api","template":"order-confirmation"}',
    "oc.json",
  );
  const stack = await startCampaignStack({
    nats,
    db,
    config: emailConfig(smtp.url),
    defs: [bookingCampaign, api],
    clock: { now: () => NOW, sleep: systemClock.sleep },
  });
  return {
    nats,
    smtp,
    db,
    campaigns: stack.campaigns,
    async [Symbol.asyncDispose]() {
      await stack[Symbol.asyncDispose]();
      db.close();
      await smtp[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
    },
  };
}

async function scalar(db: Db, sql: string): Promise<number> {
  return Number((await db.conn.runAndReadAll(sql)).getRows()[0]?.[0]);
}

describe("orchestrated campaigns", () => {
  it("dry run: exact counts at every step and branch, equal to independent SQL", async () => {
    await using s = await setup();
    const expected = {
      audience: await scalar(
        s.db,
        "SELECT count(*) FROM bookings WHERE starts_at >= '2026-11-24' AND starts_at < TIMESTAMPTZ '2026-11-24' + INTERVAL 7 DAY",
      ),
      confirmed: await scalar(
        s.db,
        "SELECT count(*) FROM bookings WHERE starts_at >= '2026-11-24' AND starts_at < TIMESTAMPTZ '2026-11-24' + INTERVAL 7 DAY AND status = 'confirmed'",
      ),
      paris: await scalar(
        s.db,
        "SELECT count(*) FROM bookings b JOIN stores s USING (store_id) WHERE starts_at >= '2026-11-24' AND starts_at < TIMESTAMPTZ '2026-11-24' + INTERVAL 7 DAY AND status = 'confirmed' AND s.city = 'Paris'",
      ),
      vipBookings: await scalar(
        s.db,
        "SELECT count(*) FROM bookings b JOIN stores s USING (store_id) WHERE starts_at >= '2026-11-24' AND starts_at < TIMESTAMPTZ '2026-11-24' + INTERVAL 7 DAY AND status = 'confirmed' AND s.city = 'Paris' AND profile_id IN (SELECT profile_id FROM orders WHERE total >= 150)",
      ),
      otherProfiles: await scalar(
        s.db,
        "SELECT count(DISTINCT profile_id) FROM bookings b JOIN stores s USING (store_id) WHERE starts_at >= '2026-11-24' AND starts_at < TIMESTAMPTZ '2026-11-24' + INTERVAL 7 DAY AND status = 'confirmed' AND s.city = 'Paris' AND profile_id NOT IN (SELECT profile_id FROM orders WHERE total >= 150)",
      ),
    };
    expect(expected.vipBookings).toBeGreaterThan(0);
    expect(expected.otherProfiles).toBeGreaterThan(0);

    const run = await s.campaigns.startRun("paris-fittings", {
      dryRun: true,
      params: { from: "2026-11-24T00:00:00Z" },
    });
    const by = Object.fromEntries(run.steps.map((st) => [st.name, st]));
    expect(run.status).toBe("dry_run");
    expect(by["0 query"]!.rows).toBe(expected.audience);
    expect(by["1 filter"]!.rows).toBe(expected.confirmed);
    expect(by["3 filter"]!.rows).toBe(expected.paris);
    expect(by["4 split/vip"]!.rows).toBe(expected.vipBookings);
    expect(by["4 split/vip/1 send"]!.messages).toBe(expected.vipBookings);
    expect(by["4 split/others/2 send"]!.messages).toBe(expected.otherProfiles);
    expect(by["4 split/vip"]!.rows + by["4 split/others"]!.rows).toBe(expected.paris);
    expect(s.smtp.messages).toHaveLength(0);
    expect(await s.campaigns.getRun("paris-fittings", run.id)).toMatchObject({ status: "dry_run" });
  });

  it("sends one email per booking to VIPs and one per profile to the others; a rerun sends nothing twice", async () => {
    await using s = await setup();
    const params = { from: "2026-11-24T00:00:00Z" };
    const run = await s.campaigns.startRun("paris-fittings", { dryRun: false, params, runId: "r1" });
    await s.campaigns.settled(run.id);
    const vip = run.steps.find((x) => x.name === "4 split/vip/1 send")!.messages!;
    const others = run.steps.find((x) => x.name === "4 split/others/2 send")!.messages!;
    const unsubscribed = await scalar(s.db, "SELECT count(*) FROM profiles WHERE consent = 'unsubscribed'");
    expect(unsubscribed).toBeGreaterThan(0);
    const done = await s.campaigns.getRun("paris-fittings", "r1");
    expect(done?.status).toBe("done");
    const sent = done?.sends.sent ?? 0;
    const skipped = Object.entries(done?.sends ?? {})
      .filter(([k]) => k.startsWith("skipped"))
      .reduce((a, [, n]) => a + n, 0);
    // order-confirmation is transactional: sent even to unsubscribed profiles.
    expect(sent + skipped).toBe(vip + others);
    await s.smtp.waitFor(sent);
    expect(s.smtp.messages).toHaveLength(sent);
    const ids = new Set(s.smtp.messages.map((m) => m.sendKey));
    expect(ids.size).toBe(sent);

    const again = await s.campaigns.startRun("paris-fittings", { dryRun: false, params, runId: "r1" });
    await s.campaigns.settled(again.id);
    expect(s.smtp.messages).toHaveLength(sent);
  });

  it("API-triggered: the same idempotency key sends once", async () => {
    await using s = await setup();
    const a = await s.campaigns.trigger("order-confirmation", "p1", { orderId: "o-1", total: 42 }, "key-1");
    const b = await s.campaigns.trigger("order-confirmation", "p1", { orderId: "o-1", total: 42 }, "key-1");
    expect(a.sendId).toBe(b.sendId);
    await s.smtp.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.smtp.messages).toHaveLength(1);
    await expect(s.campaigns.trigger("paris-fittings", "p1", {})).rejects.toThrow(/not an API-triggered/);
    await expect(s.campaigns.trigger("nope", "p1", {})).rejects.toThrow(/no campaign/);
  });

  it("refuses a bad definition with the file and the path of each problem", () => {
    expect(() =>
      parseCampaign(
        "name: x\nkind: orchestrated\naudience: {segment: subscribed}\nsteps: [{type: filter}]",
        "x.yaml",
      ),
    ).toThrow(/x\.yaml: steps\.0\.where/);
    expect(() => parseCampaign("{", "y.json")).toThrow(/y\.json: not valid JSON/);
  });
});
