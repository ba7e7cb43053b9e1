import { describe, expect, it } from "vitest";
import { createRenderer, type RenderContext } from "../sinks/index.ts";
import { cartContext, LEAKS, parseHtml } from "./render-fixture.ts";

const renderer = createRenderer();
const NNBSP = "\u202f"; // fr-FR group separator
const NBSP = "\u00a0"; // fr-FR space before the currency sign

function tracked(href: string, content?: string): URL {
  const u = new URL(href);
  expect(u.searchParams.get("utm_source")).toBe("nudge");
  expect(u.searchParams.get("utm_medium")).toBe("email");
  expect(u.searchParams.get("utm_campaign")).toBe("cart-reminder");
  expect(u.searchParams.get("nudge_send")).toBe("send-42");
  if (content) expect(u.searchParams.get("utm_content")).toBe(content);
  return u;
}

describe("shipped templates", () => {
  it("lists every template with its kind", () => {
    expect(renderer.names()).toEqual([
      "browse-reminder",
      "cart-reminder",
      "cart-reminder-2",
      "order-confirmation",
    ]);
    expect(renderer.kind("cart-reminder")).toBe("marketing");
    expect(renderer.kind("order-confirmation")).toBe("transactional");
  });

  it("cart reminder: each item with image, name, price, quantity, line total and tracked link", () => {
    const ctx = cartContext();
    const email = renderer.render("cart-reminder", ctx);
    expect(email.subject).toBe("Ana, you left 2 items in your cart");
    const html = parseHtml(email.html);
    expect(html.text).toContain(`1${NNBSP}234,50${NBSP}€`);
    expect(html.text).toContain(`Quantity: 2 · 2${NNBSP}469,00${NBSP}€`);
    expect(html.text).toContain(`49,90${NBSP}€`);
    expect(html.text).toContain("Quantity: 1");
    for (const item of ctx.items) {
      expect(html.text).toContain(item.name);
      expect(html.imgs).toContainEqual({ src: item.imageUrl, alt: item.name });
      const links = html.hrefs.filter((h) => h.startsWith(item.url!.replace(/[?#].*$/, "")));
      expect(links.length).toBeGreaterThanOrEqual(1);
      for (const href of links) tracked(href, "cart-item");
    }
    // The shop's own query and fragment survive next to the tracking parameters.
    const first = tracked(html.hrefs.find((h) => h.includes("/p/sku-1"))!);
    expect(first.searchParams.get("color")).toBe("red");
    expect(first.hash).toBe("#reviews");
    tracked(html.hrefs.find((h) => h.startsWith("https://shop.example.com/cart"))!, "cart-button");
    // Recommendations with image and link; the reason is for the send log, not the shopper.
    expect(html.text).toContain("Table basse");
    expect(html.text).toContain(`199,00${NBSP}€`);
    expect(html.text).not.toContain("bought together");
    expect(html.imgs).toContainEqual({ src: "https://cdn.example.com/sku-9.jpg", alt: "Table basse" });
    tracked(html.hrefs.find((h) => h.includes("/p/sku-9"))!, "recommendation");
    // Unsubscribe is linked as given, without tracking.
    expect(html.hrefs).toContain("https://shop.example.com/unsubscribe/tok-1");
  });

  it("cart reminder text part: names, prices, quantities and tracked links, no HTML", () => {
    const { text } = renderer.render("cart-reminder", cartContext());
    expect(text).toContain('- Chaise <script>alert("x")</script>, 1\u202f234,50\u00a0€');
    expect(text).toContain(`Quantity: 2 = 2${NNBSP}469,00${NBSP}€`);
    expect(text).toContain(`- Lampe "Arc" 30 cm, 49,90${NBSP}€`);
    expect(text).not.toMatch(/&lt;|&quot;|&amp;|<table|<a /);
    const urls = text.match(/https:\/\/\S+/g) ?? [];
    expect(urls.filter((u) => u.includes("/p/sku-1"))).toHaveLength(1);
    tracked(urls.find((u) => u.includes("/p/sku-1"))!, "cart-item");
    tracked(urls.find((u) => u.includes("/cart?"))!, "cart-button");
    expect(text).toContain("Unsubscribe: https://shop.example.com/unsubscribe/tok-1\n");
  });

  it("second cart reminder renders the same items with its own wording", () => {
    const email = renderer.render("cart-reminder-2", cartContext());
    expect(email.subject).toBe("Still thinking it over, Ana?");
    const html = parseHtml(email.html);
    for (const item of cartContext().items) expect(html.text).toContain(item.name);
    expect(html.text).toContain("Complete your order");
  });

  it("browse reminder: viewed products and recommendations, no quantities", () => {
    const ctx = cartContext({ tracking: { campaign: "cart-reminder", sendId: "send-42" } });
    const email = renderer.render("browse-reminder", ctx);
    expect(email.subject).toBe('Still interested in Chaise <script>alert("x")</script>?');
    const html = parseHtml(email.html);
    expect(html.text).toContain("You recently looked at 2 products");
    expect(html.text).not.toContain("Quantity");
    for (const p of [...ctx.items, ...ctx.recommendations]) {
      expect(html.text).toContain(p.name);
      expect(html.imgs).toContainEqual({ src: p.imageUrl, alt: p.name });
      tracked(html.hrefs.find((h) => h.startsWith(p.url!.replace(/[?#].*$/, "")))!);
    }
    tracked(html.hrefs.find((h) => h.includes("/p/sku-2"))!, "viewed");
    expect(email.text).toContain("Table basse");
    expect(email.text).not.toContain("Quantity");
  });

  it("order confirmation: order id, lines and total from data, date in the shopper's zone, no unsubscribe", () => {
    const ctx = cartContext({
      data: {
        orderId: "ORD-7",
        items: cartContext().items,
        total: 2518.9,
        currency: "EUR",
        placedAt: "2026-11-23T23:30:00Z",
      },
    });
    const email = renderer.render("order-confirmation", ctx);
    expect(email.subject).toBe("Your order ORD-7 is confirmed");
    const html = parseHtml(email.html);
    expect(html.text).toContain("ORD-7");
    expect(html.text).toContain(`Total: 2${NNBSP}518,90${NBSP}€`);
    // 23:30 UTC is already the next day in Paris.
    expect(html.text).toContain("placed on 24 novembre 2026 à 00:30");
    expect(html.text).toContain("Lampe");
    expect(html.hrefs.some((h) => h.includes("unsubscribe"))).toBe(false);
    expect(email.text).not.toContain("Unsubscribe");
    expect(email.text).toContain(`Total: 2${NNBSP}518,90${NBSP}€`);
  });
});

describe("escaping", () => {
  it("renders <script> in a product name as text, never as an element", () => {
    const { html } = renderer.render("cart-reminder", cartContext());
    const parsed = parseHtml(html);
    expect(parsed.scripts).toBe(0);
    expect(html).not.toContain("<script");
    expect(html).toContain("Chaise &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(parsed.text).toContain('Chaise <script>alert("x")</script>');
  });

  it('escapes " in attributes so a name cannot add attributes', () => {
    const ctx = cartContext();
    ctx.items[1]!.name = 'Lampe" onerror="alert(1)';
    const { html } = renderer.render("cart-reminder", ctx);
    expect(html).toContain('alt="Lampe&quot; onerror&#x3D;&quot;alert(1)"');
    expect(html).not.toMatch(/\sonerror=/);
    expect(parseHtml(html).imgs).toContainEqual({
      src: ctx.items[1]!.imageUrl,
      alt: 'Lampe" onerror="alert(1)',
    });
  });

  it("neutralizes javascript:, data: and other non-http URLs", () => {
    const ctx = cartContext();
    ctx.items[0]!.url = "javascript:alert(document.cookie)";
    ctx.items[0]!.imageUrl = "data:image/svg+xml,<svg onload=alert(1)>";
    ctx.items[1]!.url = " JaVaScRiPt:alert(1)";
    ctx.recommendations[0]!.url = "java\tscript:alert(1)";
    ctx.links.cart = "vbscript:msgbox(1)";
    const email = renderer.render("cart-reminder", ctx);
    expect(email.html.toLowerCase()).not.toMatch(/javascript|vbscript|data:|java\tscript/);
    expect(email.text.toLowerCase()).not.toMatch(/javascript|vbscript|data:/);
    const html = parseHtml(email.html);
    for (const href of html.hrefs) expect(new URL(href).origin).toBe("https://shop.example.com");
    // A bad item link falls back to the (tracked) shop URL; a bad image is dropped.
    expect(
      html.hrefs.filter((h) => h.startsWith("https://shop.example.com/?")).length,
    ).toBeGreaterThanOrEqual(3);
    expect(html.imgs.map((i) => i.src)).toEqual([
      "https://cdn.example.com/sku-2.jpg",
      "https://cdn.example.com/sku-9.jpg",
    ]);
  });
});

describe("missing values render predictably", () => {
  const bare: RenderContext = {
    profile: { profileId: "p-2", email: "bo@example.com", locale: "en-GB", timezone: "Europe/London" },
    items: [{ productId: "x", name: "Mystery box", currency: "GBP", quantity: 1 }],
    recommendations: [],
    links: { shop: "https://shop.example.com/" },
    tracking: { campaign: "c", sendId: "s" },
    now: "2026-11-23T12:00:00Z",
  };
  // Values a buggy upstream might still send despite the types.
  const hostile = {
    ...bare,
    profile: { ...bare.profile, firstName: null },
    items: [
      {
        productId: "y",
        name: "Odd",
        price: Number.NaN,
        currency: "EUR",
        quantity: Number.NaN,
        imageUrl: null,
      },
      { productId: "z", name: { en: "Object name" }, price: "abc", currency: null, quantity: 2, url: {} },
    ],
    recommendations: [{ productId: "r", name: undefined, currency: "EUR", reason: "" }],
    data: {
      orderId: null,
      items: [{ name: null, price: Infinity, quantity: 1, currency: "EUR" }],
      total: Number.NaN,
    },
  } as unknown as RenderContext;

  for (const name of createRenderer().names()) {
    it(`${name}: no undefined, null, NaN or [object Object] with missing optional fields`, () => {
      for (const ctx of [bare, hostile]) {
        const email = renderer.render(name, ctx);
        expect(email.subject).not.toMatch(LEAKS);
        expect(email.html).not.toMatch(LEAKS);
        expect(email.text).not.toMatch(LEAKS);
        expect(email.subject.length).toBeGreaterThan(0);
      }
    });
  }

  it("a missing first name and price leave the sentence whole", () => {
    const email = renderer.render("cart-reminder", bare);
    expect(email.subject).toBe("You left 1 item in your cart");
    expect(email.text).toMatch(/^Hi,\n/);
    expect(email.text).toContain("- Mystery box\n  Quantity: 1\n");
    // No cart link: the button goes to the shop.
    expect(email.text).toContain("Return to your cart: https://shop.example.com/?utm_source=nudge");
    expect(email.text).not.toContain("Unsubscribe");
    expect(parseHtml(email.html).text).not.toContain("You might also like");
  });

  it("an unknown template is a NUDGE_ERR_TEMPLATE fault naming it", () => {
    expect(() => renderer.render("nope", bare)).toThrow(
      expect.objectContaining({ code: "NUDGE_ERR_TEMPLATE", message: expect.stringContaining('"nope"') }),
    );
  });
});
