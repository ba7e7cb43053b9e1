/**
 * A realistic context for previewing templates (`nudge preview`) and for benchmarks: a cart of three
 * products, two recommendations and an order, for a shopper in the given locale and zone.
 *
 * @example
 * renderer.render("cart-reminder", sampleContext({ now: new Date().toISOString(), locale: "de-DE" }));
 */
import type { RenderContext } from "./types.ts";

export interface SampleOptions {
  now: string;
  locale?: string;
  timezone?: string;
  currency?: string;
  shop?: string;
}

export function sampleContext(opts: SampleOptions): RenderContext {
  const shop = opts.shop ?? "https://shop.example.com/";
  const currency = opts.currency ?? "EUR";
  const product = (id: string, name: string, price: number) => ({
    productId: id,
    name,
    price,
    currency,
    imageUrl: new URL(`/images/${id}.jpg`, shop).href,
    url: new URL(`/products/${id}`, shop).href,
  });
  const items = [
    { ...product("sku-1001", "Linen shirt, sand", 59.9), quantity: 1 },
    { ...product("sku-1002", "Merino socks (3 pairs)", 24.5), quantity: 2 },
    { ...product("sku-1003", "Canvas tote", 1234.5), quantity: 1 },
  ];
  return {
    profile: {
      profileId: "sample-profile",
      email: "ana@example.com",
      firstName: "Ana",
      locale: opts.locale ?? "en-GB",
      timezone: opts.timezone ?? "Europe/London",
    },
    items,
    recommendations: [
      { ...product("sku-2001", "Leather belt", 45), reason: "bought together with sku-1001" },
      { ...product("sku-2002", "Straw hat", 29.99), reason: "popular in the same category" },
    ],
    links: {
      shop,
      cart: new URL("/cart", shop).href,
      unsubscribe: new URL("/unsubscribe/sample-token", shop).href,
    },
    tracking: { campaign: "preview", sendId: "preview-0001" },
    data: {
      orderId: "ORD-20261123-0042",
      items,
      total: items.reduce((sum, i) => sum + i.price * i.quantity, 0),
      currency,
      placedAt: opts.now,
    },
    now: opts.now,
  };
}
