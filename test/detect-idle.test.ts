import { pino } from "pino";
import { VirtualAction, VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../ingest/index.ts";
import { startProcessors, type Trigger } from "../processors/index.ts";
import { publishLog, readAll, until } from "./helpers/detect-stream.ts";
import { startTestNats } from "./helpers/nats.ts";

const MIN = 60_000;
const config = { ...loadConfig({}), IDLE_ADVANCE: MIN }; // ABANDON_AFTER 2h, LATENESS 5m

/** A wall clock the test moves by hand: `advance(ms)` runs every timer due in between. */
function manualClock() {
  const clock = new VirtualTimeScheduler(VirtualAction, 0);
  return {
    clock,
    advance(ms: number) {
      clock.maxFrames = clock.now() + ms;
      clock.flush();
      clock.frame = clock.maxFrames;
    },
  };
}

describe("idle advance of the watermark", () => {
  it("fires a lone cart on a quiet stream once the wall clock has run ABANDON_AFTER + LATENESS", async () => {
    await using nats = await startTestNats();
    const t = Date.UTC(2026, 10, 23, 10);
    const event = {
      id: "e1",
      type: "cart_add",
      profileId: "p1",
      productId: "sku-1",
      quantity: 2,
      price: 9.5,
      ts: new Date(t).toISOString(),
    } as const;
    await publishLog(nats.nc, [{ event, tsMs: t, arriveMs: t }]);
    const { clock, advance } = manualClock();
    // Coarse timers: VirtualTimeScheduler nests every rescheduled action, so keep their number small.
    const p = await startProcessors({
      nc: nats.nc,
      config,
      logger: pino({ level: "silent" }),
      scheduler: clock,
      checkpoint: { everyMs: MIN },
      statsEveryMs: 60 * MIN,
    });
    await until(() => p.stats().eventsIn === 1, 10_000, "the event to arrive");
    expect(p.stats().openCarts).toBe(0); // still buffered: the watermark has not passed it

    advance(2 * 60 * MIN); // quiet for 2h: the watermark is at t + 2h − 5m, short of the deadline t + 2h
    expect(p.stats().openCarts).toBe(1);
    expect(p.stats().triggersOut.cart_abandoned).toBe(0);

    advance(7 * MIN); // 2h07m: past the deadline plus the lateness
    expect(p.stats().openCarts).toBe(0);
    // The checkpoint timer (every minute of the clock) publishes the batch once the previous flush is done.
    await until(
      () => {
        advance(MIN);
        return p.stats().triggersOut.cart_abandoned === 1;
      },
      10_000,
      "the trigger to be published",
    );
    await p.stop();

    const [m, ...rest] = await readAll<Trigger>(nats.nc, "TRIGGERS");
    expect(rest).toEqual([]);
    expect(m?.body).toMatchObject({
      kind: "cart_abandoned",
      profileId: "p1",
      windowStart: event.ts,
      at: new Date(t + 2 * 60 * MIN).toISOString(),
      items: [{ productId: "sku-1", quantity: 2, price: 9.5 }],
    });
  });
});
