import { describe, expect, it } from "vitest";
import {
  quietUntil,
  type SendResult,
  signUnsubscribeToken,
  unsubscribe,
  verifyUnsubscribeToken,
} from "../sinks/index.ts";
import { SECRET } from "./helpers/email-fixtures.ts";
import { sinkRig } from "./helpers/email-sink.ts";

const promo = (profileId: string, runId: string) => ({
  campaign: "promo",
  runId,
  profileId,
  template: "browse-reminder",
  items: [{ productId: "sku-5", quantity: 1 }],
});

const HOUR = 3_600_000;

describe("email sink: consent and pressure", () => {
  it("caps marketing emails per profile in a rolling window; transactional ones are not capped", async () => {
    await using rig = await sinkRig({ env: { FREQUENCY_CAP: "2", FREQUENCY_WINDOW: "24h" } });
    const sink = rig.running.sink;
    const first = await Promise.all(["r1", "r2", "r3"].map((r) => sink.submit(promo("p1", r))));
    expect(first.map((r) => r.status).sort()).toEqual(["sent", "sent", "skipped"]);
    expect(first.find((r) => r.status === "skipped")?.reason).toBe("frequency_cap");
    const order = await sink.submit({
      campaign: "order",
      runId: "o1",
      profileId: "p1",
      template: "order-confirmation",
      transactional: true,
      data: { orderId: "o1", items: [], total: 1, currency: "USD", placedAt: "2026-11-23T14:00:00Z" },
    });
    expect(order.status).toBe("sent");
    await rig.clock.advance(23 * HOUR);
    expect((await sink.submit(promo("p1", "r4"))).reason).toBe("frequency_cap");
    await rig.clock.advance(HOUR + 1);
    expect((await sink.submit(promo("p1", "r5"))).status).toBe("sent");
    expect(rig.counters.skipped.frequency_cap).toBe(2);
    expect(rig.smtp.messages).toHaveLength(4);
  });

  it("holds marketing email in the profile's quiet hours and sends it when they end", async () => {
    // 03:00 UTC = 22:00 in New York (p1: quiet) = 12:00 in Tokyo (p4: not quiet).
    const start = Date.parse("2026-11-23T03:00:00Z");
    await using rig = await sinkRig({ env: { QUIET_HOURS: "21-8" }, start });
    const sink = rig.running.sink;
    const [ada, dee] = await Promise.all([sink.submit(promo("p1", "r1")), sink.submit(promo("p4", "r1"))]);
    expect(dee!.status).toBe("sent");
    expect(ada).toMatchObject({ status: "held", reason: "2026-11-23T13:00:00.000Z" });
    expect(rig.smtp.messages.map((m) => m.to[0])).toEqual(["dee@example.com"]);
    // Redelivery while held sends nothing either.
    expect((await sink.submit(promo("p1", "r1"))).status).toBe("held");
    await rig.clock.set(Date.parse("2026-11-23T12:59:00Z"));
    expect(rig.smtp.messages).toHaveLength(1);
    await rig.clock.set(Date.parse("2026-11-23T13:00:00Z"));
    await rig.smtp.waitFor(2);
    const held = rig.smtp.messages[1]!;
    expect(held.to).toEqual(["ada@example.com"]);
    expect(held.messageId).toBe(ada!.messageId);
  });

  it("computes quiet hours in the profile's zone, across midnight and for unknown zones", () => {
    const q = { start: 21, end: 8 };
    expect(quietUntil(Date.parse("2026-11-23T22:30:00Z"), "UTC", q)).toBe(Date.parse("2026-11-24T08:00:00Z"));
    expect(quietUntil(Date.parse("2026-11-23T07:59:00Z"), "UTC", q)).toBe(Date.parse("2026-11-23T08:00:00Z"));
    expect(quietUntil(Date.parse("2026-11-23T08:00:00Z"), "UTC", q)).toBeUndefined();
    expect(quietUntil(Date.parse("2026-11-23T13:00:00Z"), "Asia/Tokyo", q)).toBe(
      Date.parse("2026-11-23T23:00:00Z"),
    );
    expect(quietUntil(Date.parse("2026-11-23T23:00:00Z"), "Not/AZone", q)).toBe(
      Date.parse("2026-11-24T08:00:00Z"),
    );
    expect(quietUntil(Date.parse("2026-11-23T23:00:00Z"), "UTC", undefined)).toBeUndefined();
  });

  it("one-click unsubscribe: a valid token unsubscribes, a forged one is refused, later marketing is skipped", async () => {
    await using rig = await sinkRig();
    const token = signUnsubscribeToken("p1", SECRET);
    expect(verifyUnsubscribeToken(token, SECRET)).toBe("p1");
    expect(verifyUnsubscribeToken(token, "another-secret-0123456789")).toBeUndefined();
    expect(
      verifyUnsubscribeToken(
        signUnsubscribeToken("p4", SECRET).replace(/^[^.]+/, token.split(".")[0]!),
        SECRET,
      ),
    ).toBeUndefined();
    expect(verifyUnsubscribeToken("garbage", SECRET)).toBeUndefined();

    const sent = await rig.running.sink.submit(promo("p1", "r1"));
    expect(sent.status).toBe("sent");
    const listUnsub = rig.smtp.messages[0]!.header("List-Unsubscribe") ?? "";
    const fromMail = decodeURIComponent(/token=([^>]+)>/.exec(listUnsub)?.[1] ?? "");
    const profileId = verifyUnsubscribeToken(fromMail, SECRET);
    expect(profileId).toBe("p1");
    await unsubscribe({ db: rig.db }, profileId!);
    const after = await rig.running.sink.submit(promo("p1", "r2"));
    expect(after).toMatchObject({ status: "skipped", reason: "unsubscribed" });
    expect(rig.smtp.messages).toHaveLength(1);
  });

  it("paces sends to SEND_RATE on the injected clock", async () => {
    await using rig = await sinkRig({ env: { SEND_RATE: "10" } });
    const results: SendResult[] = [];
    const all = ["p1", "p3", "p4"].flatMap((p) =>
      ["a", "b"].map((r) =>
        rig.running.sink.submit({ ...promo(p, r), transactional: true }).then((x) => results.push(x)),
      ),
    );
    // Burst of 1 (rate/10), then one every 100 ms of clock time: nothing moves while the clock stands still.
    await rig.smtp.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(rig.smtp.messages.length).toBe(1);
    await rig.drive(() => results.length === 6, 100, 50);
    await Promise.all(all);
    expect(rig.smtp.messages).toHaveLength(6);
  });
});
