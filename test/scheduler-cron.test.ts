import { describe, expect, it, vi } from "vitest";
import { openBucket } from "../ingest/index.ts";
import {
  ManualClock,
  missedFire,
  nextFireTime,
  parseCampaign,
  startCampaignScheduler,
  systemClock,
} from "../sinks/index.ts";
import { startCampaignStack } from "./helpers/campaign-stack.ts";
import { emailConfig, emailDb } from "./helpers/email-fixtures.ts";
import { startTestNats } from "./helpers/nats.ts";
import { startTestSmtp } from "./helpers/smtp.ts";

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const paris = { cron: "0 9 * * 1", timezone: "Europe/Paris" };

describe("nextFireTime / missedFire", () => {
  it.each([
    // Winter (CET, UTC+1): 09:00 Paris is 08:00 UTC.
    ["2026-11-23T00:00:00Z", "2026-11-23T08:00:00.000Z"],
    ["2026-11-23T08:00:00Z", "2026-11-30T08:00:00.000Z"],
    ["2026-11-23T07:59:59Z", "2026-11-23T08:00:00.000Z"],
    // Summer time starts on Sunday 28 March 2027: Monday 09:00 Paris is 07:00 UTC.
    ["2027-03-23T00:00:00Z", "2027-03-29T07:00:00.000Z"],
  ])("0 9 * * 1 in Europe/Paris after %s is %s", (after, expected) => {
    expect(iso(nextFireTime(paris, Date.parse(after)))).toBe(expected);
  });

  it("fires `at` once, and collapses missed fires into the latest", () => {
    const at = { at: "2026-12-01T10:00:00+01:00" };
    expect(iso(nextFireTime(at, Date.parse("2026-12-01T08:59:00Z")))).toBe("2026-12-01T09:00:00.000Z");
    expect(nextFireTime(at, Date.parse("2026-12-01T09:00:00Z"))).toBeUndefined();
    expect(
      iso(missedFire(paris, Date.parse("2026-11-23T08:00:00Z"), Date.parse("2026-12-16T00:00:00Z"))),
    ).toBe("2026-12-14T08:00:00.000Z");
    expect(
      missedFire(paris, Date.parse("2026-11-23T08:00:00Z"), Date.parse("2026-11-29T00:00:00Z")),
    ).toBeUndefined();
  });
});

const weekly = parseCampaign(
  `name: weekly
kind: action
audience:
  sql: SELECT profile_id FROM profiles WHERE consent = 'subscribed' AND email IS NOT NULL
template: browse-reminder
schedule: { cron: "0 9 * * 1", timezone: Europe/Paris }
`,
  "weekly.yaml",
);

describe("campaign scheduler", () => {
  it("fires at 09:00 Paris on Mondays, never twice for one fire, and catches up missed fires once", async () => {
    await using nats = await startTestNats();
    await using smtp = await startTestSmtp();
    const db = await emailDb();
    const clock = new ManualClock(Date.parse("2026-11-23T07:00:00Z"));
    const wall = { now: () => clock.now(), sleep: systemClock.sleep };
    const config = emailConfig(smtp.url, { FREQUENCY_CAP: "100" });
    try {
      await using stack = await startCampaignStack({ nats, db, config, defs: [weekly], clock: wall });
      const { campaigns, runner } = stack;
      const state = await openBucket(nats.nc, "state");
      // Every run the scheduler starts (the ledger would hide a refire from the SMTP server).
      const fired: (string | undefined)[] = [];
      const counting = {
        startRun: (name: string, opts: Parameters<typeof campaigns.startRun>[1]) => {
          fired.push(opts.runId);
          return campaigns.startRun(name, opts);
        },
        settled: (id: string) => campaigns.settled(id),
      };
      const start = () =>
        startCampaignScheduler({ campaigns: counting, defs: [weekly], clock, state, runner });
      const audience = 3; // p1, p3, p4: subscribed with an address

      let s = start();
      await s.idle();
      expect(iso(s.next().weekly)).toBe("2026-11-23T08:00:00.000Z");
      await clock.advance(59 * 60_000);
      await s.idle();
      expect(smtp.messages).toHaveLength(0);
      await clock.advance(60_000);
      await s.idle();
      expect(smtp.messages).toHaveLength(audience);
      expect(smtp.messages[0]?.sendKey).toContain("2026-11-23T08%3A00%3A00.000Z");
      const run = await campaigns.getRun("weekly", "2026-11-23T08:00:00.000Z");
      expect(run?.status).toBe("done");

      // A restart right after the fire does not fire again.
      s.stop();
      s = start();
      await s.idle();
      expect(iso(s.next().weekly)).toBe("2026-11-30T08:00:00.000Z");
      await clock.advance(6 * 24 * 3_600_000);
      await s.idle();
      expect(smtp.messages).toHaveLength(audience);

      // A double fire of the same run id sends nothing (the run id is in every ledger key).
      const again = await campaigns.startRun("weekly", {
        dryRun: false,
        params: {},
        runId: "2026-11-23T08:00:00.000Z",
      });
      await campaigns.settled(again.id);
      expect((await campaigns.getRun("weekly", again.id))?.sends).toEqual({ duplicate: audience });

      await clock.advance(24 * 3_600_000);
      await s.idle();
      expect(smtp.messages).toHaveLength(2 * audience);

      // Down for three Mondays: on start, one catch-up run (the latest missed fire), not three.
      s.stop();
      await clock.set(Date.parse("2026-12-22T12:00:00Z"));
      s = start();
      await s.idle();
      await vi.waitFor(() => expect(smtp.messages).toHaveLength(3 * audience), { timeout: 10_000 });
      expect(smtp.messages.at(-1)?.sendKey).toContain("2026-12-21T08%3A00%3A00.000Z");
      expect(iso(s.next().weekly)).toBe("2026-12-28T08:00:00.000Z");
      const kept = await state.get("schedule.weekly");
      expect(kept?.json()).toMatchObject({ lastRunId: "2026-12-21T08:00:00.000Z" });
      expect(fired).toEqual([
        "2026-11-23T08:00:00.000Z",
        "2026-11-30T08:00:00.000Z",
        "2026-12-21T08:00:00.000Z",
      ]);
      s.stop();
    } finally {
      db.close();
    }
  });
});
