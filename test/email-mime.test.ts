import { simpleParser } from "mailparser";
import { encode, wrap } from "nodemailer/lib/base64";
import { describe, expect, it } from "vitest";
import {
  base64Lines,
  buildMime,
  composedTree,
  createRenderer,
  listUnsubscribeHeaders,
  messageIdOf,
  mimeOf,
  mimeTree,
  type OutgoingEmail,
  sampleContext,
  smtpMailer,
} from "../sinks/index.ts";
import { startTestSmtp } from "./helpers/smtp.ts";
import { cartContext } from "./render-fixture.ts";

const renderer = createRenderer();
const key = "trigger/cart_abandoned%3Ap-1%3Aw1/p-1/-";
const unsubscribe = listUnsubscribeHeaders({
  publicUrl: "https://shop.example.com",
  mailFrom: "Boutique Été <shop@example.com>",
  token: "cC0x.c2ln",
}).headers;

function mail(content: { subject: string; html: string; text: string }, over: Partial<OutgoingEmail> = {}) {
  return {
    sendId: "0123456789abcdef0123456789abcdef",
    key,
    messageId: messageIdOf(key),
    from: "Boutique Été <shop@example.com>",
    to: "ana@example.com",
    headers: unsubscribe,
    ...content,
    ...over,
  } satisfies OutgoingEmail;
}

const now = "2026-11-23T15:00:00.000Z";
const cases: [string, OutgoingEmail][] = [
  ...renderer.names().flatMap((name): [string, OutgoingEmail][] => [
    [`${name}, fr-FR with a hostile product name`, mail(renderer.render(name, cartContext()))],
    [`${name}, sample en-US`, mail(renderer.render(name, sampleContext({ now, locale: "en-US" })))],
    [
      `${name}, sample ja-JP`,
      mail(renderer.render(name, sampleContext({ now, locale: "ja-JP", currency: "JPY" }))),
    ],
  ]),
  [
    "plain ASCII parts (7bit)",
    mail({ subject: "Hello", html: "<p>Hello</p>", text: "Hello\n" }, { headers: {} }),
  ],
  ["no final newline", mail({ subject: "Hi", html: "<p>x</p>", text: "no newline at the end" })],
  ["a long ASCII line", mail({ subject: "Long", html: `<p>${"a".repeat(300)}</p>`, text: "b".repeat(300) })],
  ["a line starting with a dot", mail({ subject: "Dots", html: ".\n.hidden", text: ".\r\n..\n" })],
  ["empty parts", mail({ subject: "", html: "", text: "" })],
];

describe("MIME bytes written in one pass", () => {
  it.each(cases)("%s: the same bytes as nodemailer's streaming build()", async (_name, m) => {
    // A fixed date and boundary, so the two builds can be compared byte for byte.
    const fixed = { date: new Date("2026-11-23T15:00:00Z"), baseBoundary: "f1xed" };
    const oneShot = mimeOf(mimeTree(m, fixed));
    const streamed = await mimeTree(m, fixed).build();
    expect(oneShot).toBeDefined();
    expect(Buffer.from(oneShot ?? "", "utf8").equals(streamed)).toBe(true);
  });

  it.each(cases)("%s: the tree built from MimeNode gives MailComposer's bytes", (_name, m) => {
    const fixed = { date: new Date("2026-11-23T15:00:00Z"), baseBoundary: "f1xed" };
    const composed = mimeOf(composedTree(m, fixed));
    expect(composed).toBeDefined();
    expect(mimeOf(mimeTree(m, fixed))).toBe(composed);
  });

  it("base64Lines is nodemailer's wrap(encode(text), 76) for every length around a line and for long texts", () => {
    const texts = [
      ...Array.from({ length: 240 }, (_, n) => "é€x".repeat(n).slice(0, n)),
      "Prix : 1 234,50 €\n".repeat(5_000),
      "a".repeat(76 * 1024 * 3 + 5),
    ];
    for (const t of texts) expect(base64Lines(t)).toBe(wrap(encode(t), 76));
  });

  it("an email built by buildMime parses back to its parts and headers", async () => {
    const m = mail(renderer.render("cart-reminder", cartContext()));
    const parsed = await simpleParser(await buildMime(m));
    expect(parsed.messageId).toBe(m.messageId);
    expect(parsed.subject).toBe(m.subject);
    expect(parsed.html).toBe(m.html);
    expect(parsed.text).toBe(m.text);
    expect(parsed.headers.get("x-nudge-send-id")).toBe(key);
    const lines = parsed.headerLines.map((h) => h.line);
    expect(lines).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
  });

  it("smtpMailer hands the built bytes to nodemailer's pool: envelope, dot-stuffed lines and every part arrive intact", async () => {
    await using smtp = await startTestSmtp();
    const mailer = smtpMailer(smtp.url, { maxConnections: 2 });
    try {
      const dotted = mail({ subject: "Dots", html: "<p>.</p>", text: ".\n..\n.end\n" }, { headers: {} });
      const cart = mail(renderer.render("cart-reminder", cartContext()), { to: "Ana@Example.com" });
      const outcomes = await Promise.all([mailer.send(dotted), mailer.send(cart)]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
      await smtp.waitFor(2);
      const got = new Map(smtp.messages.map((m) => [m.header("Subject"), m]));
      const d = got.get("Dots");
      expect(d?.from).toBe("shop@example.com");
      expect(d?.to).toEqual(["ana@example.com"]);
      expect((await d?.parse())?.text).toBe(".\n..\n.end\n");
      const c = await got.get(cart.subject)?.parse();
      expect(c?.html).toBe(cart.html);
      expect(c?.text).toBe(cart.text);
      expect(c?.messageId).toBe(cart.messageId);
    } finally {
      await mailer.close();
    }
  });

  it("hands anything it does not cover back to build()", async () => {
    const m = mail({ subject: "s", html: "<p>x</p>", text: "x" });
    expect(mimeOf(composedTree(m, { newline: "unix" }))).toBeUndefined();
    expect(
      mimeOf(composedTree(m, { textEncoding: "quoted-printable", text: "é".repeat(5) + "abcdefghij" })),
    ).toBeUndefined();
    const withFile = composedTree(m, { attachments: [{ filename: "a.txt", content: Buffer.from("hi") }] });
    expect(mimeOf(withFile)).toBeUndefined();
  });
});
