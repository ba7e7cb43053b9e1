import type { Config } from "../../ingest/index.ts";
import {
  createRenderer,
  type EmailCounters,
  type EmailSinkOptions,
  ManualClock,
  newEmailCounters,
  type RunningEmailSink,
  startEmailSink,
} from "../../sinks/index.ts";
import { EMAIL_NOW, emailConfig, emailDb } from "./email-fixtures.ts";
import { startTestNats, type TestNats } from "./nats.ts";
import { startTestSmtp, type TestSmtp } from "./smtp.ts";

export interface SinkRig extends AsyncDisposable {
  nats: TestNats;
  smtp: TestSmtp;
  db: Awaited<ReturnType<typeof emailDb>>;
  clock: ManualClock;
  counters: EmailCounters;
  running: RunningEmailSink;
  /** Moves the manual clock in `stepMs` steps (letting I/O run between) until `done()` or `maxSteps`. */
  drive(done: () => boolean, stepMs?: number, maxSteps?: number): Promise<void>;
}

/** A campaign-only email sink on a manual clock, with real NATS, DuckDB and smtp-server. */
export async function sinkRig(
  opts: { env?: Record<string, string>; start?: number; options?: Partial<EmailSinkOptions> } = {},
): Promise<SinkRig> {
  const nats = await startTestNats();
  const smtp = await startTestSmtp();
  const db = await emailDb();
  const clock = new ManualClock(opts.start ?? EMAIL_NOW);
  const counters = newEmailCounters();
  const config: Readonly<Config> = emailConfig(smtp.url, opts.env);
  const running = await startEmailSink({
    nc: nats.nc,
    db,
    config,
    renderer: createRenderer(),
    clock,
    counters,
    consumeTriggers: false,
    options: { backoff: { baseMs: 1_000, maxMs: 8_000, maxAttempts: 1_000 }, ...opts.options },
  });
  return {
    nats,
    smtp,
    db,
    clock,
    counters,
    running,
    async drive(done, stepMs = 1_000, maxSteps = 400) {
      for (let i = 0; i < maxSteps && !done(); i++) {
        await clock.advance(stepMs);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async [Symbol.asyncDispose]() {
      // Keep time moving while stopping, so nothing waits forever on the manual clock (a failed test).
      let stopped = false;
      const stopping = running.stop().finally(() => {
        stopped = true;
      });
      while (!stopped) {
        await clock.advance(60_000);
        await new Promise((r) => setTimeout(r, 10));
      }
      await stopping;
      db.close();
      await smtp[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
    },
  };
}
