import { Bucket, type KV } from "@nats-io/kv";
import {
  createInbox,
  type NatsConnection,
  headers as natsHeaders,
  type Subscription,
} from "@nats-io/transport-node";
import { messageOf } from "../../ingest/index.ts";

interface PubAck {
  seq?: number;
  error?: { description?: string; err_code?: number };
}

interface Waiter {
  resolve(revision: number): void;
  reject(err: Error): void;
  at: number;
}

/** A write the server refused; `code` is JetStream's `err_code` (10071: wrong last sequence). */
export class KvWriteError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/**
 * KV writes — `put`, `create` (expected revision 0) and revision-checked `update` — as the KV client
 * sends them (a JetStream publish to the key's subject, `Nats-Expected-Last-Subject-Sequence` for
 * create/update), each with a reply subject on ONE shared inbox subscription. `kv.put` makes a
 * request per write (a promise, a timer, a mux entry and up to three `Error`s with stack traces);
 * this is a publish and one map entry. Writes made in the same tick leave in one socket write.
 * Resolves with the new revision; a refused write rejects with `KvWriteError`, a missing answer
 * after `timeoutMs` (or a closed connection) with a plain Error.
 *
 * @example const w = KvWriter.of(nc, kv); const rev = await w.write("k", "v", 0); // create
 */
export class KvWriter {
  readonly #pending = new Map<number, Waiter>();
  readonly #prefix = createInbox();
  #sub: Subscription | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #next = 0;

  private constructor(
    readonly nc: NatsConnection,
    readonly kv: Bucket,
    readonly timeoutMs: number,
  ) {}

  /** A writer for `kv`, or undefined when it is not the KV client's own Bucket (then use its methods). */
  static of(nc: NatsConnection, kv: KV, timeoutMs = 10_000): KvWriter | undefined {
    return kv instanceof Bucket ? new KvWriter(nc, kv, timeoutMs) : undefined;
  }

  /** `expected`: undefined = put, 0 = create, n = update only if the key is still at revision n. */
  write(key: string, value: string, expected?: number): Promise<number> {
    this.#start();
    const id = this.#next++;
    const subject = this.kv.subjectForKey(this.kv.encodeKey(key), true);
    let headers: ReturnType<typeof natsHeaders> | undefined;
    if (expected !== undefined) {
      headers = natsHeaders();
      headers.set("Nats-Expected-Last-Subject-Sequence", String(expected));
    }
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, at: Date.now() });
      try {
        this.nc.publish(subject, this.kv.codec.value.encode(value), {
          reply: `${this.#prefix}.${id}`,
          headers,
        });
      } catch (err) {
        this.#pending.delete(id);
        reject(new Error(messageOf(err)));
      }
    });
  }

  /** Fails what is still waiting and drops the inbox subscription. */
  close(): void {
    this.#fail("KV writer closed");
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  #start(): void {
    if (this.#sub) return;
    const sub = this.nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, m) => {
        if (err) return this.#fail(messageOf(err));
        const id = Number(m.subject.slice(this.#prefix.length + 1));
        const w = this.#pending.get(id);
        if (!w) return;
        this.#pending.delete(id);
        // No stream listens on the subject: the server answers with a 503 status and no body.
        if (m.headers?.code === 503) return w.reject(new Error(`no stream for KV ${this.kv.bucket}`));
        let ack: PubAck;
        try {
          ack = m.json<PubAck>();
        } catch {
          return w.reject(new Error(`unreadable PubAck (status ${m.headers?.code ?? "none"})`));
        }
        if (ack.error) {
          w.reject(new KvWriteError(ack.error.description ?? "error PubAck", ack.error.err_code));
        } else w.resolve(ack.seq ?? 0);
      },
    });
    this.#sub = sub;
    void sub.closed.then(() => {
      if (this.#sub === sub) this.#sub = undefined;
      this.#fail("connection closed");
    });
    this.#watchdog = setInterval(() => this.#expire(), Math.min(1_000, this.timeoutMs));
    this.#watchdog.unref?.();
  }

  #expire(): void {
    const before = Date.now() - this.timeoutMs;
    for (const [id, w] of this.#pending) {
      if (w.at > before) break; // insertion order: the rest are younger
      this.#pending.delete(id);
      w.reject(new Error(`no answer from KV ${this.kv.bucket} within ${this.timeoutMs} ms`));
    }
  }

  #fail(why: string): void {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const w of waiting) w.reject(new Error(why));
  }
}
