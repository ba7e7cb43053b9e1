/**
 * npx tsx bench/journeys.ts [-- --triggers 2000 --runs 3]
 *
 * The cost of journeys over the plain reminder. N cart_abandoned triggers on an embedded nats-server,
 * each for its own subscribed profile, sent to a local smtp-server, in two ways (fresh server each run):
 *   plain:    the email sink consumes TRIGGERS itself (one reminder per trigger): the raw limit here;
 *   journeys: the email sink leaves TRIGGERS to the journey engine running campaigns/cart-abandonment.yaml
 *             (instance state in KV before and after the first send, then a durable 24h wait).
 * Prints medians of triggers/s (first email out for every trigger) and the ratio journeys / plain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNats, loadConfig, openDb, provision, publishMany, startNats } from "../ingest/index.ts";
import { openSegmentRunner } from "../queries/index.ts";
import {
  createRenderer,
  loadCampaigns,
  newEmailCounters,
  startEmailSink,
  startJourneys,
} from "../sinks/index.ts";
import { startTestSmtp } from "../test/helpers/smtp.ts";
import { arg, median, printTable } from "./lib.ts";

const N = arg("triggers", 2_000);
const RUNS = arg("runs", 3);
const T0 = Date.parse("2026-11-23T15:00:00Z");

async function once(mode: "plain" | "journeys"): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "bench-journeys-"));
  const nats = await startNats({ storeDir: join(dir, "js") });
  const nc = await connectNats(nats.url, "bench");
  await provision(nc);
  const smtp = await startTestSmtp();
  const db = await openDb(":memory:");
  await db.conn.run(`
    INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent)
    SELECT 'p' || i, 'p' || i || '@example.com', 'P' || i, 'en-US', 'UTC', 'subscribed' FROM range(${N}) t(i);
    INSERT INTO products (product_id, name, category, price, currency, stock, active, image_url, url)
    SELECT 'sku-' || i, 'Product ' || i, 'cat-' || (i % 5), 10.0 + i, 'EUR', 100, true,
           'https://cdn.example.com/' || i || '.jpg', 'https://shop.example.com/p/' || i
    FROM range(50) t(i);`);
  const config = loadConfig({
    SMTP_URL: smtp.url,
    MAIL_FROM: "Shop <shop@example.com>",
    PUBLIC_URL: "https://nudge.example.com",
    UNSUBSCRIBE_SECRET: "bench-secret-0123456789abcdef",
    BATCH_SIZE: "500",
    BATCH_DELAY: "20ms",
    SEND_RATE: "1000000",
    LOG_LEVEL: "silent",
  });
  const counters = newEmailCounters();
  const at = new Date(T0).toISOString();
  const enc = new TextEncoder();
  await publishMany(
    nc,
    Array.from({ length: N }, (_, i) => {
      const id = `cart_abandoned:p${i}:${at}`;
      const t = {
        id,
        kind: "cart_abandoned",
        profileId: `p${i}`,
        at,
        items: [{ productId: `sku-${i % 50}`, quantity: 1 }],
        windowStart: at,
        windowEnd: at,
      };
      return { subject: "triggers.cart_abandoned", data: enc.encode(JSON.stringify(t)), msgId: id };
    }),
  );
  const started = performance.now();
  const email = await startEmailSink({
    nc,
    db,
    config,
    renderer: createRenderer(),
    counters,
    consumeTriggers: mode === "plain",
  });
  const journeys =
    mode === "journeys"
      ? await startJourneys({
          nc,
          config,
          sink: email.sink,
          runner: await openSegmentRunner(db, { dir: "./segments" }),
          campaigns: loadCampaigns("./campaigns").values(),
        })
      : undefined;
  while (counters.sent < N) await new Promise((r) => setTimeout(r, 10));
  const perSecond = N / ((performance.now() - started) / 1_000);
  if (journeys && journeys.stats().active !== N) throw new Error(`expected ${N} waiting instances`);
  await journeys?.stop();
  await email.stop();
  db.close();
  await smtp[Symbol.asyncDispose]();
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
  return perSecond;
}

const plain: number[] = [];
const journeys: number[] = [];
for (let r = 0; r < RUNS; r++) {
  plain.push(await once("plain"));
  journeys.push(await once("journeys"));
}
const p = median(plain);
const j = median(journeys);
console.log(`journeys bench: ${N} cart triggers → first reminder, ${RUNS} runs each, medians`);
printTable([
  { path: "plain email sink (raw limit)", "triggers/s": p, ratio: 1 },
  { path: "journey engine + email sink", "triggers/s": j, ratio: j / p },
]);
