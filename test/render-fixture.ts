import { findAll, getAttributeValue, textContent } from "domutils";
import { parseDocument } from "htmlparser2";
import type { RenderContext } from "../sinks/index.ts";

/** A cart of two products (one with a hostile name), one recommendation, a French shopper in Paris. */
export function cartContext(over: Partial<RenderContext> = {}): RenderContext {
  return {
    profile: {
      profileId: "p-1",
      email: "ana@example.com",
      firstName: "Ana",
      locale: "fr-FR",
      timezone: "Europe/Paris",
    },
    items: [
      {
        productId: "sku-1",
        name: 'Chaise <script>alert("x")</script>',
        price: 1234.5,
        currency: "EUR",
        quantity: 2,
        imageUrl: "https://cdn.example.com/sku-1.jpg",
        url: "https://shop.example.com/p/sku-1?color=red#reviews",
      },
      {
        productId: "sku-2",
        name: 'Lampe "Arc" 30 cm',
        price: 49.9,
        currency: "EUR",
        quantity: 1,
        imageUrl: "https://cdn.example.com/sku-2.jpg",
        url: "https://shop.example.com/p/sku-2",
      },
    ],
    recommendations: [
      {
        productId: "sku-9",
        name: "Table basse",
        price: 199,
        currency: "EUR",
        imageUrl: "https://cdn.example.com/sku-9.jpg",
        url: "https://shop.example.com/p/sku-9",
        reason: "bought together",
      },
    ],
    links: {
      cart: "https://shop.example.com/cart",
      unsubscribe: "https://shop.example.com/unsubscribe/tok-1",
      shop: "https://shop.example.com/",
    },
    tracking: { campaign: "cart-reminder", sendId: "send-42" },
    now: "2026-11-23T12:00:00Z",
    ...over,
  };
}

export interface ParsedHtml {
  text: string;
  hrefs: string[];
  imgs: { src: string; alt: string }[];
  scripts: number;
}

/** Parses rendered HTML the way a mail client would: attributes decoded, text as text. */
export function parseHtml(html: string): ParsedHtml {
  const doc = parseDocument(html);
  const els = findAll(() => true, doc.children);
  return {
    text: textContent(doc),
    hrefs: els.filter((e) => e.name === "a").map((e) => getAttributeValue(e, "href") ?? ""),
    imgs: els
      .filter((e) => e.name === "img")
      .map((e) => ({ src: getAttributeValue(e, "src") ?? "", alt: getAttributeValue(e, "alt") ?? "" })),
    scripts: els.filter((e) => e.name === "script").length,
  };
}

/** Words a careless template leaks when a value is missing. */
export const LEAKS = /undefined|null|NaN|\[object Object\]|Invalid Date/;
