import { eventSubject, profileToken, type ShopEvent } from "./event.ts";
import type { Rng } from "./generate-rng.ts";
import { MAX_EVENT_BYTES } from "./nats.ts";

export type MalformedReason = "json" | "schema" | "subject" | "oversize";

/** One line of the synthetic event log: a valid event (a duplicate repeats one), or a malformed one. */
export type GeneratedLine =
  | { kind: "event"; event: ShopEvent }
  | { kind: "malformed"; raw: string; subject: string; reason: MalformedReason };

const OTHER_TYPES = ["product_view", "cart_add", "purchase", "checkout_start"] as const;
const blob = "x".repeat(MAX_EVENT_BYTES);

/**
 * A malformed line made from a real event, refused by ingest for one reason: truncated JSON (35%),
 * a schema error (35%: time without zone, unknown type, quantity 0, no profileId), a subject whose
 * type differs from the body's (20%), or a body over MAX_EVENT_BYTES (10%).
 */
export function malformedLine(ev: ShopEvent, id: string, noise: Rng): GeneratedLine {
  const token = profileToken(ev.profileId);
  const r = noise.float();
  if (r < 0.35) {
    const s = JSON.stringify({ ...ev, id });
    return {
      kind: "malformed",
      raw: s.slice(0, 1 + noise.int(s.length - 1)),
      subject: eventSubject(ev),
      reason: "json",
    };
  }
  if (r < 0.7) {
    const v = noise.int(4);
    const body =
      v === 0
        ? { ...ev, id, ts: ev.ts.slice(0, 19).replace("T", " ") }
        : v === 1
          ? { ...ev, id, type: "wishlist_add" }
          : v === 2
            ? { id, type: "cart_add", profileId: ev.profileId, ts: ev.ts, productId: "sku-0", quantity: 0 }
            : { id, type: ev.type, ts: ev.ts };
    return {
      kind: "malformed",
      raw: JSON.stringify(body),
      subject: `events.${body.type}.${token}`,
      reason: "schema",
    };
  }
  if (r < 0.9) {
    const other = OTHER_TYPES.find((x) => x !== ev.type) ?? "product_view";
    return {
      kind: "malformed",
      raw: JSON.stringify({ ...ev, id }),
      subject: `events.${other}.${token}`,
      reason: "subject",
    };
  }
  return {
    kind: "malformed",
    raw: JSON.stringify({ ...ev, id, note: blob }),
    subject: eventSubject(ev),
    reason: "oversize",
  };
}
