import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageIdOf, type OutgoingEmail, smtpMailer } from "../sinks/index.ts";

const dir = mkdtempSync(join(tmpdir(), "nudge-tls-"));
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  key = readFileSync(join(dir, "key.pem"));
  cert = readFileSync(join(dir, "cert.pem"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mail: OutgoingEmail = {
  sendId: "s1",
  key: "campaign/promo/r1/p1/-",
  messageId: messageIdOf("campaign/promo/r1/p1/-"),
  from: "Shop <shop@example.com>",
  to: "ada@example.com",
  subject: "Hello",
  html: "<p>Hello</p>",
  text: "Hello",
  headers: {},
};

async function tlsServer(secure: boolean) {
  const seen: { secure: boolean; raw: string }[] = [];
  const server = new SMTPServer({
    secure,
    key,
    cert,
    authOptional: true,
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        seen.push({ secure: session.secure, raw: Buffer.concat(chunks).toString() });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  return { port, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("SMTP transport and TLS", () => {
  it("uses implicit TLS for smtps:// URLs", async () => {
    const s = await tlsServer(true);
    const mailer = smtpMailer(`smtps://127.0.0.1:${s.port}/?tls.rejectUnauthorized=false`);
    try {
      expect(await mailer.send(mail)).toMatchObject({ ok: true });
      expect(s.seen).toHaveLength(1);
      expect(s.seen[0]!.secure).toBe(true);
      expect(s.seen[0]!.raw.replace(/\r\n(?=[ \t])/g, "")).toMatch(
        new RegExp(`^Message-ID: +${mail.messageId}`, "m"),
      );
    } finally {
      await mailer.close();
      await s.close();
    }
  });

  it("upgrades with STARTTLS when the URL asks (requireTLS)", async () => {
    const s = await tlsServer(false);
    const mailer = smtpMailer(`smtp://127.0.0.1:${s.port}/?requireTLS=true&tls.rejectUnauthorized=false`);
    try {
      expect(await mailer.send(mail)).toMatchObject({ ok: true });
      expect(s.seen[0]!.secure).toBe(true);
    } finally {
      await mailer.close();
      await s.close();
    }
  });

  it("reports a refused connection as temporary", async () => {
    const s = await tlsServer(false);
    await s.close();
    const mailer = smtpMailer(`smtp://127.0.0.1:${s.port}`);
    const out = await mailer.send(mail);
    await mailer.close();
    expect(out).toMatchObject({ ok: false, permanent: false });
  });
});
