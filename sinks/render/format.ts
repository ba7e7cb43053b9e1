/**
 * Locale-aware formatting for the template helpers: money, dates and plurals.
 * Pure and cached: building an Intl formatter costs far more than using one, and a batch of emails
 * reuses a handful of (locale, currency, zone) combinations.
 *
 * @example
 * formatMoney(1234.5, "EUR", "fr-FR"); // "1 234,50 €" (narrow no-break space, no-break space)
 * formatDate("2026-11-23T23:30:00Z", "en-GB", "Europe/Paris", { dateStyle: "long" }); // "24 November 2026"
 * formatPlural(3, { one: "item", other: "items" }, "en-GB"); // "3 items"
 */

const numberFormats = new Map<string, { format(n: number): string }>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const pluralRules = new Map<string, Intl.PluralRules>();

/** A finite number from a number or numeric string, else undefined. */
export function toNumber(value: unknown): number | undefined {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && value.trim() !== ""
        ? Number(value)
        : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function cached<T>(cache: Map<string, T>, key: string, make: () => T, fallback: () => T): T {
  let f = cache.get(key);
  if (f === undefined) {
    try {
      f = make();
    } catch {
      // An unknown locale, currency or zone must not fail the email: fall back to a neutral format.
      f = fallback();
    }
    cache.set(key, f);
  }
  return f;
}

interface NumberFormatter {
  format(n: number): string;
}

function numberFormat(locale: string, options: Intl.NumberFormatOptions, key: string): NumberFormatter {
  return cached<NumberFormatter>(
    numberFormats,
    `${locale}|${key}`,
    () => new Intl.NumberFormat(locale, options),
    () => {
      const plain = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      // Without a usable currency style, show the amount and the code: "12.00 XYZ".
      return options.currency ? { format: (n) => `${plain.format(n)} ${options.currency}` } : plain;
    },
  );
}

// Prices recur across emails (the same products, the same locales): remember formatted amounts, bounded.
const moneyStrings = new Map<string, string>();
const MAX_MONEY_STRINGS = 50_000;

/** A currency amount in the locale's style; "" when the amount is missing. Unknown currency: "12.00 XYZ". */
export function formatMoney(amount: unknown, currency: unknown, locale: string): string {
  const n = toNumber(amount);
  if (n === undefined) return "";
  const key = `${locale}|${typeof currency === "string" ? currency : ""}|${n}`;
  let out = moneyStrings.get(key);
  if (out === undefined) {
    const code = typeof currency === "string" ? currency.toUpperCase() : "";
    out = /^[A-Z]{3}$/.test(code)
      ? numberFormat(locale, { style: "currency", currency: code }, `cur|${code}`).format(n)
      : numberFormat(locale, {}, "num").format(n);
    if (moneyStrings.size >= MAX_MONEY_STRINGS) moneyStrings.clear();
    moneyStrings.set(key, out);
  }
  return out;
}

/** A plain number in the locale's style (grouping, decimal mark); "" when missing. */
export function formatNumber(value: unknown, locale: string): string {
  const n = toNumber(value);
  return n === undefined ? "" : numberFormat(locale, {}, "num").format(n);
}

export type DateStyle = "full" | "long" | "medium" | "short";

export interface DateFormatOptions {
  dateStyle?: DateStyle;
  timeStyle?: DateStyle;
}

/** A date (ISO string, epoch ms or Date) in the given zone and locale; "" when missing or invalid. */
export function formatDate(
  value: unknown,
  locale: string,
  timeZone: string,
  opts: DateFormatOptions = {},
): string {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === "number"
        ? value
        : typeof value === "string" && value !== ""
          ? Date.parse(value)
          : NaN;
  if (!Number.isFinite(ms)) return "";
  const style: Intl.DateTimeFormatOptions = {
    dateStyle: opts.dateStyle ?? (opts.timeStyle ? undefined : "long"),
    timeStyle: opts.timeStyle,
  };
  const key = `${locale}|${timeZone}|${style.dateStyle ?? ""}|${style.timeStyle ?? ""}`;
  const f = cached(
    dateFormats,
    key,
    () => new Intl.DateTimeFormat(locale, { ...style, timeZone }),
    () => {
      try {
        return new Intl.DateTimeFormat(locale, { ...style, timeZone: "UTC" });
      } catch {
        return new Intl.DateTimeFormat("en", { ...style, timeZone: "UTC" });
      }
    },
  );
  return f.format(ms);
}

/** Forms by Intl plural category ("one", "other", ...), plus "zero" for exactly 0 in any language. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>>;

/**
 * The form the count's plural category picks in the locale (French 0 and 1 are "one"), with the count
 * in front (`withCount`, default) or where the form has "#": `{ zero: "no items", other: "# left" }`.
 */
export function formatPlural(count: unknown, forms: PluralForms, locale: string, withCount = true): string {
  const n = toNumber(count);
  if (n === undefined) return "";
  const rules = cached(
    pluralRules,
    locale,
    () => new Intl.PluralRules(locale),
    () => new Intl.PluralRules("en"),
  );
  const shown = formatNumber(n, locale);
  // "zero" is a sentence of its own ("no items"), never prefixed with the count.
  if (n === 0 && forms.zero !== undefined) return forms.zero.replaceAll("#", shown);
  const form = forms[rules.select(n)] ?? forms.other ?? forms.one ?? "";
  if (form.includes("#")) return form.replaceAll("#", shown);
  if (!withCount) return form;
  return form === "" ? shown : `${shown} ${form}`;
}
