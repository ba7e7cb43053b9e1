import { messageOf } from "../../ingest/index.ts";
import { Batcher } from "./batcher.ts";
import { type Clock, systemClock } from "./clock.ts";

import { compose, type Recommendation } from "./compose.ts";
import { countSkip, type EmailCounters, emailCounters } from "./counters.ts";
import { decide } from "./decide.ts";
import type { Dispatcher, RenderJob } from "./dispatcher.ts";
import { FrequencyCap } from "./frequency-cap.ts";
import { FINAL_STATES, type LedgerEntry } from "./ledger.ts";
import { recommendForBatch } from "./recommend-batch.ts";
import { Limiter, retryDelay } from "./retry.ts";
import { sendLogRow } from "./send-log-row.ts";
import { SendLogWriter } from "./send-log-writer.ts";
import { messageIdOf, SendRequest, sendIdOf, sendKey } from "./send-request.ts";
import type { EmailSinkDeps, EmailSinkOptions, SendResult } from "./sink-types.ts";
import { TokenBucket } from "./token-bucket.ts";

// Kept importable from here (sinks/campaigns imports these from this file).
export type { EmailSinkDeps, EmailSinkOptions, RecommendFn, SendResult } from "./sink-types.ts";

interface Pending {
  req: SendRequest;
  key: string;
  sendId: string;
  messageId: string;
  resolve(r: SendResult): void;
  reject(e: unknown): void;
}

interface Claimed extends Pending {
  entry: LedgerEntry;
  resumed: boolean;
  /** When a frequency-cap slot was taken for this email (given back if it is not sent). */
  capTakenAt?: number;
}

/**
 * Micro-batched, exactly-once-per-key email sending. Requests are grouped by size or delay; per batch:
 * ledger claims (KV create), ONE profile lookup, consent/pressure decisions, ONE recommendation query
 * per strategy, ONE product lookup, then render+send with bounded concurrency, the ledger entry made
 * final after each SMTP transaction (after its send-log row, appended in batches by SendLogWriter).
 *
 * @example
 * const sink = new EmailSink({ store, ledger, dispatcher, recommend, options });
 * await sink.start();
 * const result = await sink.submit({ campaign: "welcome", profileId: "p1", template: "order-confirmation" });
 */
export class EmailSink {
  readonly counters: EmailCounters;
  readonly cap: FrequencyCap;
  readonly #deps: EmailSinkDeps;
  readonly #opts: EmailSinkOptions;
  readonly #clock: Clock;
  readonly #batcher: Batcher<Pending>;
  readonly #outstanding = new Set<Promise<void>>();
  readonly #inflight = new Map<string, Promise<SendResult>>();
  readonly #limiter: Limiter;
  readonly #log: SendLogWriter;
  /** Recommendation queries run one at a time: DuckDB runs them on all cores anyway, and the first call builds models. */
  readonly #recommendLock = new Limiter(1);
  readonly #bucket: TokenBucket | undefined;
  /** Emails handed to the send stage whose first attempt has not finished (see #sendRoom). */
  #unsent = 0;
  #roomWaiters: (() => void)[] = [];
  #closed = false;

  constructor(deps: EmailSinkDeps) {
    this.#deps = deps;
    this.#opts = deps.options;
    this.#clock = deps.clock ?? systemClock;
    this.counters = deps.counters ?? emailCounters;
    this.cap = new FrequencyCap(this.#opts.frequencyCap, this.#opts.frequencyWindowMs);
    this.#limiter = new Limiter(this.#opts.sendConcurrency);
    this.#log = new SendLogWriter(deps.store);
    this.#bucket = Number.isFinite(this.#opts.sendRate)
      ? new TokenBucket(this.#opts.sendRate, this.#clock)
      : undefined;
    this.#batcher = new Batcher(
      {
        size: this.#opts.batchSize,
        delayMs: this.#opts.batchDelayMs,
        concurrency: this.#opts.batchConcurrency,
        scheduler: deps.scheduler,
      },
      (batch) => this.#processBatch(batch),
    );
  }

  get dispatcher(): Dispatcher {
    return this.#deps.dispatcher;
  }

  get options(): Readonly<EmailSinkOptions> {
    return this.#opts;
  }

  /** Creates the tables, rebuilds the frequency cap from the send log, and resumes unfinished keys. */
  async start(): Promise<{ resumed: number; held: number }> {
    await this.#deps.store.ensureSchema();
    const now = this.#clock.now();
    this.cap.load(await this.#deps.store.recentMarketing(now - this.#opts.frequencyWindowMs));
    return this.recover();
  }

  /**
   * Finishes what a previous process left. `held` keys wait for their time. `sending` keys were
   * claimed and then the process died, maybe in the middle of the SMTP transaction: the server may or
   * may not have the message. They are sent again with the SAME Message-ID and X-Nudge-Send-Id, so at
   * worst a receiver gets a duplicate it can recognise, never a lost email.
   */
  async recover(): Promise<{ resumed: number; held: number }> {
    let resumed = 0;
    let held = 0;
    for (const entry of await this.#deps.ledger.unfinished()) {
      if (entry.state === "held") {
        held++;
        this.#scheduleHeld(entry.request, Date.parse(entry.until ?? entry.at));
      } else {
        resumed++;
        this.counters.resumed++;
        void this.submit(entry.request).catch(() => {});
      }
    }
    return { resumed, held };
  }

  /** Queues one request; resolves when its ledger entry is final (or held). Joins an identical in-flight key. */
  submit(input: SendRequest | Parameters<typeof SendRequest.parse>[0]): Promise<SendResult> {
    const req = SendRequest.parse(input);
    const key = sendKey(req);
    const sendId = sendIdOf(key);
    const existing = this.#inflight.get(sendId);
    if (existing) return existing;
    if (this.#closed) return Promise.reject(new Error("email sink closed"));
    const promise = new Promise<SendResult>((resolve, reject) => {
      this.#batcher.push({ req, key, sendId, messageId: messageIdOf(key), resolve, reject });
    });
    this.#inflight.set(sendId, promise);
    const forget = () => this.#inflight.delete(sendId);
    promise.then(forget, forget);
    return promise;
  }

  /** Stops taking requests and waits for the queued ones to finish. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#batcher.drain();
    await Promise.all([...this.#outstanding]);
    await this.#log.flush();
  }

  async #processBatch(batch: Pending[]): Promise<void> {
    try {
      await this.#runBatch(batch);
    } catch (err) {
      this.#deps.logger?.error({ err: messageOf(err), size: batch.length }, "email batch failed");
      for (const p of batch) p.reject(err);
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    const { store, ledger } = this.#deps;
    const now = this.#clock.now();
    const claims = await Promise.all(batch.map((p) => this.#claim(p, now)));
    const claimed = claims.filter((c): c is Claimed => c !== undefined);
    if (claimed.length === 0) return;

    const profiles = await store.profiles(claimed.map((c) => c.req.profileId));
    const toSend: {
      c: Claimed;
      profile: NonNullable<ReturnType<typeof decide> & { action: "send" }>["profile"];
    }[] = [];
    const finals: Promise<void>[] = [];
    for (const c of claimed) {
      const d = decide({
        req: c.req,
        profile: profiles.get(c.req.profileId),
        resumed: c.resumed,
        now,
        quietHours: this.#opts.quietHours,
        cap: this.cap,
      });
      if (d.action === "send") {
        c.capTakenAt = d.capTakenAt;
        toSend.push({ c, profile: d.profile });
      } else if (d.action === "skip") {
        countSkip(this.counters, d.reason);
        const email = profiles.get(c.req.profileId)?.email;
        finals.push(this.#finish(c, { state: "skipped", reason: d.reason }, now, [], email).catch(c.reject));
      } else {
        this.counters.held++;
        const entry = { ...c.entry, state: "held" as const, until: new Date(d.until).toISOString() };
        finals.push(
          ledger.put(entry).then(async () => {
            this.#scheduleHeld(c.req, d.until);
            await this.#log.add(sendLogRow(c, entry, now, [], profiles.get(c.req.profileId)?.email));
            c.resolve({ ...this.#result(c), status: "held", reason: entry.until });
          }, c.reject),
        );
      }
    }

    const recs = await recommendForBatch(this.#deps.recommend, this.#recommendLock, {
      requests: toSend.map((t) => t.c.req),
      now,
      limit: this.#opts.recommendationLimit,
    });
    const productIds = new Set<string>();
    for (const t of toSend) for (const it of t.c.req.items) productIds.add(it.productId);
    for (const list of recs.values()) for (const r of list) productIds.add(r.productId);
    const products = await store.products([...productIds]);

    for (const { c, profile } of toSend) {
      const candidates = (recs.get(c.req.profileId) ?? []).filter(
        (r) => !c.req.items.some((it) => it.productId === r.productId) && products.has(r.productId),
      );
      const chosen = candidates.slice(0, this.#opts.recommendationLimit);
      const { ctx, mail } = compose(
        {
          req: c.req,
          key: c.key,
          sendId: c.sendId,
          messageId: c.messageId,
          profile,
          products,
          recommendations: chosen,
          now,
        },
        this.#opts,
      );
      // Per email from here on: a fault rejects only its own request, never emails already sent.
      this.#unsent++;
      finals.push(this.#deliver(c, { template: c.req.template, ctx, mail }, chosen, now).catch(c.reject));
    }
    const all = Promise.allSettled(finals).then(() => {
      this.#outstanding.delete(all);
    });
    this.#outstanding.add(all);
    // The batch slot is freed once the send stage has room: the next batch's lookups overlap these
    // sends, but while sending is the bottleneck new triggers wait in the batcher (un-acked) and make
    // the next batch a full one. Freeing the slot at once let acks trickle back and cut batches of a
    // hundred, each paying a whole recommendation query (measured: 228 queries for 30k emails).
    await this.#sendRoom();
  }

  /** Resolves when less than a batch of emails waits behind the `sendConcurrency` ones being sent. */
  #sendRoom(): Promise<void> {
    if (this.#hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #hasRoom(): boolean {
    return this.#unsent < this.#opts.batchSize + this.#opts.sendConcurrency;
  }

  #firstAttemptDone(): void {
    this.#unsent--;
    if (this.#hasRoom()) for (const w of this.#roomWaiters.splice(0)) w();
  }

  async #claim(p: Pending, now: number): Promise<Claimed | undefined> {
    const entry: LedgerEntry = {
      state: "sending",
      key: p.key,
      sendId: p.sendId,
      messageId: p.messageId,
      request: p.req,
      at: new Date(now).toISOString(),
      attempts: 0,
    };
    let claim = await this.#deps.ledger.claim(entry);
    if (!claim.claimed && !FINAL_STATES.has(claim.entry.state)) {
      // Nobody in this process owns it (it is not in flight here): a dead process's `sending` or a held key.
      const previous = claim.entry;
      claim = await this.#deps.ledger.takeOver(
        { ...entry, attempts: previous.attempts },
        claim.revision,
        previous,
      );
    }
    if (!claim.claimed) {
      this.counters.duplicates++;
      p.resolve({ ...this.#result(p), status: "duplicate", reason: claim.entry.state });
      return undefined;
    }
    return {
      ...p,
      entry: { ...entry, attempts: claim.previous?.attempts ?? 0 },
      resumed: claim.previous?.state === "sending",
    };
  }

  async #deliver(c: Claimed, job: RenderJob, recs: Recommendation[], now: number): Promise<void> {
    const { backoff } = this.#opts;
    let attempts = c.entry.attempts;
    let first = true;
    for (;;) {
      let out: Awaited<ReturnType<Dispatcher["dispatch"]>>;
      try {
        await this.#bucket?.take();
        attempts++;
        out = await this.#limiter.run(() => this.#deps.dispatcher.dispatch(job));
      } finally {
        if (first) this.#firstAttemptDone();
        first = false;
      }
      if (out.ok) {
        this.counters.sent++;
        return this.#finish(c, { state: "sent", response: out.response, attempts }, now, recs, job.mail.to);
      }
      if (out.permanent || attempts >= backoff.maxAttempts) {
        this.counters.failed++;
        if (c.capTakenAt !== undefined) this.cap.release(c.req.profileId, c.capTakenAt);
        const template = "template" in out;
        if (out.permanent && !template) {
          await this.#deps.store.suppress(job.mail.to, "smtp_permanent", out.error, this.#clock.now());
        }
        const reason = template ? "template" : out.permanent ? "rejected" : "retries_exhausted";
        return this.#finish(
          c,
          { state: "failed", error: out.error, reason, attempts },
          now,
          recs,
          job.mail.to,
        );
      }
      this.counters.retries++;
      this.#deps.logger?.warn(
        { sendId: c.sendId, attempts, error: out.error },
        "temporary SMTP failure, retrying",
      );
      await this.#clock.sleep(retryDelay(attempts, backoff.baseMs, backoff.maxMs));
    }
  }

  async #finish(
    c: Claimed,
    patch: Partial<LedgerEntry> & { state: "sent" | "failed" | "skipped" },
    createdAt: number,
    recs: Recommendation[],
    email: string | undefined,
  ): Promise<void> {
    const entry: LedgerEntry = { ...c.entry, ...patch, at: new Date(this.#clock.now()).toISOString() };
    // Log first, ledger second: see SendLogWriter. A log write that fails must not turn a sent email
    // into a resend, so it is reported and the ledger still records the outcome.
    await this.#log.add(sendLogRow(c, entry, createdAt, recs, email)).catch((err: unknown) => {
      this.#deps.logger?.error({ err: messageOf(err), sendId: c.sendId }, "send log append failed");
    });
    await this.#deps.ledger.put(entry);
    c.resolve({
      ...this.#result(c),
      status: entry.state as SendResult["status"],
      reason: entry.reason,
      response: entry.response,
      error: entry.error,
    });
  }

  #result(p: Pending): Pick<SendResult, "sendId" | "key" | "messageId"> {
    return { sendId: p.sendId, key: p.key, messageId: p.messageId };
  }

  #scheduleHeld(req: SendRequest, until: number): void {
    void this.#clock.sleep(until - this.#clock.now()).then(() => {
      if (!this.#closed) this.submit(req).catch(() => {});
    });
  }
}
