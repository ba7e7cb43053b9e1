import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";

/** What the store knows about one `Idempotency-Key`. */
interface Entry {
  state: "pending" | "done";
  bodyHash: string;
  at: number;
  status?: number;
  body?: unknown;
}

/** The outcome of `begin`: go ahead, replay a stored answer, or refuse. */
export type Begin =
  | { kind: "new"; revision: number }
  | { kind: "replay"; status: number; body: unknown }
  | { kind: "mismatch" }
  | { kind: "in_progress" };

/** A pending entry older than this is taken over (its request's process probably died). */
const STALE_PENDING_MS = 60_000;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Stable JSON: object keys sorted, so `{a,b}` and `{b,a}` hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * `Idempotency-Key` results kept in the NATS KV bucket `nudge_idempotency` (draft-ietf-httpapi-idempotency-key):
 * the same key with the same body replays the stored answer; with another body, `mismatch` (422);
 * while the first request is still running, `in_progress` (409).
 *
 * @example
 * const store = idempotencyStore(await openBucket(nc, "idempotency"), Date.now);
 * const b = await store.begin("trigger:welcome", key, body);
 */
export function idempotencyStore(kv: KV, now: () => number) {
  const enc = (e: Entry) => JSON.stringify(e);
  return {
    async begin(scope: string, key: string, body: unknown): Promise<Begin> {
      const k = sha256(`${scope}\n${key}`);
      const bodyHash = sha256(canonicalJson(body));
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await kv.get(k);
        if (current?.operation !== "PUT") {
          try {
            return {
              kind: "new",
              revision: await kv.create(k, enc({ state: "pending", bodyHash, at: now() })),
            };
          } catch {
            continue; // another request created it first: read it again
          }
        }
        const entry = current.json<Entry>();
        if (entry.bodyHash !== bodyHash) return { kind: "mismatch" };
        if (entry.state === "done") return { kind: "replay", status: entry.status ?? 200, body: entry.body };
        if (now() - entry.at < STALE_PENDING_MS) return { kind: "in_progress" };
        try {
          const revision = await kv.update(
            k,
            enc({ state: "pending", bodyHash, at: now() }),
            current.revision,
          );
          return { kind: "new", revision };
        } catch {}
      }
      return { kind: "in_progress" };
    },

    /** Stores the answer for replays. */
    async complete(
      scope: string,
      key: string,
      body: unknown,
      status: number,
      answer: unknown,
    ): Promise<void> {
      const k = sha256(`${scope}\n${key}`);
      const entry: Entry = {
        state: "done",
        bodyHash: sha256(canonicalJson(body)),
        at: now(),
        status,
        body: answer,
      };
      await kv.put(k, enc(entry));
    },

    /** Forgets a pending key after a failure, so a retry can run. */
    async abandon(scope: string, key: string): Promise<void> {
      await kv.delete(sha256(`${scope}\n${key}`));
    },
  };
}
export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
