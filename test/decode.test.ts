import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeEvent,
  extraFields,
  KNOWN_FIELDS,
  profileToken,
  validateEventWithZod,
} from "../ingest/index.ts";
import { valid } from "./helpers/event-arbitraries.ts";

const encoder = new TextEncoder();
/** Values at and across every rule's boundary. */
const edge = fc.constantFrom<unknown>(
  "",
  "x".repeat(128),
  "x".repeat(129),
  "t".repeat(35),
  "t".repeat(36),
  "t".repeat(64),
  "t".repeat(65),
  "t".repeat(256),
  "t".repeat(257),
  0,
  -1,
  1,
  2.5,
  2 ** 60,
  null,
  "2",
  [],
  {},
  [{}],
  [{ productId: "" }],
  "EUR",
  "eur",
  "EURO",
  "not-an-email",
  "a@b",
  "A.B+c@shop.example",
  "maybe",
  "subscribed",
  "nope",
  "purchase",
  "2026-02-29T10:00:00Z",
  "2028-02-29T10:00:00Z",
  "2026-11-01T10:00Z",
  "2026-11-01T10:00:00",
  "2026-11-01T10:00:00.123456789-05:30",
  "2026-11-01T24:00:00Z",
  "2026-11-01T10:00:00+24:00",
  undefined,
);
// Every top-level field of the contract but attributes (mutated inside, below).
const fields = [...KNOWN_FIELDS].filter((f) => f !== "attributes");
const attributeFields = ["email", "firstName", "lastName", "locale", "timezone", "consent"];
/** A valid event with at most one field (top level, in attributes or in the first item) set to an edge value. */
const body = fc.tuple(valid, fc.nat(30), edge).map(([e, at, value]) => {
  const b = structuredClone(e) as Record<string, unknown>;
  const set = (o: Record<string, unknown>, k: string) => {
    if (value === undefined) delete o[k];
    else o[k] = value;
  };
  if (at < fields.length) set(b, fields[at]!);
  else if (at < fields.length + attributeFields.length && typeof b.attributes === "object")
    set(b.attributes as Record<string, unknown>, attributeFields[at - fields.length]!);
  else if (Array.isArray(b.items))
    set(b.items[0] as Record<string, unknown>, ["productId", "quantity", "price"][at % 3]!);
  return b;
});

describe("decodeEvent", () => {
  it("gives zod's result for any body and subject (valid, mutated, partitioned)", () => {
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
          expect(decodeEvent(subject, data)).toEqual(
            validateEventWithZod(JSON.parse(JSON.stringify(b)), subject),
          );
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it("applies the schema's defaults and keeps unknown fields as extra", () => {
    const e = {
      id: "e1",
      type: "cart_add",
      profileId: "p.1",
      ts: "2026-11-01T10:00:00Z",
      productId: "sku-1",
      x: 1,
    };
    const d = decodeEvent("events.cart_add.p_1", encoder.encode(JSON.stringify(e)));
    expect(d).toEqual({ ok: true, event: { ...e, quantity: 1 }, tsMs: Date.parse(e.ts), extra: { x: 1 } });
    const p = {
      id: "e2",
      type: "purchase",
      profileId: "p1",
      ts: "2026-11-01T10:00:00Z",
      orderId: "o1",
      items: [{ productId: "a", note: "gift" }],
    };
    const dp = decodeEvent("events.purchase.p1", encoder.encode(JSON.stringify(p)));
    expect(dp.ok && dp.event).toEqual({ ...p, items: [{ productId: "a", quantity: 1 }] });
  });

  it("counts exactly the contract's fields as known", () => {
    for (const key of KNOWN_FIELDS) expect(extraFields({ [key]: 1 })).toBeUndefined();
    expect(extraFields({ id: "e", campaign: "x", Type: 1 })).toEqual({ campaign: "x", Type: 1 });
  });
});
