import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { startApiServer } from "../api/index.ts";
import { loadConfig, openDb } from "../ingest/index.ts";
import { signUnsubscribeToken } from "../sinks/index.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const SECRET = "a-test-secret-of-32-characters!!";

describe("the API with the real services (queries/, sinks/)", () => {
  it("counts a stored segment, recommends, unsubscribes by signed token, checks SMTP", async () => {
    await using nats = await startTestNats();
    const dir = mkdtempSync(join(tmpdir(), "nudge-serve-"));
    await using smtp = await startTestSmtp();
    const db = await openDb(":memory:");
    try {
      await db.conn.run(
        "INSERT INTO profiles (profile_id, city, consent) SELECT 'p' || i, 'Paris', 'subscribed' FROM range(12) t(i)",
      );
      await db.conn.run(
        "INSERT INTO products (product_id, name, category, price, stock, active) SELECT 'sku-' || i, 'P' || i, 'c', 10, 5, true FROM range(5) t(i)",
      );
      const config = loadConfig({
        LOG_LEVEL: "silent",
        HTTP_PORT: "0",
        SEGMENTS_DIR: dir,
        UNSUBSCRIBE_SECRET: SECRET,
        SMTP_URL: smtp.url,
      });
      const api = await startApiServer({ config, nc: nats.nc, db });
      try {
        const put = await fetch(`${api.url}/v1/segments/parisians`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            sql: "SELECT profile_id FROM profiles WHERE city = $city",
            description: "Paris",
          }),
        });
        expect(put.status).toBe(200);
        const count = await fetch(`${api.url}/v1/segments/count`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "parisians", params: { city: "Paris" } }),
        });
        expect(await count.json()).toMatchObject({ count: 12 });
        const refused = await fetch(`${api.url}/v1/segments/count`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ sql: "SELECT * FROM read_csv('/etc/passwd')" }),
        });
        expect(refused.status).toBe(400);

        const recs = await fetch(`${api.url}/v1/profiles/p1/recommendations?strategy=popular&limit=3`);
        expect(recs.status).toBe(200);
        const items = (await recs.json()).items;
        expect(items).toHaveLength(3);
        expect(items[0].reason).toMatch(/popular/);
        const unknown = await fetch(`${api.url}/v1/profiles/p1/recommendations?strategy=nope`);
        expect(unknown.status).toBe(400);

        const token = signUnsubscribeToken("p3", SECRET);
        const one = await fetch(`${api.url}/v1/unsubscribe?token=${encodeURIComponent(token)}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "List-Unsubscribe=One-Click",
        });
        expect(one.status).toBe(200);
        const consent = await db.conn.runAndReadAll("SELECT consent FROM profiles WHERE profile_id = 'p3'");
        expect(consent.getRowObjectsJS()[0]?.consent).toBe("unsubscribed");
        const forged = signUnsubscribeToken("p4", "another-secret-of-32-characters!");
        const bad = await fetch(`${api.url}/v1/unsubscribe?token=${encodeURIComponent(forged)}`, {
          method: "POST",
        });
        expect(bad.status).toBe(400);

        const health = await fetch(`${api.url}/healthz`);
        expect(health.status).toBe(200);
        expect((await health.json()).checks.smtp).toMatchObject({ ok: true });
        await smtp.down();
        const down = await fetch(`${api.url}/healthz`);
        expect(down.status).toBe(503);
        expect((await down.json()).checks.smtp.ok).toBe(false);

        expect(
          (
            await fetch(`${api.url}/v1/campaigns/nope/runs`, {
              method: "POST",
              body: "{}",
              headers: { "content-type": "application/json" },
            })
          ).status,
        ).toBe(404);
      } finally {
        await api.stop();
      }
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("`nudge serve` listens, answers /healthz, and stops on SIGTERM", async () => {
    await using nats = await startTestNats();
    const dir = mkdtempSync(join(tmpdir(), "nudge-serve-cli-"));
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "serve", "--port", "0"], {
      env: {
        ...process.env,
        NATS_URL: nats.url,
        DUCKDB_PATH: join(dir, "db.duckdb"),
        SEGMENTS_DIR: dir,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
        createInterface({ input: child.stdout! }).on("line", (line) => {
          const m = /"url":"(http:[^"]+)"/.exec(line);
          if (m?.[1]) resolve(m[1]);
        });
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/docs/json`)).status).toBe(200);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
