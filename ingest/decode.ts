import { z } from "zod";
import { messageOf } from "./errors.ts";
import { extraFields, profileToken, ShopEvent } from "./event.ts";
import { MAX_EVENT_BYTES } from "./limits.ts";

/** Why an event was refused; also the last token of its dead-letter subject `dlq.events.<reason>`. */
export type RejectReason = "oversize" | "json" | "schema" | "subject" | "late";

export type Decoded =
  | { ok: true; event: ShopEvent; tsMs: number; extra: Record<string, unknown> | undefined }
  | { ok: false; reason: RejectReason; error: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Checks a message against the producers' contract: size, UTF-8 JSON, schema, and that the subject
 * `events.<type>[.<partition>].<p>` agrees with the body. Never throws: a refusal is a value.
 *
 * @example decodeEvent("events.cart_add.p1", bytes) // { ok: true, event, tsMs, extra }
 */
export function decodeEvent(subject: string, data: Uint8Array): Decoded {
  if (data.byteLength > MAX_EVENT_BYTES) {
    return {
      ok: false,
      reason: "oversize",
      error: `event is ${data.byteLength} bytes, limit ${MAX_EVENT_BYTES}`,
    };
  }
  let text: string;
  try {
    text = decoder.decode(data);
  } catch (err) {
    return notJson(err);
  }
  return decodeEventText(subject, text);
}

/**
 * `decodeEvent` for a body already known to be valid UTF-8 and decoded (the history writer reads
 * ASCII bodies as latin1, with no decoder call); the size limit is the caller's to check.
 */
export function decodeEventText(subject: string, text: string): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return notJson(err);
  }
  return validateEvent(json, subject);
}

const notJson = (err: unknown): Decoded => ({
  ok: false,
  reason: "json",
  error: `not UTF-8 JSON: ${messageOf(err)}`,
});

/**
 * Validates a parsed body; with `subject`, also the subject rule. Used by ingest and `POST /v1/events`.
 * A body the hand-written check accepts (every valid event) skips zod; anything else goes through zod,
 * which gives the error. Both give the same result (test/decode.test.ts checks it on random bodies).
 */
export function validateEvent(json: unknown, subject?: string): Decoded {
  return accepted(conforming(json) ?? schemaEvent(json), subject);
}

/** The zod path alone (the reference the fast path is tested against). */
export function validateEventWithZod(json: unknown, subject?: string): Decoded {
  return accepted(schemaEvent(json), subject);
}

/** A schema-valid event checked against its subject, or the schema's refusal as it is. */
function accepted(event: ShopEvent | Extract<Decoded, { ok: false }>, subject: string | undefined): Decoded {
  if (!("type" in event)) return event;
  if (subject !== undefined) {
    const problem = subjectProblem(subject, event);
    if (problem) return { ok: false, reason: "subject", error: problem };
  }
  return { ok: true, event, tsMs: Date.parse(event.ts), extra: extraFields(event) };
}

function schemaEvent(json: unknown): ShopEvent | { ok: false; reason: "schema"; error: string } {
  const parsed = ShopEvent.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
  return { ok: false, reason: "schema", error: issues.join("; ") };
}

// The schema's rules, by hand, for the hot path (zod costs several microseconds per event).
const DATETIME = z.regexes.datetime({ offset: true, local: false, precision: null });
const EMAIL = z.regexes.email;
const CURRENCY = /^[A-Z]{3}$/;
const isId = (v: unknown) => typeof v === "string" && v.length >= 1 && v.length <= 128;
const isPrice = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v) && v >= 0);
const isQuantity = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
const isText = (v: unknown, max: number) => v === undefined || (typeof v === "string" && v.length <= max);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The event zod would output for `json` (defaults applied, purchase items stripped to their fields),
 * or undefined when any rule fails or the body is unusual — then zod decides.
 */
function conforming(json: unknown): ShopEvent | undefined {
  if (!isObject(json)) return undefined;
  const e = json;
  if (
    !isId(e.id) ||
    !isId(e.profileId) ||
    typeof e.ts !== "string" ||
    !DATETIME.test(e.ts) ||
    !isPrice(e.price) ||
    !(e.currency === undefined || (typeof e.currency === "string" && CURRENCY.test(e.currency))) ||
    !isText(e.sessionId, 128)
  ) {
    return undefined;
  }
  switch (e.type) {
    case "product_view":
      return isId(e.productId) ? (e as ShopEvent) : undefined;
    case "cart_add":
    case "cart_remove":
      if (!isId(e.productId)) return undefined;
      if (e.quantity === undefined) return { ...e, quantity: 1 } as ShopEvent;
      return isQuantity(e.quantity) ? (e as ShopEvent) : undefined;
    case "checkout_start":
      return e.productId === undefined || isId(e.productId) ? (e as ShopEvent) : undefined;
    case "purchase": {
      if (!isId(e.orderId) || !(e.productId === undefined || isId(e.productId))) return undefined;
      if (!Array.isArray(e.items) || e.items.length === 0) return undefined;
      const items = [];
      for (const it of e.items as unknown[]) {
        if (!isObject(it) || !isId(it.productId) || !isPrice(it.price)) return undefined;
        if (!(it.quantity === undefined || isQuantity(it.quantity))) return undefined;
        const item: Record<string, unknown> = { productId: it.productId, quantity: it.quantity ?? 1 };
        if (it.price !== undefined) item.price = it.price;
        items.push(item);
      }
      return { ...e, items } as ShopEvent;
    }
    case "profile_update": {
      const a = e.attributes;
      if (!isObject(a)) return undefined;
      const ok =
        (a.email === undefined || (typeof a.email === "string" && EMAIL.test(a.email))) &&
        isText(a.firstName, 256) &&
        isText(a.lastName, 256) &&
        isText(a.locale, 35) &&
        isText(a.timezone, 64) &&
        (a.consent === undefined || a.consent === "subscribed" || a.consent === "unsubscribed");
      return ok ? (e as ShopEvent) : undefined;
    }
    default:
      return undefined;
  }
}

/** A character `profileToken` keeps as it is (A-Z a-z 0-9 _ -); any other becomes "_". */
function tokenSafe(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

/**
 * True when `subject` is `events.<type>.<token>` or `events.<type>.<digits>.<token>` with `<token>` =
 * profileToken(profileId), checked in place (no split, no replaced copy of the id). False means "not
 * sure": the caller then applies the rule token by token.
 */
function subjectMatches(subject: string, type: string, profileId: string): boolean {
  const tl = type.length;
  if (!subject.startsWith("events.") || !subject.startsWith(type, 7) || subject.charCodeAt(7 + tl) !== 46) {
    return false;
  }
  const pl = profileId.length;
  let start = 8 + tl;
  if (subject.length !== start + pl) {
    // events.<type>.<partition>.<p>: digits, then a dot
    let j = start;
    while (j < subject.length && subject.charCodeAt(j) >= 48 && subject.charCodeAt(j) <= 57) j++;
    if (j === start || subject.charCodeAt(j) !== 46 || subject.length !== j + 1 + pl) return false;
    start = j + 1;
  }
  for (let k = 0; k < pl; k++) {
    const c = profileId.charCodeAt(k);
    if (subject.charCodeAt(start + k) !== (tokenSafe(c) ? c : 95)) return false;
  }
  return true;
}

function subjectProblem(subject: string, event: ShopEvent): string | undefined {
  if (subjectMatches(subject, event.type, event.profileId)) return undefined;
  const tokens = subject.split(".");
  // events.<type>.<p>, or events.<type>.<partition>.<p> when the server maps in a partition number.
  const [prefix, type] = tokens;
  const p = tokens.at(-1);
  const partitioned = tokens.length === 4 && /^\d+$/.test(tokens[2] ?? "");
  if (prefix !== "events" || !(tokens.length === 3 || partitioned)) {
    return `subject ${subject} is not events.<type>.<profile>`;
  }
  if (type !== event.type) return `subject type "${type}" differs from body type "${event.type}"`;
  if (p !== profileToken(event.profileId)) {
    return `subject profile token "${p}" differs from body profileId "${event.profileId}"`;
  }
  return undefined;
}
