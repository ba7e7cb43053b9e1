// `nudge run`'s wiring of campaign definitions: one registry for the API and the journeys part in one
// process, and the folder watch carrying a change to another process (here: another host).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { startHost } from "../cli/host.ts";
import { emailConfig } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const weekly = {
  kind: "action",
  audience: { sql: "SELECT profile_id FROM profiles" },
  template: "browse-reminder",
  schedule: { cron: "0 9 * * 1", timezone: "Europe/Paris" },
};

describe("nudge run hosts campaign definitions", () => {
  it("a PUT re-arms the scheduler of its own process at once, and of another process through the folder", async () => {
    await using nats = await startTestNats();
    await using smtp = await startTestSmtp();
    const dir = mkdtempSync(join(tmpdir(), "nudge-host-campaigns-"));
    const config = emailConfig(smtp.url, {
      CAMPAIGNS_DIR: dir,
      DUCKDB_PATH: ":memory:",
      HTTP_PORT: "0",
      LOG_LEVEL: "silent",
    });
    const logger = pino({ level: "silent" });
    const all = await startHost(config, { natsUrl: nats.url, logger, parts: ["email", "api", "journeys"] });
    const other = await startHost(config, { natsUrl: nats.url, logger, parts: ["journeys"] });
    try {
      const url = all.api?.url ?? "";
      const put = await fetch(`${url}/v1/campaigns/weekly`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(weekly),
      });
      expect(put.status).toBe(201);
      // In effect when the PUT answers, in the same process.
      expect(all.scheduler?.next()).toHaveProperty("weekly");
      expect(
        (await fetch(`${url}/v1/campaigns`).then((r) => r.json())).map((c: { name: string }) => c.name),
      ).toEqual(["weekly"]);
      // The other process learns it from the folder.
      await vi.waitFor(() => expect(other.scheduler?.next()).toHaveProperty("weekly"), { timeout: 10_000 });

      expect((await fetch(`${url}/v1/campaigns/weekly`, { method: "DELETE" })).status).toBe(204);
      expect(all.scheduler?.next()).not.toHaveProperty("weekly");
      await vi.waitFor(() => expect(other.scheduler?.next()).not.toHaveProperty("weekly"), {
        timeout: 10_000,
      });
    } finally {
      await other.stop();
      await all.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
