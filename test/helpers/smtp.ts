import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerDataStream } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
  /** Parsed lazily with mailparser. */
  parse(): Promise<ParsedMail>;
  /** Message-ID and X-Nudge-Send-Id, read from the raw headers (no full parse). */
  messageId: string | undefined;
  sendKey: string | undefined;
  /** A raw header value, unfolded. */
  header(name: string): string | undefined;
}

export interface TestSmtp extends AsyncDisposable {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** Answer `code` (4xx temporary, 5xx permanent) to RCPT TO for this address; `times` then accept (default: always). */
  reject(address: string, code: number, times?: number): void;
  /** Stop listening (clients get ECONNREFUSED) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Accept DATA but hold the final reply until the returned release is called (the message is kept). */
  hold(): () => void;
  /** Resolves when at least `n` messages arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}

function header(raw: Buffer, name: string): string | undefined {
  const head = raw.subarray(0, Math.max(0, raw.indexOf("\r\n\r\n")) || raw.length).toString("utf8");
  const unfolded = head.replace(/\r?\n(?=[ \t])/g, "");
  const m = new RegExp(`^${name}:\\s*(.*)$`, "im").exec(unfolded);
  return m?.[1]?.trim();
}

/**
 * A real smtp-server on 127.0.0.1 (port 0, then kept across down/up) that collects every message,
 * with switches to reject recipients, to be down, and to hold replies.
 *
 * @example
 * await using smtp = await startTestSmtp();
 * smtp.reject("bounce@example.com", 550);
 */
export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const rejects = new Map<string, { code: number; times: number }>();
  let holding: Promise<void> | undefined;
  const waiters: { n: number; resolve: () => void }[] = [];

  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      closeTimeout: 50,
      size: 10 * 1024 * 1024,
      onRcptTo(address, _session, cb) {
        const r = rejects.get(address.address.toLowerCase());
        if (r && r.times !== 0) {
          r.times -= 1;
          const err = Object.assign(new Error(r.code >= 500 ? "no such user" : "try again later"), {
            responseCode: r.code,
          });
          return cb(err);
        }
        cb();
      },
      onData(stream: SMTPServerDataStream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks);
          const env = session.envelope;
          messages.push({
            from: env.mailFrom ? env.mailFrom.address : "",
            to: env.rcptTo.map((a) => a.address),
            raw,
            parse: () => simpleParser(raw),
            messageId: header(raw, "Message-ID"),
            sendKey: header(raw, "X-Nudge-Send-Id"),
            header: (name) => header(raw, name),
          });
          for (const w of [...waiters]) {
            if (messages.length >= w.n) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          }
          const reply = () => cb(null, "250 queued");
          if (holding) holding.then(reply);
          else reply();
        });
      },
    });

  // A client killed mid-transaction (the crash test) resets its connections: that is the test, not a fault.
  const listen = (s: SMTPServer) => s.on("error", () => {});
  let server = listen(make());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  let isUp = true;

  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    reject(address, code, times = -1) {
      rejects.set(address.toLowerCase(), { code, times });
    },
    async down() {
      if (!isUp) return;
      isUp = false;
      await close();
    },
    async up() {
      if (isUp) return;
      server = listen(make());
      await new Promise<void>((resolve, reject) => {
        server.server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
      });
      isUp = true;
    },
    hold() {
      let release = () => {};
      holding = new Promise<void>((r) => {
        release = () => {
          holding = undefined;
          r();
        };
      });
      return release;
    },
    waitFor(n, timeoutMs = 20_000) {
      if (messages.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`only ${messages.length} of ${n} messages arrived`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    async [Symbol.asyncDispose]() {
      if (isUp) await close();
    },
  };
}
