// The campaign routes over the real stack: NATS (ledger, idempotency keys), DuckDB (segments in the
// sandbox), the email sink and an SMTP server on loopback — no fakes.
import { describe, expect, it } from "vitest";
import { startApiServer } from "../api/index.ts";
import { openDb } from "../ingest/index.ts";
import { type Campaign, parseCampaign } from "../sinks/index.ts";
import { startCampaignStack } from "./helpers/campaign-stack.ts";
import { emailConfig } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const defs: Campaign[] = [
  parseCampaign('{"name":"order-confirmation","kind":"api","template":"order-confirmation"}', "a.json"),
  parseCampaign(
    `{"name":"winback","kind":"orchestrated","audience":{"sql":"SELECT profile_id FROM profiles WHERE consent = 'subscribed'","params":{}},
      "steps":[{"type":"split","branches":[{"name":"a","percent":50,"steps":[{"type":"send","template":"browse-reminder","strategy":"popular"}]},
                                          {"name":"b","percent":50,"steps":[{"type":"send","template":"cart-reminder-2","strategy":"popular"}]}]}]}`,
    "w.json",
  ),
];

describe("campaign routes on the real stack", () => {
  it("API-triggered send with an Idempotency-Key, dry run with exact counts, a real run, a preview", async () => {
    await using nats = await startTestNats();
    await using smtp = await startTestSmtp();
    const db = await openDb(":memory:");
    await db.conn.run(`
      INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent)
      SELECT 'p' || i, 'p' || i || '@example.com', 'P' || i, 'en-GB', 'Europe/London',
             CASE WHEN i % 5 = 0 THEN 'unsubscribed' ELSE 'subscribed' END FROM range(30) t(i);
      INSERT INTO products (product_id, name, category, price, currency, stock, active)
      SELECT 'sku-' || i, 'Product ' || i, 'cat', 10 + i, 'EUR', 5, true FROM range(10) t(i);`);
    const config = emailConfig(smtp.url, { HTTP_PORT: "0" });
    await using stack = await startCampaignStack({ nats, db, config, defs });
    const { campaigns } = stack;
    const api = await startApiServer({ config, nc: nats.nc, db, services: { campaigns } });
    try {
      const trigger = (key: string) =>
        fetch(`${api.url}/v1/campaigns/order-confirmation/trigger`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify({ profileId: "p1", data: { orderId: "o-9", total: 12 } }),
        });
      const first = await trigger("k-1");
      const second = await trigger("k-1");
      expect(first.status).toBe(200);
      const [a, b] = [await first.json(), await second.json()];
      expect(b).toEqual(a);
      await smtp.waitFor(1);

      const dry = await api.app.inject({
        method: "POST",
        url: "/v1/campaigns/winback/runs",
        payload: { dryRun: true },
      });
      expect(dry.statusCode).toBe(200);
      const steps: { name: string; count: number }[] = dry.json().steps;
      const count = (n: string) => steps.find((s) => s.name === n)!.count;
      expect(count("0 query")).toBe(24);
      expect(count("1 split/a") + count("1 split/b")).toBe(24);
      expect(smtp.messages).toHaveLength(1);

      const run = await api.app.inject({
        method: "POST",
        url: "/v1/campaigns/winback/runs",
        payload: { dryRun: false },
      });
      const id: string = run.json().id;
      await campaigns.settled(id);
      const got = await api.app.inject({ method: "GET", url: `/v1/campaigns/winback/runs/${id}` });
      expect(got.json().error).toBeUndefined();
      expect(got.json()).toMatchObject({ status: "done", sends: { sent: 24 } });
      await smtp.waitFor(25);
      expect(smtp.messages).toHaveLength(25);

      const preview = await api.app.inject({
        method: "GET",
        url: "/v1/campaigns/winback/preview?profileId=p2",
      });
      expect(preview.statusCode).toBe(200);
      expect(preview.json().html).toContain("Product");
      const missing = await api.app.inject({ method: "GET", url: "/v1/campaigns/nope/runs/x" });
      expect(missing.statusCode).toBe(404);
    } finally {
      await api.stop();
      db.close();
    }
  });
});
