import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { messageOf, NudgeError } from "../../ingest/index.ts";
import { KvWriter } from "./kv-writer.ts";
import { SendRequest } from "./send-request.ts";

/**
 * One entry per idempotency key in KV bucket `nudge_ledger` (KV key = send id).
 * - `sending`: claimed, the SMTP transaction may be under way (written BEFORE it starts);
 * - `held`: waiting for quiet hours to end (`until`);
 * - `sent` / `failed` / `skipped`: final, written AFTER; a final key is never sent again.
 * The request travels in the entry so a restart can finish `sending` and `held` keys on its own.
 */
export const LedgerEntry = z.object({
  state: z.enum(["sending", "held", "sent", "failed", "skipped"]),
  key: z.string(),
  sendId: z.string(),
  messageId: z.string(),
  request: SendRequest,
  at: z.string(),
  attempts: z.number().int().default(0),
  until: z.string().optional(),
  response: z.string().optional(),
  error: z.string().optional(),
  reason: z.string().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const FINAL_STATES = new Set<LedgerEntry["state"]>(["sent", "failed", "skipped"]);

export type ClaimResult =
  | { claimed: true; revision: number; previous?: LedgerEntry }
  | { claimed: false; entry: LedgerEntry; revision: number };

const encode = (e: LedgerEntry) => JSON.stringify(e);

function isWrongSequence(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(messageOf(err));
}

/**
 * The send ledger. `claim` is a KV create (only one racer wins); `takeOver` a revision-checked
 * update (only one instance resumes an orphaned `sending`/`held` entry). Given the connection, the
 * writes go through a `KvWriter` (one shared reply inbox instead of a request per write: two writes
 * per email); the semantics are the KV client's own.
 *
 * @example
 * const ledger = new Ledger(await openBucket(nc, "ledger"), nc);
 * const c = await ledger.claim(entry); if (c.claimed) { ...send...; await ledger.put({ ...entry, state: "sent" }); }
 */
export class Ledger {
  readonly #writer: KvWriter | undefined;

  constructor(
    readonly kv: KV,
    nc?: NatsConnection,
  ) {
    this.#writer = nc ? KvWriter.of(nc, kv) : undefined;
  }

  async get(sendId: string): Promise<{ entry: LedgerEntry; revision: number } | undefined> {
    const got = await this.kv.get(sendId);
    if (got?.operation !== "PUT") return undefined;
    return { entry: LedgerEntry.parse(got.json()), revision: got.revision };
  }

  async claim(entry: LedgerEntry): Promise<ClaimResult> {
    try {
      return { claimed: true, revision: await this.#write(entry, 0) };
    } catch (err) {
      if (!isWrongSequence(err)) throw ledgerFault(err, entry.sendId);
      const got = await this.kv.get(entry.sendId);
      if (got && got.operation !== "PUT") {
        // A deleted or purged key counts as absent (what kv.create does): claim it at its marker.
        return this.takeOver(entry, got.revision, undefined);
      }
      const current = await this.get(entry.sendId);
      if (!current) return this.claim(entry);
      return { claimed: false, entry: current.entry, revision: current.revision };
    }
  }

  /** Claims an entry found `sending` or `held` that nobody in this process owns. */
  async takeOver(
    entry: LedgerEntry,
    revision: number,
    previous: LedgerEntry | undefined,
  ): Promise<ClaimResult> {
    try {
      return { claimed: true, revision: await this.#write(entry, revision), previous };
    } catch (err) {
      if (!isWrongSequence(err)) throw ledgerFault(err, entry.sendId);
      const current = await this.get(entry.sendId);
      if (!current) throw ledgerFault(err, entry.sendId);
      return { claimed: false, entry: current.entry, revision: current.revision };
    }
  }

  /** Writes a new state for a key this process owns (final states, `held`, attempt counts). */
  async put(entry: LedgerEntry): Promise<void> {
    try {
      await this.#write(entry);
    } catch (err) {
      throw ledgerFault(err, entry.sendId);
    }
  }

  /** Stops the writer's inbox subscription (the KV client's own methods need nothing). */
  close(): void {
    this.#writer?.close();
  }

  /** `expected`: undefined = put, 0 = create, n = update at revision n. Resolves with the new revision. */
  #write(entry: LedgerEntry, expected?: number): Promise<number> {
    const value = encode(entry);
    if (this.#writer) return this.#writer.write(entry.sendId, value, expected);
    if (expected === undefined) return this.kv.put(entry.sendId, value);
    if (expected === 0) return this.kv.create(entry.sendId, value);
    return this.kv.update(entry.sendId, value, expected);
  }

  /** Every entry still `sending` or `held` (read at start to finish what a previous process left). */
  async unfinished(): Promise<LedgerEntry[]> {
    const status = await this.kv.status();
    if (status.values === 0) return [];
    const out: LedgerEntry[] = [];
    const watch = await this.kv.watch({ ignoreDeletes: true });
    for await (const e of watch) {
      if (e.operation === "PUT") {
        const entry = LedgerEntry.safeParse(e.json());
        if (entry.success && !FINAL_STATES.has(entry.data.state)) out.push(entry.data);
      }
      if (e.delta === 0) break;
    }
    watch.stop();
    return out;
  }
}

function ledgerFault(err: unknown, sendId: string): NudgeError {
  return new NudgeError("NUDGE_ERR_LEDGER", `send ledger write failed for ${sendId}: ${messageOf(err)}`, {
    cause: err,
    context: { sendId },
  });
}
