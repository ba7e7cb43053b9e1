import { describe, expect, it } from "vitest";
import type { SendResult } from "../sinks/index.ts";
import { sinkRig } from "./helpers/email-sink.ts";

const promo = (profileId: string, runId = "r1") => ({
  campaign: "promo",
  runId,
  profileId,
  template: "browse-reminder",
  items: [{ productId: "sku-5", quantity: 1 }],
});

function track(p: Promise<SendResult>) {
  const box: { result?: SendResult } = {};
  p.then((r) => {
    box.result = r;
  });
  return box;
}

describe("email sink: SMTP failures", () => {
  it("retries a 4xx with backoff and delivers once", async () => {
    await using rig = await sinkRig();
    rig.smtp.reject("ada@example.com", 451, 2);
    const box = track(rig.running.sink.submit(promo("p1")));
    await rig.drive(() => box.result !== undefined);
    expect(box.result).toMatchObject({ status: "sent" });
    expect(rig.counters.retries).toBe(2);
    expect(rig.smtp.messages.filter((m) => m.to.includes("ada@example.com"))).toHaveLength(1);
    const rows = (
      await rig.db.conn.runAndReadAll("SELECT status, attempts FROM send_log WHERE profile_id = 'p1'")
    ).getRowObjectsJS();
    expect(rows).toEqual([{ status: "sent", attempts: 3 }]);
  });

  it("records a 5xx per recipient, suppresses the address, and the rest of the batch is sent", async () => {
    await using rig = await sinkRig();
    rig.smtp.reject("bounce@example.com", 550);
    const results = await Promise.all(["p1", "p3", "p4"].map((p) => rig.running.sink.submit(promo(p))));
    expect(results.map((r) => r.status)).toEqual(["sent", "failed", "sent"]);
    expect(results[1]).toMatchObject({ reason: "rejected" });
    expect(results[1]!.error).toMatch(/550/);
    const suppressed = (
      await rig.db.conn.runAndReadAll("SELECT email, reason FROM email_suppressions")
    ).getRowObjectsJS();
    expect(suppressed).toEqual([{ email: "bounce@example.com", reason: "smtp_permanent" }]);
    // A later, different send to the same profile is not attempted at all.
    const later = await rig.running.sink.submit(promo("p3", "r2"));
    expect(later).toMatchObject({ status: "skipped", reason: "suppressed" });
    expect(rig.counters.skipped.suppressed).toBe(1);
    expect(rig.smtp.messages.map((m) => m.to[0]).sort()).toEqual(["ada@example.com", "dee@example.com"]);
  });

  it("loses nothing while the SMTP server is down and sends each email once when it is back", async () => {
    await using rig = await sinkRig();
    await rig.smtp.down();
    const boxes = ["p1", "p3", "p4"].flatMap((p) =>
      ["a", "b"].map((r) => track(rig.running.sink.submit(promo(p, r)))),
    );
    await rig.drive(() => rig.counters.retries >= 12, 1_000, 100);
    expect(rig.smtp.messages).toHaveLength(0);
    expect(boxes.every((b) => b.result === undefined)).toBe(true);
    await rig.smtp.up();
    await rig.drive(() => boxes.every((b) => b.result !== undefined), 2_000, 200);
    expect(boxes.map((b) => b.result?.status)).toEqual(Array(6).fill("sent"));
    const keys = rig.smtp.messages.map((m) => m.sendKey);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
  });
});
