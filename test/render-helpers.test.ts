import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRenderer, formatDate, formatMoney, formatPlural, trackedUrl } from "../sinks/index.ts";
import { cartContext } from "./render-fixture.ts";

const NNBSP = "\u202f";
const NBSP = "\u00a0";

describe("money", () => {
  it.each([
    [1234.5, "EUR", "fr-FR", `1${NNBSP}234,50${NBSP}€`],
    [1234.5, "EUR", "de-DE", `1.234,50${NBSP}€`],
    [1234.5, "GBP", "en-GB", "£1,234.50"],
    [1234.5, "USD", "en-GB", "US$1,234.50"],
    [1234, "JPY", "fr-FR", `1${NNBSP}234${NBSP}JPY`],
    [0, "EUR", "de-DE", `0,00${NBSP}€`],
    ["19.9", "EUR", "en-GB", "€19.90"],
    [5, "eur", "en-GB", "€5.00"],
  ])("%s %s in %s → %s", (amount, currency, locale, expected) => {
    expect(formatMoney(amount, currency, locale)).toBe(expected);
  });

  it.each([
    [undefined, "EUR"],
    [null, "EUR"],
    [Number.NaN, "EUR"],
    [Number.POSITIVE_INFINITY, "EUR"],
    ["abc", "EUR"],
    ["", "EUR"],
  ])("%s renders as empty", (amount, currency) => {
    expect(formatMoney(amount, currency, "fr-FR")).toBe("");
  });

  it("an unusable currency or locale still shows the amount", () => {
    expect(formatMoney(12, undefined, "en-GB")).toBe("12");
    expect(formatMoney(12, "EURO", "en-GB")).toBe("12");
    expect(formatMoney(12, "EUR", "not a locale!!")).toMatch(/^€?12\.00/);
  });
});

describe("date", () => {
  const lateEvening = "2026-11-23T23:30:00Z";
  it.each([
    ["fr-FR", "Europe/Paris", { dateStyle: "long" as const }, "24 novembre 2026"],
    ["en-GB", "Europe/London", { dateStyle: "long" as const }, "23 November 2026"],
    [
      "de-DE",
      "Europe/Berlin",
      { dateStyle: "long" as const, timeStyle: "short" as const },
      "24. November 2026 um 00:30",
    ],
    [
      "en-GB",
      "America/New_York",
      { dateStyle: "full" as const, timeStyle: "short" as const },
      "Monday, 23 November 2026 at 18:30",
    ],
    ["fr-FR", "Asia/Tokyo", { timeStyle: "short" as const }, "08:30"],
    ["de-DE", "UTC", { dateStyle: "short" as const }, "23.11.26"],
  ])("%s in %s %j", (locale, zone, style, expected) => {
    expect(formatDate(lateEvening, locale, zone, style)).toBe(expected);
  });

  it("missing or invalid dates render as empty; a bad zone falls back to UTC", () => {
    expect(formatDate(undefined, "fr-FR", "Europe/Paris")).toBe("");
    expect(formatDate("not a date", "fr-FR", "Europe/Paris")).toBe("");
    expect(formatDate(lateEvening, "en-GB", "Mars/Olympus")).toBe("23 November 2026");
  });
});

describe("plural", () => {
  it.each([
    [0, "en-GB", "0 items"],
    [1, "en-GB", "1 item"],
    [2, "en-GB", "2 items"],
    [1234, "en-GB", "1,234 items"],
    [0, "fr-FR", "0 item"],
    [1, "fr-FR", "1 item"],
    [1.5, "fr-FR", "1,5 item"],
    [2, "fr-FR", "2 items"],
    [1234, "de-DE", "1.234 items"],
  ])("%s in %s", (n, locale, expected) => {
    expect(formatPlural(n, { one: "item", other: "items" }, locale)).toBe(expected);
  });

  it("forms with # and a zero sentence", () => {
    const forms = { zero: "votre panier est vide", one: "# article", other: "# articles" };
    expect(formatPlural(0, forms, "fr-FR", false)).toBe("votre panier est vide");
    expect(formatPlural(1, forms, "fr-FR", false)).toBe("1 article");
    expect(formatPlural(1000, forms, "fr-FR", false)).toBe(`1${NNBSP}000 articles`);
    expect(formatPlural(undefined, forms, "fr-FR")).toBe("");
  });
});

describe("url", () => {
  const tracking = { campaign: "spring sale", sendId: "s/1" };
  const base = "https://shop.example.com/";
  it("adds tracking after the shop's own query and before the fragment", () => {
    expect(
      trackedUrl("https://shop.example.com/p/1?q=a%20b&x=1#top", { base, tracking, content: "item" }),
    ).toBe(
      "https://shop.example.com/p/1?q=a%20b&x=1&utm_source=nudge&utm_medium=email&utm_campaign=spring%20sale&utm_content=item&nudge_send=s%2F1#top",
    );
  });
  it("replaces tracking parameters already present instead of doubling them", () => {
    const u = new URL(
      trackedUrl("https://shop.example.com/?utm_source=old&utm_campaign=x&k=v", { base, tracking }),
    );
    expect(u.searchParams.getAll("utm_source")).toEqual(["nudge"]);
    expect(u.searchParams.getAll("utm_campaign")).toEqual(["spring sale"]);
    expect(u.searchParams.get("k")).toBe("v");
  });
  it.each([
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "  javascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:x",
    "file:///etc/passwd",
    "mailto:a@b.c",
    "",
    undefined,
    42,
  ])("%j becomes the shop URL", (raw) => {
    expect(trackedUrl(raw, { base, tracking, track: false })).toBe(base);
  });
  it("an empty query or a bare fragment stays well formed", () => {
    expect(trackedUrl("https://shop.example.com/?#a", { base, tracking })).toBe(
      "https://shop.example.com/?utm_source=nudge&utm_medium=email&utm_campaign=spring%20sale&nudge_send=s%2F1#a",
    );
    expect(trackedUrl("https://shop.example.com/x#a?b", { base, tracking })).toBe(
      "https://shop.example.com/x?utm_source=nudge&utm_medium=email&utm_campaign=spring%20sale&nudge_send=s%2F1#a?b",
    );
  });
  it("resolves relative links against the shop and keeps http", () => {
    expect(trackedUrl("/p/2", { base, track: false })).toBe("https://shop.example.com/p/2");
    expect(trackedUrl("http://legacy.example.com/x", { base, track: false })).toBe(
      "http://legacy.example.com/x",
    );
  });
});

describe("helpers inside a template", () => {
  const dir = mkdtempSync(join(tmpdir(), "nudge-render-helpers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "probe.subject.hbs"), '{{plural items.length one="# article" other="# articles"}}');
  writeFileSync(
    join(dir, "probe.html.hbs"),
    '{{#each items}}<a href="{{url url content="x"}}">{{money price currency}} × {{quantity}} = {{money (times price quantity) currency}}</a>{{/each}} {{date now style="long" time="short"}}',
  );
  writeFileSync(join(dir, "probe.text.hbs"), '{{date now}} / {{date now timezone="UTC" locale="en-GB"}}');
  const renderer = createRenderer({ templatesDir: dir });

  it.each([
    [
      "fr-FR",
      "Europe/Paris",
      `1${NNBSP}234,50${NBSP}€ × 2 = 2${NNBSP}469,00${NBSP}€`,
      "23 novembre 2026 à 13:00",
    ],
    ["en-GB", "Europe/London", "€1,234.50 × 2 = €2,469.00", "23 November 2026 at 12:00"],
    ["de-DE", "Asia/Kolkata", `1.234,50${NBSP}€ × 2 = 2.469,00${NBSP}€`, "23. November 2026 um 17:30"],
  ])("use the profile's locale %s and zone %s", (locale, timezone, money, date) => {
    const base = cartContext();
    const email = renderer.render("probe", { ...base, profile: { ...base.profile, locale, timezone } });
    expect(email.html).toContain(money);
    expect(email.html).toContain(date);
    expect(email.text).toContain("/ 23 November 2026\n");
    expect(email.subject).toBe("2 articles");
  });
});
