import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEvent, profileToken } from "../ingest/index.ts";

const encoder = new TextEncoder();

/** The subject rule token by token, as the contract states it (DESIGN: events.<type>.<p>, partitioned or not). */
function rule(subject: string, type: string, profileId: string): boolean {
  const t = subject.split(".");
  const partitioned = t.length === 4 && /^\d+$/.test(t[2] ?? "");
  return (
    t[0] === "events" &&
    (t.length === 3 || partitioned) &&
    t[1] === type &&
    t.at(-1) === profileToken(profileId)
  );
}

describe("decodeEvent's subject check", () => {
  it("accepts exactly events.<type>[.<digits>].<profile token>, whatever the characters of the profile id", () => {
    const piece = fc.stringMatching(/^[a-z0-9._@-]{0,6}$/);
    fc.assert(
      fc.property(
        fc.constantFrom("product_view", "cart_add", "checkout_start"),
        fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.stringMatching(/^[a-zA-Z0-9.@_-]{1,8}$/)),
        fc.oneof(
          fc.constant(""),
          fc.constantFrom("3.", "12.", "x.", ".", "3", "03."),
          piece.map((p) => `${p}.`),
        ),
        fc.constantFrom("same", "token", "other"),
        piece,
        (type, profileId, middle, how, other) => {
          const tail = { same: profileId, token: profileToken(profileId), other }[how];
          const subject = `events.${type}.${middle}${tail}`;
          const event = { id: "e1", type, profileId, ts: "2026-11-01T10:00:00Z", productId: "sku-1" };
          const d = decodeEvent(subject, encoder.encode(JSON.stringify(event)));
          expect(d.ok).toBe(rule(subject, type, profileId));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
