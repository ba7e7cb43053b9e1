import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createTransport } from "nodemailer";
import MailComposer, { type MailComposerOptions } from "nodemailer/lib/mail-composer";
import MimeNode from "nodemailer/lib/mime-node";
// ingest/errors.ts, not ingest/index.ts: this runs in the email worker threads too, where the index
// (DuckDB, NATS, Arrow) would cost each thread ~45 MB of RSS (measured).
import { messageOf } from "../../ingest/errors.ts";

/** One email, fully decided: who, what, and the headers that make it idempotent. */
export interface OutgoingEmail {
  sendId: string;
  key: string;
  messageId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

/** What one SMTP transaction (or outbox write) came to. Expected outcomes are values. */
export type DeliveryOutcome =
  | { ok: true; response: string }
  | { ok: false; permanent: boolean; error: string; responseCode?: number };

export interface Mailer {
  /** `smtp://host:port` (password masked) or `outbox:<dir>`. */
  readonly describe: string;
  send(mail: OutgoingEmail): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

/**
 * The RFC 5322 message, built once into a Buffer (nodemailer's MailComposer). Text parts are base64:
 * measured here, composing to a buffer with base64 and handing SMTP the raw bytes sends ~1.5–2× as
 * many emails per second as `sendMail({ html, text })` with its default quoted-printable streaming.
 * The tree MailComposer compiles is written out in one synchronous pass (`mimeOf`); only a tree it
 * does not cover goes through nodemailer's streaming `build()`.
 */
export function buildMime(mail: OutgoingEmail): Promise<Buffer> {
  return mimeBytes(mimeTree(mail));
}

// Multipart boundaries: a random prefix per process and a counter, instead of nodemailer drawing 8
// random bytes for each message (a synchronous randomBytes call costs ~10 µs here). Still unguessable
// from outside, and the parts are base64 (no "_" in it) or plain text.
const boundaryPrefix = randomBytes(8).toString("hex");
let boundaries = 0;

// MimeNode normalises a header key (three regex passes) every time one is set, read or encoded:
// ~40 times per email, ~20% of building it. The result depends on the key alone, so it is remembered
// (nodemailer is pinned: package.json).
const normalizeKey = (MimeNode.prototype as unknown as { _normalizeHeaderKey(k: unknown): string })
  ._normalizeHeaderKey;
const normalizedKeys = new Map<string, string>();
(MimeNode.prototype as unknown as { _normalizeHeaderKey(k: unknown): string })._normalizeHeaderKey =
  function (this: MimeNode, key: unknown): string {
    if (typeof key !== "string") return normalizeKey.call(this, key);
    let out = normalizedKeys.get(key);
    if (out === undefined) {
      out = normalizeKey.call(this, key);
      if (normalizedKeys.size < 1_000) normalizedKeys.set(key, out);
    }
    return out;
  };

/**
 * The MIME tree of one email: multipart/alternative with its text and html parts, base64, built from
 * nodemailer's MimeNode directly: what MailComposer makes of the same fields (`composedTree`; the
 * tests compare the bytes), without its general passes (attachments, alternatives, data URLs) and
 * without the 8 random bytes it draws for each part's unused boundary (~0.06 ms per email together).
 * `fixed` pins the date and boundary (tests).
 */
export function mimeTree(mail: OutgoingEmail, fixed: { date?: Date; baseBoundary?: string } = {}): MimeNode {
  if (!mail.text || !mail.html) return composedTree(mail, fixed);
  const options = {
    baseBoundary: fixed.baseBoundary ?? `${boundaryPrefix}${(boundaries++).toString(36)}`,
    textEncoding: "base64" as const,
  };
  const root = new MimeNode("multipart/alternative", options);
  root.createChild("text/plain; charset=utf-8", options).setContent(mail.text);
  root.createChild("text/html; charset=utf-8", options).setContent(mail.html);
  // MailComposer's order: the custom headers, then the standard ones (which replace a custom one).
  root.addHeader({ "X-Nudge-Send-Id": mail.key, ...mail.headers });
  root.setHeader("from", mail.from);
  root.setHeader("to", mail.to);
  if (mail.subject) root.setHeader("subject", mail.subject);
  root.setHeader("message-id", mail.messageId);
  if (fixed.date) root.setHeader("date", fixed.date);
  return root;
}

/** The MIME tree MailComposer compiles (`extra`: more of its options, such as attachments). */
export function composedTree(mail: OutgoingEmail, extra: Partial<MailComposerOptions> = {}): MimeNode {
  return new MailComposer({
    baseBoundary: `${boundaryPrefix}${(boundaries++).toString(36)}`,
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: mail.messageId,
    headers: { "X-Nudge-Send-Id": mail.key, ...mail.headers },
    textEncoding: "base64",
    ...extra,
  }).compile();
}

/**
 * The bytes `MimeNode#build()` streams, written in one pass, for a tree of string parts that are
 * base64 or 7bit (what MailComposer makes of html + text with `textEncoding: "base64"`): nodemailer
 * still makes every header (`buildHeaders`), the boundaries, and base64 in 76-character lines (what its
 * Encoder documents as its output: `wrap(encode(…), 76)`, here without the regex pass); this only skips ~10 streams, pipelines and
 * setImmediates per email (~0.25 ms of CPU: FACTS.md's 2,600 builds/s). Undefined for anything
 * else (attachments, streams, quoted-printable, newline conversion): build() handles those.
 * `test/email-mime.test.ts` checks the two give the same bytes.
 */
export function mimeOf(node: MimeNode): string | undefined {
  if (node.newline !== undefined) return undefined;
  const content = node.content;
  if (content !== undefined && content !== "" && typeof content !== "string") return undefined;
  const encoding = content ? node.getTransferEncoding() : false;
  if (encoding !== false && encoding !== "base64" && encoding !== "7bit") return undefined;
  let out = `${node.buildHeaders()}\r\n\r\n`;
  if (content) out += encoding === "base64" ? base64Lines(content) : content;
  if (node.multipart) {
    const children = node.childNodes;
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as MimeNode;
      const part = mimeOf(child);
      if (part === undefined) return undefined;
      out += `${i > 0 ? "\r\n" : ""}--${node.boundary}\r\n${part}`;
    }
    out += `\r\n--${node.boundary}--\r\n`;
  }
  // build() ends the message with a line break (its LastNewline stage); a child's content does not.
  if (node === node.rootNode && !out.endsWith("\n")) out += out.endsWith("\r") ? "\n" : "\r\n";
  return out;
}

/** nodemailer's `wrap(encode(text), 76)` (base64 of the UTF-8 bytes, CRLF every 76 characters), in slices. */
export function base64Lines(text: string): string {
  const b64 = Buffer.from(text, "utf8").toString("base64");
  if (b64.length <= 76) return b64;
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join("\r\n");
}

/** What the SMTP pool reads of a queued message (the part of nodemailer's MailMessage it uses). */
interface PoolMessage {
  data: Record<string, never>;
  message: {
    getEnvelope(): { from: string; to: string[] };
    messageId(): string;
    getHeader(key: string): string | undefined;
    createReadStream(): Readable;
  };
}

interface PoolTransport {
  send(
    mail: PoolMessage,
    callback: (err: Error | null, info: { rejected: string[]; response: string }) => void,
  ): void;
}

/**
 * One prebuilt message handed straight to nodemailer's SMTP pool (its transport `send`), the way
 * `sendMail({ raw, envelope })` ends up there, minus what sendMail does first for a raw message:
 * a MailMessage, the plugin stages, a second MIME tree around the bytes (8 random bytes) and a
 * stream pipeline (measured: 0.50 → 0.26 ms of CPU per email). The pool, its connections, the
 * SMTP dialogue, dot-stuffing and error reporting are nodemailer's, unchanged.
 */
function poolSend(
  pool: PoolTransport,
  m: { envelope: { from: string; to: string[] }; messageId: string; raw: Buffer },
): Promise<{ rejected: string[]; response: string }> {
  const message: PoolMessage = {
    data: {},
    message: {
      getEnvelope: () => ({ from: m.envelope.from, to: [...m.envelope.to] }),
      messageId: () => m.messageId,
      getHeader: (key) => (key.toLowerCase() === "message-id" ? m.messageId : undefined),
      createReadStream: () =>
        new Readable({
          read() {
            this.push(m.raw);
            this.push(null);
          },
        }),
    },
  };
  return new Promise((resolve, reject) =>
    pool.send(message, (err, info) => (err ? reject(err) : resolve(info))),
  );
}

/** The message's bytes: one synchronous pass when `mimeOf` covers the tree, else nodemailer's build(). */
function mimeBytes(root: MimeNode): Promise<Buffer> {
  const text = mimeOf(root);
  return text === undefined ? root.build() : Promise.resolve(Buffer.from(text, "utf8"));
}

/** The bare address of `Name <a@b>` (for the SMTP envelope). */
function bareAddress(from: string): string {
  return /<([^>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

/**
 * 5xx replies are permanent (the address is suppressed); 4xx replies, refused connections,
 * timeouts and every other transport error are temporary (retried with backoff).
 */
export function classifySmtpError(err: unknown): DeliveryOutcome & { ok: false } {
  const e = err as { responseCode?: number; response?: string; code?: string };
  const code = typeof e?.responseCode === "number" ? e.responseCode : undefined;
  return {
    ok: false,
    permanent: code !== undefined && code >= 500 && code < 600,
    error: e?.response ?? `${e?.code ? `${e.code}: ` : ""}${messageOf(err)}`,
    responseCode: code,
  };
}

export interface SmtpMailerOptions {
  /** Pooled connections (default 5). */
  maxConnections?: number;
  /** Socket/greeting timeouts in ms (default 30 s). */
  timeoutMs?: number;
}

/**
 * nodemailer pooled SMTP. `smtps://` or `?secure=true` uses implicit TLS; `?requireTLS=true` demands
 * STARTTLS. Requeueing inside the pool is switched off (`maxRequeues: 0`): a message whose connection
 * closes mid-send fails back to us, and our own ledger and retry loop decide (FACTS.md: the pool's
 * requeue is a duplicate risk).
 *
 * @example const mailer = smtpMailer("smtp://127.0.0.1:2525");
 */
export function smtpMailer(url: string, opts: SmtpMailerOptions = {}): Mailer {
  const timeout = opts.timeoutMs ?? 30_000;
  const transport = createTransport({
    url,
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: Number.POSITIVE_INFINITY,
    maxRequeues: 0,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  const pool = (transport as unknown as { transporter: PoolTransport }).transporter;
  return {
    describe: url.replace(/\/\/([^:@/]+):([^@/]+)@/, "//$1:***@"),
    async send(mail) {
      try {
        const root = mimeTree(mail);
        const raw = await mimeBytes(root);
        // The envelope as sendMail makes it: nodemailer's own address normalisation (punycode, …).
        root.setEnvelope({ from: bareAddress(mail.from), to: [mail.to] });
        const { from, to } = root.getEnvelope();
        const info = await poolSend(pool, {
          envelope: { from: from || bareAddress(mail.from), to },
          messageId: mail.messageId,
          raw,
        });
        if (info.rejected.length > 0) {
          return { ok: false, permanent: true, error: `rejected: ${String(info.rejected.join(", "))}` };
        }
        return { ok: true, response: String(info.response) };
      } catch (err) {
        return classifySmtpError(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * The embedded default when SMTP_URL is unset: one RFC 5322 `.eml` file per email in `dir` (the same
 * bytes SMTP would carry, CRLF line ends), named
 * `<sendId>.eml`, written to a temp name and renamed (atomic: a reader never sees half a file, and a
 * resend after a crash replaces the file rather than adding a second one).
 */
export function outboxMailer(dir: string): Mailer {
  mkdirSync(dir, { recursive: true });
  return {
    describe: `outbox:${dir}`,
    async send(mail) {
      try {
        const message = await buildMime(mail);
        const file = join(dir, `${mail.sendId}.eml`);
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, message);
        renameSync(tmp, file);
        return { ok: true, response: `written ${file}` };
      } catch (err) {
        return { ok: false, permanent: false, error: messageOf(err) };
      }
    },
    async close() {},
  };
}

/** SMTP when `SMTP_URL` is set, else the outbox under `<DATA_DIR>/outbox`. */
export function mailerFromConfig(
  config: { SMTP_URL?: string; DATA_DIR: string },
  opts: SmtpMailerOptions = {},
) {
  return config.SMTP_URL ? smtpMailer(config.SMTP_URL, opts) : outboxMailer(join(config.DATA_DIR, "outbox"));
}
