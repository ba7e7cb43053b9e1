import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { SchedulerLike, Subscription } from "rxjs";
import { type Config, consumeStream, type Db, messageOf, openBucket } from "../../ingest/index.ts";
import { recommend as recommendSql } from "../../queries/index.ts";
import type { Renderer } from "../render/index.ts";
import { AckTracker } from "./ack-tracker.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { EmailCounters } from "./counters.ts";
import { type Dispatcher, inProcessDispatcher } from "./dispatcher.ts";
import { EmailSink, type EmailSinkOptions, type RecommendFn } from "./email-sink.ts";
import { Ledger } from "./ledger.ts";
import { mailerFromConfig } from "./mailer.ts";
import { parseQuietHours } from "./quiet-hours.ts";
import { retryDelay } from "./retry.ts";
import { DeliveryStore } from "./store.ts";
import { parseTrigger, requestFromTrigger } from "./trigger-request.ts";
import { workerDispatcher } from "./worker-dispatcher.ts";

export interface EmailSinkStartDeps {
  nc: NatsConnection;
  db: Db;
  config: Readonly<Config>;
  renderer: Renderer;
  now?: () => number;
  clock?: Clock;
  scheduler?: SchedulerLike;
  logger?: EmailSinkLogger;
  /** Default: queries' `recommend` on `db`. */
  recommend?: RecommendFn;
  /** Default: render and send in this thread through `mailerFromConfig(config)` (or on `threads` workers). */
  dispatcher?: Dispatcher;
  /** Render, build MIME and send on this many worker threads (default `EMAIL_THREADS`; 0: in this thread). */
  threads?: number;
  counters?: EmailCounters;
  options?: Partial<EmailSinkOptions>;
  /** Consume TRIGGERS (default true); false for a campaign-only sink. */
  consumeTriggers?: boolean;
}

interface EmailSinkLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const CHECKPOINT_KEY = "sinks.email.triggers_seq";
const SECRET_KEY = "sinks.email.unsubscribe_secret";

/** UNSUBSCRIBE_SECRET, or one generated once and kept in KV `nudge_state` (so links survive restarts). */
export async function unsubscribeSecret(nc: NatsConnection, config: Pick<Config, "UNSUBSCRIBE_SECRET">) {
  if (config.UNSUBSCRIBE_SECRET) return config.UNSUBSCRIBE_SECRET;
  const kv = await openBucket(nc, "state");
  const got = await kv.get(SECRET_KEY);
  if (got?.operation === "PUT") return got.string();
  await kv.create(SECRET_KEY, randomBytes(32).toString("base64url")).catch(() => 0);
  return (await kv.get(SECRET_KEY))?.string() ?? "";
}

/** The sink's options from config (each overridable). */
export function emailSinkOptions(config: Readonly<Config>, secret: string): EmailSinkOptions {
  return {
    mailFrom: config.MAIL_FROM,
    publicUrl: config.PUBLIC_URL,
    shopUrl: config.SHOP_URL ?? config.PUBLIC_URL,
    unsubscribeSecret: secret,
    defaultCurrency: "EUR",
    defaultLocale: "en-US",
    batchSize: config.BATCH_SIZE,
    batchDelayMs: config.BATCH_DELAY,
    // Two: one batch in its lookups while the other waits; more only cuts batches smaller (one
    // recommendation query per batch is the costly part; measured in bench:email, 2 vs 4: 1,120 vs 730/s).
    batchConcurrency: 2,
    // Emails between the send stage and their SMTP reply (rendering, queued on a worker, on the wire):
    // enough to keep every pooled connection of every worker busy. bench:email 10k: 10 → 592/s, 200 → 932/s.
    sendConcurrency: 200,
    recommendationLimit: 4,
    quietHours: parseQuietHours(config.QUIET_HOURS),
    frequencyCap: config.FREQUENCY_CAP,
    frequencyWindowMs: config.FREQUENCY_WINDOW,
    sendRate: config.SEND_RATE,
    backoff: { baseMs: 1_000, maxMs: 300_000, maxAttempts: Number.POSITIVE_INFINITY },
  };
}

export interface RunningEmailSink {
  sink: EmailSink;
  /** Stops consuming, finishes what is queued, closes the transport. */
  stop(): Promise<void>;
}

/**
 * Starts the email sink: resumes unfinished ledger keys, then consumes stream TRIGGERS (durable
 * `email`) and sends one reminder per trigger — cart_abandoned → cart-reminder (cart_based),
 * browse_abandoned → browse-reminder (viewed_viewed). A trigger is acked only once its ledger entry is
 * final (sent/failed/skipped) or durably held; acks go in stream order (AckPolicy.All) and the acked
 * sequence is checkpointed in KV so a restart resumes after it. Faults (DuckDB, KV) retry the trigger.
 *
 * @example
 * const { sink, stop } = await startEmailSink({ nc, db, config, renderer: createRenderer() });
 */
export async function startEmailSink(deps: EmailSinkStartDeps): Promise<RunningEmailSink> {
  const { nc, db, config } = deps;
  const clock = deps.clock ?? (deps.now ? { ...systemClock, now: deps.now } : systemClock);
  const secret = await unsubscribeSecret(nc, config);
  const store = new DeliveryStore(await db.instance.connect());
  const ledger = new Ledger(await openBucket(nc, "ledger"), nc);
  const sink = new EmailSink({
    store,
    ledger,
    dispatcher: deps.dispatcher ?? (await defaultDispatcher(deps)),
    recommend: deps.recommend ?? ((requests, opts) => recommendSql(db, requests, opts)),
    clock,
    scheduler: deps.scheduler,
    counters: deps.counters,
    logger: deps.logger,
    options: { ...emailSinkOptions(config, secret), ...deps.options },
  });
  const recovered = await sink.start();
  deps.logger?.info({ ...recovered }, "email sink started");

  let subscription: Subscription | undefined;
  let checkpointing: Promise<void> | undefined;
  if (deps.consumeTriggers !== false) {
    const state = await openBucket(nc, "state");
    const last = Number((await state.get(CHECKPOINT_KEY))?.string() ?? "0") || 0;
    // Acks and checkpoints are coalesced: with AckPolicy.All the newest ack covers the ones before
    // it, and only the newest checkpoint matters (at most one KV put in flight, not one per advance).
    let ackNext: (() => void) | undefined;
    let ackSeq = last;
    const flushAck = () => {
      const ack = ackNext;
      ackNext = undefined;
      ack?.();
      checkpoint(ackSeq);
    };
    let checkpointed = last;
    let wanted = last;
    const checkpoint = (seq: number) => {
      wanted = Math.max(wanted, seq);
      if (checkpointing || wanted <= checkpointed) return;
      checkpointing = (async () => {
        while (checkpointed < wanted) {
          const next = wanted;
          await state.put(CHECKPOINT_KEY, String(next)).catch(() => {});
          checkpointed = next;
        }
        checkpointing = undefined;
      })();
    };
    const acks = new AckTracker((seq, ack) => {
      if (ackNext === undefined) setImmediate(flushAck);
      ackNext = ack;
      ackSeq = seq;
    });
    const handle = async (data: Uint8Array): Promise<void> => {
      const parsed = parseTrigger(data);
      if (!parsed.success) {
        deps.logger?.warn({ error: parsed.error.message }, "not a trigger, skipped");
        return;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          await sink.submit(requestFromTrigger(parsed.data));
          return;
        } catch (err) {
          if (sinkClosed) throw err;
          deps.logger?.error(
            { err: messageOf(err), trigger: parsed.data.id },
            "trigger send failed, retrying",
          );
          await clock.sleep(retryDelay(attempt, 500, 30_000));
        }
      }
    };
    let sinkClosed = false;
    subscription = consumeStream(nc, {
      stream: "TRIGGERS",
      durable: "email",
      startSeq: last + 1,
      maxInFlight: triggersInFlight(config, sink.options),
      ackWaitMs: 300_000,
    }).subscribe({
      next: (m) => {
        acks.add(m.seq, () => m.ack());
        handle(m.data).then(
          () => acks.done(m.seq),
          () => {},
        );
      },
      error: (err) => deps.logger?.error({ err: messageOf(err) }, "TRIGGERS consumer stopped"),
    });
    const stopConsumer = () => {
      sinkClosed = true;
      subscription?.unsubscribe();
    };
    return {
      sink,
      async stop() {
        stopConsumer();
        await sink.close();
        await new Promise((r) => setImmediate(r)); // the last coalesced ack
        await checkpointing;
        ledger.close();
        store.conn.closeSync();
        await sink.dispatcher.close();
      },
    };
  }
  return {
    sink,
    async stop() {
      await sink.close();
      ledger.close();
      store.conn.closeSync();
      await sink.dispatcher.close();
    },
  };
}

/**
 * Un-acked triggers the sink takes at once: enough for full batches (one waiting, `batchConcurrency`
 * in their lookups, one in the send stage), at least 10,000, and never more than MAX_IN_FLIGHT. Each
 * waiting trigger is held in memory as a request, so the ingest-sized MAX_IN_FLIGHT (100,000) would
 * pull a whole backlog into the heap.
 */
export function triggersInFlight(
  config: Pick<Config, "MAX_IN_FLIGHT">,
  opts: Pick<EmailSinkOptions, "batchSize" | "batchConcurrency" | "sendConcurrency">,
): number {
  const full = opts.batchSize * (opts.batchConcurrency + 2) + opts.sendConcurrency;
  return Math.min(config.MAX_IN_FLIGHT, Math.max(10_000, full));
}

async function defaultDispatcher(deps: EmailSinkStartDeps): Promise<Dispatcher> {
  const { config } = deps;
  const threads = deps.threads ?? config.EMAIL_THREADS;
  if (threads === 0) return inProcessDispatcher(deps.renderer, mailerFromConfig(config));
  const workers = workerDispatcher({
    threads,
    templatesDir: config.TEMPLATES_DIR,
    smtpUrl: config.SMTP_URL,
    outboxDir: join(config.DATA_DIR, "outbox"),
  });
  await workers.ready();
  return workers;
}
