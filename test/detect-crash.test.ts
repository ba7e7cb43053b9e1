import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { connectNats, loadConfig } from "../ingest/index.ts";
import { detectOptions, type Trigger } from "../processors/index.ts";
import { seededRandom } from "./helpers/detect-log.ts";
import { publishedLogWithOracle, triggerKey } from "./helpers/detect-oracle.ts";
import { readAll, until } from "./helpers/detect-stream.ts";
import { startTestNats } from "./helpers/nats.ts";

const config = loadConfig({});
const opts = detectOptions(config);
const worker = new URL("./helpers/detect-worker.ts", import.meta.url).pathname;

interface Worker {
  child: ChildProcess;
  /** Last checkpointed EVENTS sequence seen in its log. */
  seq: number;
  /** Highest cumulative counters seen in its log. */
  pubAckDuplicates: number;
  reconciled: number;
  started: boolean;
  done: boolean;
  errors: string[];
  /** Its last log lines, for the failure message. */
  tail: string[];
  exited: Promise<void>;
}

const live = new Set<ChildProcess>();

function spawnWorker(url: string): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", worker], {
    env: {
      ...process.env,
      NATS_URL: url,
      CHECKPOINT_EVERY: "2000",
      CHUNK_BYTES: "32768",
      LOG_LEVEL: "debug",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const w: Worker = {
    child,
    seq: 0,
    pubAckDuplicates: 0,
    reconciled: 0,
    started: false,
    done: false,
    errors: [],
    tail: [],
    exited: new Promise((r) =>
      child.once("exit", () => {
        w.done = true;
        r();
      }),
    ),
  };
  live.add(child);
  child.once("exit", () => live.delete(child));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (process.env.DETECT_DEBUG) console.log(line.slice(0, 250));
    w.tail = [...w.tail.slice(-4), line.slice(0, 300)];
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line);
    } catch {
      return;
    }
    if (j.msg === "processors starting") w.started = true;
    if (typeof j.level === "number" && j.level >= 50) w.errors.push(`${j.msg}: ${j.err}`);
    if (j.msg === "checkpoint" && typeof j.lastSeq === "number") w.seq = Math.max(w.seq, j.lastSeq);
    const s = j.stats as { pubAckDuplicates?: number; reconciled?: number; lastSeq?: number } | undefined;
    if (s) {
      // A worker killed right after a checkpoint may not have logged it: its successor's stats say so.
      w.seq = Math.max(w.seq, s.lastSeq ?? 0);
      w.pubAckDuplicates = Math.max(w.pubAckDuplicates, s.pubAckDuplicates ?? 0);
      w.reconciled = Math.max(w.reconciled, s.reconciled ?? 0);
    }
    if (j.msg === "TRIGGERS dropped republished triggers") w.pubAckDuplicates += Number(j.duplicates);
  });
  return w;
}

describe("detection survives SIGKILL", () => {
  it("killed at random points during a replay and restarted, it publishes every oracle trigger exactly once, in order", async () => {
    await using nats = await startTestNats();
    const { end, expected } = await publishedLogWithOracle(
      nats.nc,
      { seed: 11, events: 25_000, profiles: 1_250, days: 2 },
      opts,
    );

    try {
      await crashAndResume(nats.url, end, expected.keys);
    } finally {
      for (const c of live) c.kill("SIGKILL");
    }
  }, 90_000);
});

async function crashAndResume(url: string, end: number, expectedKeys: string[]) {
  const rnd = seededRandom(Date.now() % 1_000_000);
  const kills: number[] = [];
  let seen = 0;
  let duplicates = 0;
  let reconciled = 0;
  for (let round = 0; round < 3; round++) {
    const w = spawnWorker(url);
    // Let it get past its last progress, then kill anywhere: mid-publish, mid-checkpoint, mid-ack.
    await until(() => w.seq > seen || w.done, 30_000, "a checkpoint");
    await new Promise((r) => setTimeout(r, rnd() * 250));
    w.child.kill("SIGKILL");
    await w.exited;
    seen = w.seq;
    kills.push(w.seq);
    duplicates += w.pubAckDuplicates;
    reconciled += w.reconciled;
    if (seen >= end) break;
  }
  // Resume to the end. A worker that stops on a fault (a PubAck timeout on a loaded machine) exits
  // non-zero; like a supervisor, start it again: that is one more restart from the checkpoint.
  const faults: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const last = spawnWorker(url);
    await until(() => last.seq >= end || last.done, 60_000, "the replay to finish").catch((err: Error) => {
      throw new Error(`${err.message}; last lines of the worker:\n${last.tail.join("\n")}`);
    });
    if (!last.done) last.child.kill("SIGTERM");
    await last.exited;
    duplicates += last.pubAckDuplicates;
    reconciled += last.reconciled;
    faults.push(...last.errors);
    if (last.seq >= end) break;
    if (attempt === 3) throw new Error(`workers kept failing: ${faults.join("; ")}`);
  }

  const nc = await connectNats(url, "crash-check");
  const got = await readAll<Trigger>(nc, "TRIGGERS");
  await nc.close();
  const ids = got.map((m) => m.body.id);
  expect(new Set(ids).size).toBe(ids.length); // the stream holds each trigger once…
  expect(duplicates).toBe(0); // …and not because its duplicate window dropped a second publish
  const keys = got.map((m) => triggerKey(m.body));
  expect(new Set(keys)).toEqual(new Set(expectedKeys));
  expect(keys.length).toBe(expectedKeys.length);
  const order = (t: Trigger) => `${t.at}|${t.profileId}|${t.kind}`;
  expect(ids).toEqual(
    [...got].sort((a, b) => (order(a.body) < order(b.body) ? -1 : 1)).map((m) => m.body.id),
  );
  console.info(
    `crash test: killed after checkpoints at seq ${kills.join(", ")} of ${end}; ${reconciled} triggers reconciled; faults: ${faults.length}`,
  );
}
