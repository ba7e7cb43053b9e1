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

// Product links recur across emails; only nudge_send differs. Cache the rest, bounded.
const prefixes = new Map<string, { prefix: string; hash: string } | null>();
const MAX_PREFIXES = 20_000;

/** An http(s) URL with tracking parameters appended; existing query pairs and fragment are kept as written. */
export function trackedUrl(raw: unknown, opts: TrackedUrlOptions): string {
  const t = opts.track === false ? undefined : opts.tracking;
  if (t === undefined)
    return (parseHttp(raw, parseBase(opts.base)?.href) ?? parseBase(opts.base))?.href ?? "";
  const key = `${typeof raw === "string" ? raw : ""}\n${opts.base}\n${t.campaign}\n${opts.content ?? ""}`;
  let entry = prefixes.get(key);
  if (entry === undefined) {
    entry = trackedPrefix(raw, opts.base, t.campaign, opts.content);
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
    prefixes.set(key, entry);
  }
  return entry === null ? "" : `${entry.prefix}${encodeURIComponent(t.sendId)}${entry.hash}`;
}

/** Everything of the tracked URL but the send id's value: "https://…?k=v&utm_…&nudge_send=", and "#fragment". */
function trackedPrefix(
  raw: unknown,
  baseUrl: string,
  campaign: string,
  content: string | undefined,
): { prefix: string; hash: string } | null {
  const base = parseBase(baseUrl);
  const u = parseHttp(raw, base?.href) ?? base;
  if (u === undefined) return null;
  let extra = `utm_source=nudge&utm_medium=email&utm_campaign=${encodeURIComponent(campaign)}`;
  if (content) extra += `&utm_content=${encodeURIComponent(content)}`;
  extra += "&nudge_send=";
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
  return { prefix: `${head}?${kept.join("&")}`, hash };
}
