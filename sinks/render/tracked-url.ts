/**
 * Safe links with tracking parameters. Only http and https survive; anything else (`javascript:`,
 * `data:`, `mailto:`, garbage) becomes the shop URL, so a bad product URL never ships a dangerous link.
 *
 * @example
 * trackedUrl("https://shop.example/p/1?color=red#reviews", {
 *   base: "https://shop.example/",
 *   tracking: { campaign: "cart-reminder", sendId: "s-1" },
 * });
 * // "https://shop.example/p/1?color=red&utm_source=nudge&utm_medium=email&utm_campaign=cart-reminder&nudge_send=s-1#reviews"
 */

export interface TrackedUrlOptions {
  /** The fallback for unsafe or missing URLs, and the base for relative ones (the shop URL). */
  base: string;
  tracking?: { campaign: string; sendId: string };
  /** utm_content, e.g. "item" or "recommendation". */
  content?: string;
  /** false: return the safe URL without tracking parameters (unsubscribe links). */
  track?: boolean;
}

const TRACKING_KEYS = new Set(["utm_source", "utm_medium", "utm_campaign", "utm_content", "nudge_send"]);

function parseHttp(raw: unknown, base?: string): URL | undefined {
  if (typeof raw !== "string" || raw.trim() === "") return undefined;
  if (!URL.canParse(raw, base)) return undefined;
  const u = new URL(raw, base);
  return u.protocol === "https:" || u.protocol === "http:" ? u : undefined;
}

/** The absolute http(s) URL, or undefined for anything else (relative, javascript:, data:, garbage). */
export function safeHttpUrl(raw: unknown): string | undefined {
  return parseHttp(raw)?.href;
}

function keyOf(pair: string): string {
  const eq = pair.indexOf("=");
  const key = eq < 0 ? pair : pair.slice(0, eq);
  try {
    return decodeURIComponent(key.replaceAll("+", " "));
  } catch {
    return key;
  }
}

/** An http(s) URL with tracking parameters appended; existing query pairs and fragment are kept as written. */
export function trackedUrl(raw: unknown, opts: TrackedUrlOptions): string {
  const base = parseHttp(opts.base);
  const u = parseHttp(raw, base?.href) ?? base;
  if (u === undefined) return "";
  if (opts.track === false || opts.tracking === undefined) return u.href;
  const params = new URLSearchParams({
    utm_source: "nudge",
    utm_medium: "email",
    utm_campaign: opts.tracking.campaign,
  });
  if (opts.content) params.set("utm_content", opts.content);
  params.set("nudge_send", opts.tracking.sendId);
  // Keep the shop's own pairs byte for byte (re-serialising could change their encoding); replace ours.
  const kept = u.search
    .slice(1)
    .split("&")
    .filter((pair) => pair !== "" && !TRACKING_KEYS.has(keyOf(pair)));
  kept.push(params.toString());
  u.search = `?${kept.join("&")}`;
  return u.href;
}
