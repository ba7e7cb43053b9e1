import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { openBucket } from "../ingest/index.ts";
import { recommend } from "../queries/index.ts";
import {
  AckTracker,
  createRenderer,
  DeliveryStore,
  EmailSink,
  emailSinkOptions,
  inProcessDispatcher,
  Ledger,
  ManualClock,
  newEmailCounters,
  outboxMailer,
  type RecommendFn,
  sendCampaignEmails,
  sendIdOf,
  sendKey,
  startEmailSink,
} from "../sinks/index.ts";
import { EMAIL_NOW, emailConfig, emailDb, SECRET } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";

describe("email sink: batches and the outbox", () => {
  it("does one recommendation query and one profile lookup per batch, and writes one .eml per email named by send id", async () => {
    await using nats = await startTestNats();
    const db = await emailDb();
    const dir = mkdtempSync(join(tmpdir(), "nudge-outbox-"));
    try {
      await db.conn.run(`INSERT INTO profiles (profile_id, email, locale, timezone, consent)
        SELECT 'b' || i, 'b' || i || '@example.com', 'en-US', 'UTC', 'subscribed' FROM range(30) t(i)`);
      const calls: number[] = [];
      const counting: RecommendFn = async (requests, opts) => {
        calls.push(requests.length);
        return recommend(db, requests, opts);
      };
      const store = new DeliveryStore(await db.instance.connect());
      const lookups: number[] = [];
      const profiles = store.profiles.bind(store);
      store.profiles = (ids) => {
        lookups.push(ids.length);
        return profiles(ids);
      };
      const sink = new EmailSink({
        store,
        ledger: new Ledger(await openBucket(nats.nc, "ledger")),
        dispatcher: inProcessDispatcher(createRenderer(), outboxMailer(dir)),
        recommend: counting,
        clock: new ManualClock(EMAIL_NOW),
        counters: newEmailCounters(),
        options: { ...emailSinkOptions(emailConfig(undefined), SECRET), batchSize: 10, batchDelayMs: 60_000 },
      });
      await sink.start();
      const requests = Array.from({ length: 30 }, (_, i) => ({
        triggerId: `cart_abandoned:b${i}:w1`,
        campaign: "cart_abandoned",
        profileId: `b${i}`,
        template: "cart-reminder",
        strategy: "cart_based",
        items: [{ productId: "sku-1", quantity: 1 }],
      }));
      const results = await Promise.all(requests.map((r) => sink.submit(r)));
      expect(results.every((r) => r.status === "sent")).toBe(true);
      expect(calls).toEqual([10, 10, 10]);
      expect(lookups).toEqual([10, 10, 10]);

      const files = readdirSync(dir).sort();
      expect(files).toEqual(requests.map((r) => `${sendIdOf(sendKey(r))}.eml`).sort());
      const mail = await simpleParser(readFileSync(join(dir, files[0]!)));
      expect(mail.headers.get("x-nudge-send-id")).toMatch(/^trigger\//);
      expect(mail.html).toBeTruthy();
      await sink.close();
      store.conn.closeSync();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("renders and sends on worker threads (outbox) with the same results", async () => {
    await using nats = await startTestNats();
    const db = await emailDb();
    const dir = mkdtempSync(join(tmpdir(), "nudge-threads-"));
    try {
      const running = await startEmailSink({
        nc: nats.nc,
        db,
        config: emailConfig(undefined, { DATA_DIR: dir }),
        renderer: createRenderer(),
        threads: 2,
        consumeTriggers: false,
        counters: newEmailCounters(),
      });
      const results = await sendCampaignEmails({ sink: running.sink }, [
        {
          campaign: "promo",
          runId: "r1",
          profileId: "p1",
          template: "browse-reminder",
          items: [{ productId: "sku-5", quantity: 1 }],
        },
        {
          campaign: "promo",
          runId: "r1",
          profileId: "p4",
          template: "browse-reminder",
          items: [{ productId: "sku-6", quantity: 1 }],
        },
      ]);
      await running.stop();
      expect(results.map((r) => r.status)).toEqual(["sent", "sent"]);
      const files = readdirSync(join(dir, "outbox")).sort();
      expect(files).toEqual(results.map((r) => `${r.sendId}.eml`).sort());
      const mail = await simpleParser(readFileSync(join(dir, "outbox", `${results[0]!.sendId}.eml`)));
      expect(mail.messageId).toBe(results[0]!.messageId);
      expect(String(mail.html)).toContain("Product 5");
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("acks stream messages only up to the first unfinished one (AckPolicy.All)", () => {
    const acked: number[] = [];
    const acks = new AckTracker((seq, ack) => {
      acked.push(seq);
      ack();
    });
    for (const s of [1, 2, 3, 4]) acks.add(s, () => {});
    acks.done(2);
    expect(acked).toEqual([]);
    acks.done(1);
    expect(acked).toEqual([2]);
    acks.done(4);
    expect(acked).toEqual([2]);
    acks.done(3);
    expect(acked).toEqual([2, 4]);
    expect(acks.size).toBe(0);
  });
});
