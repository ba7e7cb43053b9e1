// npx tsx bench/render.ts [-- --renders 20000 --runs 5]
// Renders a cart-reminder email (subject + HTML + text; 3 items, 4 recommendations, fr-FR) from
// pre-built contexts that differ per send, and measures in the same run:
//   renderer: createRenderer().render("cart-reminder", ctx): the shipped templates and helpers;
//   raw:      the same HTML and text written as JS template literals with the same formatters and
//             escaping: the floor for producing these bytes without a template engine.
// Prints the median rate of each and the ratio renderer/raw.
import { createRenderer, formatMoney, formatPlural, type RenderContext, trackedUrl } from "../sinks/index.ts";
import { arg, median, printTable } from "./lib.ts";

const N = arg("renders", 20_000);
const RUNS = arg("runs", 5);

function context(i: number): RenderContext {
  const product = (k: number) => ({
    productId: `sku-${k}`,
    name: `Produit n°${k} <édition "limitée">`,
    price: 10 + ((k * 37) % 500) + 0.99,
    currency: "EUR",
    imageUrl: `https://cdn.example.com/img/${k}.jpg`,
    url: `https://shop.example.com/p/${k}?ref=email`,
  });
  return {
    profile: {
      profileId: `p${i}`,
      email: `p${i}@example.com`,
      firstName: `Ana${i}`,
      locale: "fr-FR",
      timezone: "Europe/Paris",
    },
    items: [1, 2, 3].map((k) => ({ ...product(i * 3 + k), quantity: 1 + (k % 2) })),
    recommendations: [1, 2, 3, 4].map((k) => ({ ...product(900 + k), reason: "bought together" })),
    links: {
      cart: `https://shop.example.com/cart/${i}`,
      unsubscribe: `https://shop.example.com/u/${i}`,
      shop: "https://shop.example.com/",
    },
    tracking: { campaign: "cart-reminder", sendId: `send-${i}` },
    now: "2026-11-23T12:00:00Z",
  };
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);

function rawCart(ctx: RenderContext): { subject: string; html: string; text: string } {
  const loc = ctx.profile.locale;
  const shop = ctx.links.shop;
  const u = (raw: string | undefined, content: string) =>
    trackedUrl(raw, { base: shop, tracking: ctx.tracking, content });
  const card = (p: RenderContext["recommendations"][number] & { quantity?: number }, content: string) =>
    `<table role="presentation" width="100%"><tr><td width="96"><a href="${esc(u(p.url, content))}"><img src="${esc(p.imageUrl ?? "")}" alt="${esc(p.name)}" width="96" height="96"></a></td>` +
    `<td><a href="${esc(u(p.url, content))}">${esc(p.name)}</a><div class="price">${formatMoney(p.price, p.currency, loc)}</div>` +
    (p.quantity
      ? `<div>Quantity: ${p.quantity} &middot; ${formatMoney((p.price ?? 0) * p.quantity, p.currency, loc)}</div>`
      : "") +
    `</td></tr></table>\n`;
  const count = formatPlural(ctx.items.length, { one: "item", other: "items" }, loc);
  const html =
    `<!DOCTYPE html><html lang="${esc(loc)}"><head><meta charset="utf-8"><title>Your cart is waiting</title></head><body><table><tr><td>` +
    `<h1>Hi ${esc(ctx.profile.firstName ?? "")},</h1><p>You left ${count} in your cart.</p>\n` +
    ctx.items.map((p) => card({ ...p, reason: "" }, "cart-item")).join("") +
    `<p><a href="${esc(u(ctx.links.cart, "cart-button"))}">Return to your cart</a></p><h2>You might also like</h2>\n` +
    ctx.recommendations.map((p) => card(p, "recommendation")).join("") +
    `</td></tr></table><a href="${esc(u(shop, "footer"))}">Visit the shop</a> &middot; <a href="${esc(ctx.links.unsubscribe ?? "")}">Unsubscribe</a>` +
    `<br>This email was sent to ${esc(ctx.profile.email)}.</body></html>\n`;
  const line = (
    p: { name: string; price?: number; currency: string; url?: string; quantity?: number },
    c: string,
  ) =>
    `- ${p.name}, ${formatMoney(p.price, p.currency, loc)}\n` +
    (p.quantity
      ? `  Quantity: ${p.quantity} = ${formatMoney((p.price ?? 0) * p.quantity, p.currency, loc)}\n`
      : "") +
    `  ${u(p.url, c)}\n`;
  const text =
    `Hi ${ctx.profile.firstName ?? ""},\n\nYou left ${count} in your cart.\n\n` +
    ctx.items.map((p) => line(p, "cart-item")).join("") +
    `\nReturn to your cart: ${u(ctx.links.cart, "cart-button")}\n\nYou might also like:\n\n` +
    ctx.recommendations.map((p) => line(p, "recommendation")).join("") +
    `\n--\nShop: ${u(shop, "footer")}\nUnsubscribe: ${ctx.links.unsubscribe}\nThis email was sent to ${ctx.profile.email}.\n`;
  return { subject: `${ctx.profile.firstName}, you left ${count} in your cart`, html, text };
}

const t0 = performance.now();
const renderer = createRenderer();
const compileMs = performance.now() - t0;
const contexts = Array.from({ length: 1000 }, (_, i) => context(i));

/** Renders per wall-clock second and per CPU second (the latter is steadier on a shared, loaded machine). */
function rate(render: (ctx: RenderContext) => { html: string }): { wall: number; cpu: number } {
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < N; i++) bytes += render(contexts[i % contexts.length]!).html.length;
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (bytes === 0) throw new Error("nothing rendered");
  return { wall: N / s, cpu: N / ((cpu.user + cpu.system) / 1e6) };
}

// Warm up both paths (JIT, Intl caches) before measuring.
for (let i = 0; i < 2000; i++) {
  renderer.render("cart-reminder", contexts[i % 1000]!);
  rawCart(contexts[i % 1000]!);
}
const engine: { wall: number; cpu: number }[] = [];
const raw: { wall: number; cpu: number }[] = [];
for (let r = 0; r < RUNS; r++) {
  engine.push(rate((ctx) => renderer.render("cart-reminder", ctx)));
  raw.push(rate(rawCart));
}
const sample = renderer.render("cart-reminder", contexts[0]!);
console.log(
  `cart-reminder: ${N} renders x ${RUNS} runs; HTML ${sample.html.length} B, text ${sample.text.length} B; compile all templates ${compileMs.toFixed(1)} ms`,
);
const row = (path: string, xs: { wall: number; cpu: number }[]) => ({
  path,
  "renders/s (median)": Math.round(median(xs.map((x) => x.wall))),
  "renders per CPU-s (median)": Math.round(median(xs.map((x) => x.cpu))),
});
printTable([row("renderer (Handlebars)", engine), row("raw template literals", raw)]);
console.log(
  `ratio renderer/raw: ${(median(engine.map((x) => x.wall)) / median(raw.map((x) => x.wall))).toFixed(2)} wall, ` +
    `${(median(engine.map((x) => x.cpu)) / median(raw.map((x) => x.cpu))).toFixed(2)} CPU`,
);
