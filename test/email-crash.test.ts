import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { describe, expect, it } from "vitest";
import { openDb } from "../ingest/index.ts";
import { triggerSubject } from "../processors/trigger.ts";
import { LedgerEntry, messageIdOf, sendIdOf, sendKey } from "../sinks/index.ts";
import { emailDb, SECRET } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const CHILD = new URL("./helpers/email-sink-child.ts", import.meta.url).pathname;
const N = 60;

function startChild(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (c: Buffer) => {
      if (c.toString().includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
}

const until = async (cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("email sink: SIGKILL during sending", () => {
  it("after a kill mid-batch and a restart, every trigger is delivered; only in-flight ones twice, with the same Message-ID", async () => {
    await using nats = await startTestNats();
    await using smtp = await startTestSmtp();
    const dir = mkdtempSync(join(tmpdir(), "nudge-email-crash-"));
    try {
      const path = join(dir, "nudge.duckdb");
      const db = await emailDb(path);
      await db.conn.run(`INSERT INTO profiles (profile_id, email, locale, timezone, consent)
        SELECT 'c' || i, 'c' || i || '@example.com', 'en-US', 'UTC', 'subscribed' FROM range(${N}) t(i)`);
      db.close();
      const env = {
        NATS_URL: nats.url,
        DUCKDB_PATH: path,
        DATA_DIR: dir,
        SMTP_URL: smtp.url,
        PUBLIC_URL: "https://nudge.example.com",
        UNSUBSCRIBE_SECRET: SECRET,
        BATCH_SIZE: "20",
        BATCH_DELAY: "50ms",
        SEND_RATE: "100000",
        LOG_LEVEL: "silent",
      };

      const release = smtp.hold(); // the server keeps messages but does not answer 250 yet
      let child = await startChild(env);
      const js = jetstream(nats.nc);
      const keys: string[] = [];
      for (let i = 0; i < N; i++) {
        const id = `cart_abandoned:c${i}:w1`;
        keys.push(sendKey({ triggerId: id, campaign: "cart_abandoned", profileId: `c${i}` }));
        const t = {
          id,
          kind: "cart_abandoned",
          profileId: `c${i}`,
          at: "2026-11-23T14:00:00.000Z",
          items: [{ productId: "sku-1", quantity: 1 }],
          windowStart: "2026-11-23T12:00:00.000Z",
          windowEnd: "2026-11-23T14:00:00.000Z",
        };
        await js.publish(triggerSubject("cart_abandoned"), JSON.stringify(t), { msgID: id });
      }
      await smtp.waitFor(5);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const inFlight = new Set(smtp.messages.map((m) => m.sendKey));
      release();

      // The ledger shows the in-flight keys as `sending`: claimed before SMTP, never finished.
      const kv = await new Kvm(nats.nc).open("nudge_ledger");
      for (const key of inFlight) {
        const e = LedgerEntry.parse((await kv.get(sendIdOf(key!)))?.json());
        expect(e.state).toBe("sending");
      }

      child = await startChild(env);
      await until(() => new Set(smtp.messages.map((m) => m.sendKey)).size === N);
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));

      const byKey = new Map<string, string[]>();
      for (const m of smtp.messages) byKey.set(m.sendKey!, [...(byKey.get(m.sendKey!) ?? []), m.messageId!]);
      expect([...byKey.keys()].sort()).toEqual([...keys].sort()); // none lost
      for (const [key, ids] of byKey) {
        if (ids.length > 1) expect(inFlight.has(key)).toBe(true); // duplicates only for in-flight keys
        for (const id of ids) expect(id).toBe(messageIdOf(key)); // and always the same Message-ID
      }
      // The documented in-flight case: each key the dead process had handed to SMTP is sent once more.
      for (const key of inFlight) expect(byKey.get(key!)).toHaveLength(2);
      expect(smtp.messages.length).toBe(N + inFlight.size);
      for (const key of keys) {
        const e = LedgerEntry.parse((await kv.get(sendIdOf(key)))?.json());
        expect(e.state).toBe("sent");
      }
      // The send log has a `sent` row for every key (rows are written before the ledger's final state).
      const after = await openDb(path);
      const logged = (
        await after.conn.runAndReadAll("SELECT DISTINCT idem_key FROM send_log WHERE status = 'sent'")
      ).getRowObjectsJS();
      after.close();
      expect(logged.map((r) => String(r.idem_key)).sort()).toEqual([...keys].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
