import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Db, publishEvents, type ShopEvent } from "../ingest/index.ts";
import type { Trigger } from "../processors/index.ts";
import { openSegmentRunner, type SegmentRunner } from "../queries/index.ts";
import {
  type Campaign,
  createRenderer,
  ManualClock,
  newEmailCounters,
  type RunningEmailSink,
  type RunningJourneys,
  startEmailSink,
  startJourneys,
  systemClock,
} from "../sinks/index.ts";
import { EMAIL_NOW, emailConfig, emailDb } from "./helpers/email-fixtures.ts";
import { startTestNats, type TestNats } from "./helpers/nats.ts";
import { startTestSmtp, type TestSmtp } from "./helpers/smtp.ts";

export const T0 = EMAIL_NOW;
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export interface JourneyWorld extends AsyncDisposable {
  nats: TestNats;
  smtp: TestSmtp;
  db: Db;
  runner: SegmentRunner;
  clock: ManualClock;
  email: RunningEmailSink;
  config: ReturnType<typeof emailConfig>;
  /** The journey engine over this world (its NATS, sink, runner and clock) running `campaigns`. */
  startJourneys(campaigns: Campaign[]): Promise<RunningJourneys>;
}

/**
 * Real NATS, real SMTP, the email tests' DuckDB (plus p6 Fay, subscribed) and an email sink that does
 * not consume triggers (the journey engine does). Wall time is a ManualClock starting at T0; idle
 * ticks every minute; lateness 5 minutes.
 */
export async function journeyWorld(): Promise<JourneyWorld> {
  const nats = await startTestNats();
  const smtp = await startTestSmtp();
  const db = await emailDb();
  await db.conn.run(
    "INSERT INTO profiles (profile_id, email, first_name, locale, timezone, consent) VALUES ('p6', 'fay@example.com', 'Fay', 'en-US', 'UTC', 'subscribed')",
  );
  const config = emailConfig(smtp.url, { IDLE_ADVANCE: "1m", LATENESS: "5m", FREQUENCY_CAP: "10" });
  const clock = new ManualClock(T0);
  const email = await startEmailSink({
    nc: nats.nc,
    db,
    config,
    renderer: createRenderer(),
    consumeTriggers: false,
    counters: newEmailCounters(),
    // The sink sees the same wall time; its retry sleeps stay real.
    clock: { now: () => clock.now(), sleep: systemClock.sleep },
  });
  const runner = await openSegmentRunner(db, { dir: "./segments" });
  return {
    nats,
    smtp,
    db,
    runner,
    clock,
    email,
    config,
    startJourneys: (campaigns) =>
      startJourneys({ nc: nats.nc, config, sink: email.sink, runner, campaigns, clock }),
    async [Symbol.asyncDispose]() {
      await email.stop();
      db.close();
      await smtp[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
    },
  };
}

export function cartTrigger(profileId: string, atMs: number, productIds: string[]): Trigger {
  const at = new Date(atMs).toISOString();
  return {
    id: `cart_abandoned:${profileId}:${at}`,
    kind: "cart_abandoned",
    profileId,
    at,
    items: productIds.map((productId) => ({ productId, quantity: 1 })),
    windowStart: new Date(atMs - 2 * HOUR).toISOString(),
    windowEnd: at,
  };
}

/** Publishes a trigger; `msgId: false` skips the server's duplicate window (a replay long after). */
export async function publishTrigger(nc: NatsConnection, t: Trigger, opts = { msgId: true }): Promise<void> {
  await jetstream(nc).publish(`triggers.${t.kind}`, JSON.stringify(t), opts.msgId ? { msgID: t.id } : {});
}

let n = 0;
export async function publishEvent(
  nc: NatsConnection,
  type: "product_view" | "purchase",
  profileId: string,
  tsMs: number,
): Promise<void> {
  const ts = new Date(tsMs).toISOString();
  const id = `ev-${++n}-${profileId}-${tsMs}`;
  const event: ShopEvent =
    type === "purchase"
      ? {
          id,
          type,
          profileId,
          ts,
          orderId: `o-${id}`,
          items: [{ productId: "sku-1", quantity: 1, price: 10 }],
        }
      : { id, type, profileId, ts, productId: "sku-2" };
  const [r] = await publishEvents(nc, [event]);
  if (!r?.ok) throw new Error(`publish failed: ${JSON.stringify(r)}`);
}

/** Recommended product ids of each send of a profile, in send order (from the DuckDB send log). */
export async function recommendedIds(
  db: Db,
  profileId: string,
): Promise<{ template: string; ids: string[] }[]> {
  const r = await db.conn.runAndReadAll(
    "SELECT template, recommendations::VARCHAR AS recs FROM send_log WHERE profile_id = $p AND status = 'sent' ORDER BY created_at, template",
    { p: profileId },
  );
  return r.getRowObjectsJS().map((row) => ({
    template: String(row.template),
    ids: (JSON.parse(String(row.recs)) as { productId: string }[]).map((x) => x.productId),
  }));
}
