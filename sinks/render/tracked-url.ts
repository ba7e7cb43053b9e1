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

const bases = new Map<string, URL | undefined>();

function parseHttp(raw: unknown, base?: string): URL | undefined {
  if (typeof raw !== "string" || raw.trim() === "") return undefined;
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  return u.protocol === "https:" || u.protocol === "http:" ? u : undefined;
}

/** The shop URL is the same for every link of every email: parse it once. */
function parseBase(raw: string): URL | undefined {
  if (!bases.has(raw)) {
    if (bases.size > 1000) bases.clear();
    bases.set(raw, parseHttp(raw));
  }
  return bases.get(raw);
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
  const base = parseBase(opts.base);
  const u = parseHttp(raw, base?.href) ?? base;
  if (u === undefined) return "";
  if (opts.track === false || opts.tracking === undefined) return u.href;
  let extra = `utm_source=nudge&utm_medium=email&utm_campaign=${encodeURIComponent(opts.tracking.campaign)}`;
  if (opts.content) extra += `&utm_content=${encodeURIComponent(opts.content)}`;
  extra += `&nudge_send=${encodeURIComponent(opts.tracking.sendId)}`;
  // Keep the shop's own pairs byte for byte (re-serialising could change their encoding); replace ours.
  const { href, search, hash } = u;
  // Cut at "#", then at "?": "https://x/?#a" has an empty search, "https://x/y#a?b" a "?" in its fragment.
  const h = href.indexOf("#");
  const beforeHash = h >= 0 ? href.slice(0, h) : href;
  const q = beforeHash.indexOf("?");
  const head = q >= 0 ? beforeHash.slice(0, q) : beforeHash;
  const kept =
    search === ""
      ? []
      : search
          .slice(1)
          .split("&")
          .filter((p) => p !== "" && !TRACKING_KEYS.has(keyOf(p)));
  kept.push(extra);
  return `${head}?${kept.join("&")}${hash}`;
}
