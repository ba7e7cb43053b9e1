import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEvent, profileToken } from "../ingest/index.ts";
import { decodeEventFast } from "../processors/index.ts";

const encoder = new TextEncoder();
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const idLike = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom("", "x".repeat(129), "a.b@c"),
);
const ts = fc.oneof(
  fc
    .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    "2026-11-01T10:00:00+01:00",
    "2026-11-01T10:00:00.123456789-05:30",
    "2026-02-29T10:00:00Z",
    "2028-02-29T10:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-11-01T10:00Z",
    "2026-11-01T10:00:00",
    "2026-11-01T24:00:00Z",
    "2026-11-01T10:00:00+24:00",
    "2026-11-01 10:00:00Z",
  ),
);
const body = fc.record(
  {
    id: fc.oneof(idLike, fc.constant(7), fc.constant(null)),
    type: fc.constantFrom("product_view", "cart_add", "cart_remove", "checkout_start", "purchase", "nope"),
    profileId: idLike,
    ts,
    productId: maybe(fc.oneof(idLike, fc.constant(3))),
    quantity: maybe(fc.constantFrom(1, 3, 0, -1, 2.5, "2", null, 2 ** 60)),
    price: maybe(fc.constantFrom(0, 9.99, -1, "1", null)),
    currency: maybe(fc.constantFrom("EUR", "eur", "EURO")),
    sessionId: maybe(fc.oneof(fc.string({ maxLength: 10 }), fc.constant("s".repeat(129)))),
    extra: maybe(fc.jsonValue()),
  },
  { requiredKeys: ["id", "type", "profileId", "ts"] },
);
const strip = (d: ReturnType<typeof decodeEvent>) =>
  d.ok ? { ok: true, event: d.event, tsMs: d.tsMs } : { ok: false, reason: d.reason, error: d.error };

describe("decodeEventFast", () => {
  it("gives decodeEvent's result for any body and subject (valid, mutated, partitioned)", () => {
    fc.assert(
      fc.property(
        body,
        fc.constantFrom("same", "partitioned", "bad-partition", "wrong-type", "wrong-profile"),
        (b, how) => {
          const type = String(b.type);
          const token = profileToken(String(b.profileId));
          const subject = {
            same: `events.${type}.${token}`,
            partitioned: `events.${type}.3.${token}`,
            "bad-partition": `events.${type}.x.${token}`,
            "wrong-type": `events.product_view_.${token}`,
            "wrong-profile": `events.${type}.${token}_`,
          }[how];
          const data = encoder.encode(JSON.stringify(b));
          expect(decodeEventFast(subject, data)).toEqual(strip(decodeEvent(subject, data)));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("takes the fast path for well-formed views and cart events (defaults applied)", () => {
    const e = {
      id: "e1",
      type: "cart_add",
      profileId: "p.1",
      ts: "2026-11-01T10:00:00Z",
      productId: "sku-1",
      x: 1,
    };
    const d = decodeEventFast("events.cart_add.p_1", encoder.encode(JSON.stringify(e)));
    expect(d).toEqual({ ok: true, event: { ...e, quantity: 1 }, tsMs: Date.parse(e.ts) });
  });
});
