import { extraFields, profileToken, ShopEvent } from "./event.ts";
import { MAX_EVENT_BYTES } from "./nats.ts";

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
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch (err) {
    return {
      ok: false,
      reason: "json",
      error: `not UTF-8 JSON: ${err instanceof Error ? err.message : err}`,
    };
  }
  return validateEvent(json, subject);
}

/** Validates a parsed body; with `subject`, also the subject rule. Used by ingest and `POST /v1/events`. */
export function validateEvent(json: unknown, subject?: string): Decoded {
  const parsed = ShopEvent.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    return { ok: false, reason: "schema", error: issues.join("; ") };
  }
  const event = parsed.data;
  if (subject !== undefined) {
    const problem = subjectProblem(subject, event);
    if (problem) return { ok: false, reason: "subject", error: problem };
  }
  return { ok: true, event, tsMs: Date.parse(event.ts), extra: extraFields(event) };
}

function subjectProblem(subject: string, event: ShopEvent): string | undefined {
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
