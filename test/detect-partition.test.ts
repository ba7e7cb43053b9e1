import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { connectNats, loadConfig } from "../ingest/index.ts";
import {
  detectOptions,
  type Processors,
  partitionMapping,
  startProcessors,
  type Trigger,
} from "../processors/index.ts";
import { generateLog, sentinel } from "./helpers/detect-log.ts";
import { oracle, triggerKey } from "./helpers/detect-oracle.ts";
import { lastSeq, publishLog, readAll, until } from "./helpers/detect-stream.ts";
import { startTestNats } from "./helpers/nats.ts";

const config = loadConfig({});
const opts = detectOptions(config);
const logger = pino({ level: "silent" });

/** Waits until the instances have taken in every event of the stream between them, then stops them (a stop checkpoints). */
async function runToEnd(end: number, ps: Processors[]): Promise<void> {
  await until(
    () => ps.reduce((sum, p) => sum + p.stats().eventsIn, 0) >= end,
    40_000,
    `every partition to be consumed (${JSON.stringify(ps.map((p) => p.stats()))})`,
  );
  await Promise.all(ps.map((p) => p.stop()));
}

describe("scale-out by profile partition", () => {
  it("two instances over a partitioned stream emit the same triggers as one instance", async () => {
    await using nats = await startTestNats({ configText: partitionMapping(2) });
    const log = generateLog({
      seed: 5,
      events: 20_000,
      profiles: 1_000,
      startMs: Date.UTC(2026, 10, 1),
      spanMs: 2 * 86_400_000,
    });
    // One sentinel per partition: each instance's watermark must pass every deadline of its own profiles.
    const s0 = sentinel(log, 5);
    const s1 = { ...s0, event: { ...s0.event, id: "sentinel-b", profileId: "sentinel-b" } };
    log.push(s0, s1);
    await publishLog(nats.nc, log);
    const end = await lastSeq(nats.nc, "EVENTS");
    const stored = await readAll<{ profileId: string }>(nats.nc, "EVENTS", "events.*.*.*");
    expect(stored.length).toBe(end); // every event got a partition token
    expect(new Set(stored.map((m) => m.subject.split(".")[2]))).toEqual(new Set(["0", "1"]));

    const two = await Promise.all(
      [0, 1].map(async (index) => {
        const nc = await connectNats(nats.url, `p${index}`);
        return startProcessors({
          nc,
          config,
          logger,
          partition: { index, count: 2 },
          checkpoint: { everyEvents: 2_000 },
        });
      }),
    );
    await runToEnd(end, two);
    expect(two.every((p) => p.stats().eventsIn > end / 4)).toBe(true);
    const a = (await readAll<Trigger>(nats.nc, "TRIGGERS")).map((m) => m.body);

    // One instance, unpartitioned, on its own server (TRIGGERS would drop its ids as duplicates of the above).
    await using single = await startTestNats();
    await publishLog(single.nc, log);
    const one = await startProcessors({ nc: single.nc, config, logger, checkpoint: { everyEvents: 2_000 } });
    await runToEnd(end, [one]);
    const b = (await readAll<Trigger>(single.nc, "TRIGGERS")).map((m) => m.body);

    expect(a.length).toBeGreaterThan(1_000);
    expect(new Set(a.map((t) => t.id)).size).toBe(a.length);
    expect(new Set(a.map(triggerKey))).toEqual(new Set(b.map(triggerKey)));
    expect(a.map((t) => JSON.stringify(t)).sort()).toEqual(b.map((t) => JSON.stringify(t)).sort());
    const expected = await oracle(log, opts);
    expect(new Set(b.map(triggerKey))).toEqual(new Set(expected.keys));
  }, 60_000);
});
