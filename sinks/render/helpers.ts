/**
 * The template helpers. Every one renders a missing or unusable value as "" (never "undefined",
 * "NaN" or "[object Object]") and reads the locale, time zone, shop URL and tracking from `@root`.
 *
 * @example
 * {{money price currency}}              1 234,50 € (fr-FR)
 * {{money (times price quantity) currency}}   line total
 * {{date now style="long" time="short"}}   in the profile's zone and locale
 * {{plural items.length "item" "items"}}   "3 items"; or forms as written: one="# article" other="# articles" zero="none"
 * <a href="{{url url content="item"}}">   http(s) only, tracking params added; track=false to skip them
 * {{#with (image imageUrl) as |src|}}<img src="{{src}}">{{/with}}   http(s) image or nothing
 * {{or profile.firstName "there"}}
 */
import type { HelperDelegate, HelperOptions } from "handlebars";
import { type DateStyle, formatDate, formatMoney, formatNumber, formatPlural, toNumber } from "./format.ts";
import { safeHttpUrl, trackedUrl } from "./tracked-url.ts";

/** The hidden helper every `{{value}}` is routed through (see template-ast.ts). */
export const SHOW_HELPER = "_show";

interface RootView {
  locale: string;
  timezone: string;
  shop: string;
  tracking?: { campaign: string; sendId: string };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function str(v: unknown, fallback: string): string {
  return typeof v === "string" && v !== "" ? v : fallback;
}

// One view per rendered context: a cart email calls helpers ~60 times with the same root.
const views = new WeakMap<object, RootView>();

function rootOf(options: HelperOptions): RootView {
  const root: unknown = isRecord(options.data) ? options.data.root : undefined;
  if (!isRecord(root)) return viewOf({});
  let view = views.get(root);
  if (view === undefined) {
    view = viewOf(root);
    views.set(root, view);
  }
  return view;
}

function viewOf(r: Record<string, unknown>): RootView {
  const profile = isRecord(r.profile) ? r.profile : {};
  const links = isRecord(r.links) ? r.links : {};
  const t = isRecord(r.tracking) ? r.tracking : undefined;
  return {
    locale: str(profile.locale, "en"),
    timezone: str(profile.timezone, "UTC"),
    shop: str(links.shop, ""),
    tracking: t ? { campaign: str(t.campaign, ""), sendId: str(t.sendId, "") } : undefined,
  };
}

/** Handlebars passes its options object last; the rest are the template's arguments. */
function split(args: unknown[]): [unknown[], HelperOptions] {
  const options = args[args.length - 1];
  if (!isRecord(options) || !("hash" in options)) throw new Error("helper called without Handlebars options");
  return [args.slice(0, -1), options as unknown as HelperOptions];
}

function hashStr(options: HelperOptions, key: string): string | undefined {
  const v: unknown = options.hash[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

const STYLES = new Set(["full", "long", "medium", "short"]);
function style(v: string | undefined): DateStyle | undefined {
  return v !== undefined && STYLES.has(v) ? (v as DateStyle) : undefined;
}

/** What a `{{value}}` shows: strings and finite numbers; "" for anything missing or structured. */
export function show(value: unknown): unknown {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : "";
  if (typeof value === "bigint") return value.toString();
  if (isRecord(value) && typeof value.toHTML === "function") return value; // SafeString from a block helper
  return "";
}

export const helpers: Record<string, HelperDelegate> = {
  // Called for every {{value}}: always exactly one argument, so no argument splitting.
  [SHOW_HELPER]: (value: unknown) => show(value),

  money: (...args: unknown[]) => {
    const [[amount, currency], options] = split(args);
    return formatMoney(amount, currency, hashStr(options, "locale") ?? rootOf(options).locale);
  },

  number: (...args: unknown[]) => {
    const [[value], options] = split(args);
    return formatNumber(value, rootOf(options).locale);
  },

  date: (...args: unknown[]) => {
    const [[value], options] = split(args);
    const root = rootOf(options);
    return formatDate(
      value,
      hashStr(options, "locale") ?? root.locale,
      hashStr(options, "timezone") ?? root.timezone,
      {
        dateStyle: style(hashStr(options, "style")),
        timeStyle: style(hashStr(options, "time")),
      },
    );
  },

  plural: (...args: unknown[]) => {
    const [[count, one, other], options] = split(args);
    const forms: Record<string, string> = {};
    for (const k of ["zero", "one", "two", "few", "many", "other"]) {
      const v = hashStr(options, k);
      if (v !== undefined) forms[k] = v;
    }
    // Positional forms get the count in front; hash forms are used as written ("#" marks the count).
    const positional = typeof one === "string" || typeof other === "string";
    if (typeof one === "string") forms.one = one;
    if (typeof other === "string") forms.other = other;
    return formatPlural(count, forms, rootOf(options).locale, positional);
  },

  url: (...args: unknown[]) => {
    const [[raw], options] = split(args);
    const root = rootOf(options);
    return trackedUrl(raw, {
      base: root.shop,
      tracking: root.tracking,
      content: hashStr(options, "content"),
      track: options.hash.track !== false,
    });
  },

  /** An http(s) image URL as is, or "" (an unsafe image is dropped, not replaced by the shop URL). */
  image: (...args: unknown[]) => {
    const [[raw]] = split(args);
    return safeHttpUrl(raw) ?? "";
  },

  /** Product of numbers, or undefined (rendered as "") if any is missing: a line total. */
  times: (...args: unknown[]) => {
    const nums = split(args)[0].map(toNumber);
    return nums.some((n) => n === undefined) ? undefined : nums.reduce<number>((a, n) => a * (n ?? 1), 1);
  },

  /** The first argument that is neither missing nor empty. */
  or: (...args: unknown[]) =>
    split(args)[0].find((v) => v !== undefined && v !== null && v !== "" && v !== false),

  eq: (...args: unknown[]) => {
    const [[a, b]] = split(args);
    return a === b;
  },
};
