import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../ingest/index.ts";
import { detectOptions, startProcessors, type Trigger } from "../processors/index.ts";
import { publishedLogWithOracle, triggerKey } from "./helpers/detect-oracle.ts";
import { readAll, until } from "./helpers/detect-stream.ts";
import { startTestNats } from "./helpers/nats.ts";

const config = loadConfig({});
const opts = detectOptions(config);
const logger = pino({ level: "silent" });

describe("detection through a real NATS server against a DuckDB SQL oracle", () => {
  it("emits exactly the triggers the SQL oracle derives from a 100k-event log, once each, in order", async () => {
    await using nats = await startTestNats();
    const { log, end, expected } = await publishedLogWithOracle(
      nats.nc,
      { seed: 7, events: 100_000, profiles: 5_000, days: 3 },
      opts,
    );
    expect(end).toBe(log.length);
    expect(expected.keys.length).toBeGreaterThan(5_000);
    expect(expected.late).toBeGreaterThan(0);

    // On the worker thread (the other tests run detection inline): the same triggers either way.
    const p = await startProcessors({
      nc: nats.nc,
      config,
      logger,
      checkpoint: { everyEvents: 5_000 },
      detectThread: true,
    });
    await until(() => p.stats().lastSeq >= end, 40_000, "the whole log to be checkpointed");
    await p.stop();
    const stats = p.stats();

    const got = await readAll<Trigger>(nats.nc, "TRIGGERS");
    const ids = got.map((m) => m.body.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(got.every((m) => m.msgId === m.body.id && m.subject === `triggers.${m.body.kind}`)).toBe(true);
    const keys = got.map((m) => triggerKey(m.body));
    expect(new Set(keys)).toEqual(new Set(expected.keys));
    expect(keys.length).toBe(expected.keys.length);
    // One pass over the log publishes in fire-time order (ties by profile, kind): replays are comparable.
    const order = (t: Trigger) => `${t.at}|${t.profileId}|${t.kind}`;
    const sorted = [...got].sort((a, b) => (order(a.body) < order(b.body) ? -1 : 1));
    expect(ids).toEqual(sorted.map((m) => m.body.id));

    expect(stats.eventsIn).toBe(log.length);
    expect(stats.late).toBe(expected.late);
    expect(stats.triggersOut.cart_abandoned + stats.triggersOut.browse_abandoned).toBe(ids.length);
    expect(stats.pubAckDuplicates).toBe(0);
    const dlq = await readAll(nats.nc, "DLQ", "dlq.events.late");
    expect(dlq.length).toBe(expected.late);
  }, 60_000);
});
