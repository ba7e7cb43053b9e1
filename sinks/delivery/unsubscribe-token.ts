import { createHmac, timingSafeEqual } from "node:crypto";

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString("base64url");

function mac(secret: string, profileId: string): Buffer {
  return createHmac("sha256", secret).update(profileId, "utf8").digest();
}

/**
 * A one-click unsubscribe token: `base64url(profileId) "." base64url(HMAC-SHA256(profileId, secret))`.
 * It names the profile and proves nudge issued it; it never expires (RFC 8058 links must keep working).
 *
 * @example
 * const token = signUnsubscribeToken("p1", secret);
 * verifyUnsubscribeToken(token, secret) // "p1"
 */
export function signUnsubscribeToken(profileId: string, secret: string): string {
  return `${b64url(profileId)}.${b64url(mac(secret, profileId))}`;
}

/** The profile id a token was signed for, or undefined when the token is malformed or forged. */
export function verifyUnsubscribeToken(token: string, secret: string): string | undefined {
  const [idPart, sigPart, extra] = token.split(".");
  if (!idPart || !sigPart || extra !== undefined) return undefined;
  const profileId = Buffer.from(idPart, "base64url").toString("utf8");
  if (!profileId || b64url(profileId) !== idPart) return undefined;
  const given = Buffer.from(sigPart, "base64url");
  const expected = mac(secret, profileId);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return profileId;
}

/** The domain part of an address such as `nudge <shop@example.com>`. */
export function mailDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "localhost";
}

/**
 * RFC 2369 + RFC 8058 headers for a marketing email: an HTTPS one-click link and a mailto fallback.
 *
 * @example listUnsubscribeHeaders({ publicUrl: "https://shop.example", mailFrom: "shop@example.com", token })
 */
export function listUnsubscribeHeaders(opts: { publicUrl: string; mailFrom: string; token: string }): {
  url: string;
  headers: Record<string, string>;
} {
  const url = new URL("/v1/unsubscribe", opts.publicUrl);
  url.searchParams.set("token", opts.token);
  const mailto = `mailto:unsubscribe@${mailDomain(opts.mailFrom)}?subject=${encodeURIComponent(`unsubscribe ${opts.token}`)}`;
  return {
    url: url.toString(),
    headers: {
      "List-Unsubscribe": `<${url.toString()}>, <${mailto}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}
