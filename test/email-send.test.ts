import { jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import type { Trigger } from "../processors/trigger.ts";
import { triggerSubject } from "../processors/trigger.ts";
import { recommend } from "../queries/index.ts";
import {
  createRenderer,
  type EmailCounters,
  messageIdOf,
  newEmailCounters,
  type RecommendFn,
  sendCampaignEmails,
  sendKey,
  startEmailSink,
  systemClock,
  verifyUnsubscribeToken,
} from "../sinks/index.ts";
import { EMAIL_NOW, emailConfig, emailDb, SECRET } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const renderer = createRenderer();

function trigger(over: Partial<Trigger> & Pick<Trigger, "id" | "kind" | "profileId">): Trigger {
  return {
    at: "2026-11-23T14:00:00.000Z",
    items: [],
    windowStart: "2026-11-23T11:00:00.000Z",
    windowEnd: "2026-11-23T14:00:00.000Z",
    ...over,
  };
}

async function setup() {
  const nats = await startTestNats();
  const smtp = await startTestSmtp();
  const db = await emailDb();
  const calls: number[] = [];
  const counting: RecommendFn = async (requests, opts) => {
    calls.push(requests.length);
    return recommend(db, requests, opts);
  };
  const counters: EmailCounters = newEmailCounters();
  const start = Date.now();
  const running = await startEmailSink({
    nc: nats.nc,
    db,
    config: emailConfig(smtp.url, { SHOP_URL: "https://shop.example.com" }),
    renderer,
    recommend: counting,
    counters,
    clock: { now: () => EMAIL_NOW + (Date.now() - start), sleep: systemClock.sleep },
  });
  const js = jetstream(nats.nc);
  return {
    nats,
    smtp,
    db,
    calls,
    counters,
    running,
    publish: (t: Trigger, msgId = t.id) =>
      js.publish(triggerSubject(t.kind), JSON.stringify(t), { msgID: msgId }),
    async [Symbol.asyncDispose]() {
      await running.stop();
      db.close();
      await smtp[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
    },
  };
}

describe("email sink: rendered emails from triggers", () => {
  it("sends a cart reminder with parts, idempotency and unsubscribe headers, escaped items and recommendations", async () => {
    await using t = await setup();
    const cart = trigger({
      id: "cart_abandoned:p1:w1",
      kind: "cart_abandoned",
      profileId: "p1",
      items: [
        { productId: "sku-1", quantity: 2, price: 10 },
        { productId: "sku-2", quantity: 1, price: 20 },
      ],
    });
    await t.publish(cart);
    await t.smtp.waitFor(1);
    const [got] = t.smtp.messages;
    const mail = await got!.parse();
    const key = sendKey({ triggerId: cart.id, campaign: "cart_abandoned", profileId: "p1" });

    expect(got!.to).toEqual(["ada@example.com"]);
    expect(mail.messageId).toBe(messageIdOf(key));
    expect(mail.headers.get("x-nudge-send-id")).toBe(key);
    expect(mail.subject).toBeTruthy();
    expect(mail.html).toBeTruthy();
    expect(mail.text).toBeTruthy();
    expect(mail.subject).not.toMatch(/undefined/);

    const lu = String(got!.header("List-Unsubscribe"));
    const token = /token=([^>&]+)/.exec(lu)?.[1];
    expect(lu.replace(/\s+/g, " ")).toMatch(
      /^<https:\/\/nudge\.example\.com\/v1\/unsubscribe\?token=[^>]+>, <mailto:unsubscribe@example\.com\?subject=[^>]+>$/,
    );
    expect(verifyUnsubscribeToken(decodeURIComponent(token!), SECRET)).toBe("p1");
    expect(got!.header("List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");

    const html = String(mail.html);
    expect(html).toContain("Product 1");
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>alert");
    expect(mail.text).toContain("Mug <script>alert(1)</script>");
    expect(html).toContain("https://shop.example.com/p/sku-1");
    // The cart link goes back to the shop (SHOP_URL), not to nudge's own PUBLIC_URL.
    expect(mail.text).toContain("https://shop.example.com/cart?utm_source=nudge");
    expect(`${html}${mail.text}`).not.toContain("https://nudge.example.com/cart");

    // The log row lands just after the SMTP reply (appended in batches): wait for it.
    let row: Record<string, unknown> | undefined;
    for (let i = 0; i < 200 && !row; i++) {
      const rows = await t.db.conn.runAndReadAll(
        "SELECT status, template, trigger_id, recommendations::VARCHAR AS recs, smtp_response FROM send_log",
      );
      row = rows.getRowObjectsJS()[0];
      if (!row) await new Promise((r) => setTimeout(r, 25));
    }
    expect(row).toMatchObject({ status: "sent", template: "cart-reminder", trigger_id: cart.id });
    const recs = JSON.parse(String(row!.recs)) as { productId: string; reason: string }[];
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.map((r) => r.productId)).not.toContain("sku-1");
    expect(recs.map((r) => r.productId)).not.toContain("sku-2");
    for (const r of recs) {
      expect(r.reason).toMatch(/\w+: /);
      expect(html).toContain(`https://shop.example.com/p/${r.productId}`);
    }
    expect(String(row!.smtp_response)).toMatch(/^250/);
  });

  it("sends a browse reminder with the viewed products", async () => {
    await using t = await setup();
    const browse = trigger({
      id: "browse_abandoned:p4:w1",
      kind: "browse_abandoned",
      profileId: "p4",
      items: [
        { productId: "sku-5", quantity: 3 },
        { productId: "sku-6", quantity: 1 },
      ],
    });
    await t.publish(browse);
    await t.smtp.waitFor(1);
    const mail = await t.smtp.messages[0]!.parse();
    expect(mail.headers.get("x-nudge-send-id")).toBe(
      sendKey({ triggerId: browse.id, campaign: "browse_abandoned", profileId: "p4" }),
    );
    expect(String(mail.html)).toContain("Product 5");
    expect(String(mail.html)).toContain("Product 6");
    expect(mail.text).toContain("Product 5");
  });

  it("sends one email when the same trigger is delivered twice, and one recommendation query per batch", async () => {
    await using t = await setup();
    const triggers = ["p1", "p4"].flatMap((p) =>
      [1, 2].map((w) =>
        trigger({
          id: `cart_abandoned:${p}:w${w}`,
          kind: "cart_abandoned",
          profileId: p,
          items: [{ productId: "sku-1", quantity: 1 }],
        }),
      ),
    );
    for (const tr of triggers) await t.publish(tr);
    await t.publish(triggers[0]!, "redelivered-copy");
    await t.smtp.waitFor(4);
    const before = t.smtp.messages.length;
    // The API path with the same key is a duplicate too.
    const [again] = await sendCampaignEmails({ sink: t.running.sink }, [
      { campaign: "cart_abandoned", profileId: "p1", template: "cart-reminder" },
    ]);
    expect(again!.status).toBe("sent"); // a campaign key differs from a trigger key: a new email
    const dup = await t.running.sink.submit({
      triggerId: triggers[0]!.id,
      campaign: "cart_abandoned",
      profileId: "p1",
      template: "cart-reminder",
    });
    expect(dup.status).toBe("duplicate");
    expect(t.smtp.messages.length).toBe(before + 1);
    const keys = t.smtp.messages.map((m) => m.sendKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(t.counters.duplicates).toBeGreaterThanOrEqual(1);
    // 5 trigger deliveries arrived within one batch window: fewer recommendation calls than emails.
    expect(t.calls.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
    expect(t.calls.length).toBeLessThan(4);
  });

  it("skips unsubscribed, addressless and unknown profiles with a counted reason; transactional has no List-Unsubscribe", async () => {
    await using t = await setup();
    const results = await sendCampaignEmails({ sink: t.running.sink, renderer }, [
      { campaign: "promo", runId: "r1", profileId: "p2", template: "browse-reminder" },
      { campaign: "promo", runId: "r1", profileId: "p5", template: "browse-reminder" },
      { campaign: "promo", runId: "r1", profileId: "nobody", template: "browse-reminder" },
      {
        campaign: "order",
        runId: "o-1",
        profileId: "p2",
        template: "order-confirmation",
        data: { orderId: "o-1", items: [], total: 12.5, currency: "USD", placedAt: "2026-11-23T14:00:00Z" },
      },
    ]);
    expect(results.map((r) => [r.status, r.reason ?? ""])).toEqual([
      ["skipped", "unsubscribed"],
      ["skipped", "no_email"],
      ["skipped", "unknown_profile"],
      ["sent", ""],
    ]);
    expect(t.counters.skipped).toEqual({ unsubscribed: 1, no_email: 1, unknown_profile: 1 });
    await t.smtp.waitFor(1);
    const mail = await t.smtp.messages[0]!.parse();
    expect(mail.headers.has("list-unsubscribe")).toBe(false);
    expect(mail.headers.has("list-unsubscribe-post")).toBe(false);
  });
});
