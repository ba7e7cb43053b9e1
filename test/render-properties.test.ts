import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRenderer, type RenderContext } from "../sinks/index.ts";
import { cartContext, LEAKS, parseHtml } from "./render-fixture.ts";

const renderer = createRenderer();

// Text a shop might put in a product name, including markup and quotes, but not the words we look for.
const name = fc
  .oneof(
    fc.string(),
    fc.constantFrom('<script>alert("x")</script>', '" onmouseover="x', "<img src=x onerror=y>", "&amp;"),
  )
  .filter((s) => !LEAKS.test(s));
const url = fc
  .oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.constantFrom(
      "javascript:alert(1)",
      " JAVASCRIPT:x",
      "data:text/html,x",
      "//evil.example/x",
      "/p/1",
      "",
    ),
    fc.string(),
  )
  .filter((s) => !LEAKS.test(s));
const number = fc.oneof(fc.double(), fc.integer(), fc.constant(undefined));
const product = fc.record(
  {
    productId: fc.string(),
    name,
    price: number,
    currency: fc.constantFrom("EUR", "GBP", "JPY", "xx", ""),
    quantity: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.double()),
    imageUrl: url,
    url,
    reason: fc.string(),
  },
  { requiredKeys: ["productId", "name", "currency", "quantity", "reason"] },
);

describe("any context renders safely", () => {
  it("no leaked undefined/null/NaN, no script element, only http(s) links, for every template", () => {
    fc.assert(
      fc.property(
        fc.array(product, { maxLength: 4 }),
        fc.array(product, { maxLength: 4 }),
        fc.option(name, { nil: undefined }),
        fc.constantFrom("fr-FR", "en-GB", "de-DE", "ja-JP", "xx-invalid"),
        fc.constantFrom("Europe/Paris", "Asia/Kolkata", "Not/AZone"),
        (items, recommendations, firstName, locale, timezone) => {
          const base = cartContext();
          const ctx: RenderContext = {
            ...base,
            profile: { ...base.profile, firstName, locale, timezone },
            items,
            recommendations,
            data: {
              orderId: firstName,
              items,
              total: items[0]?.price,
              currency: "EUR",
              placedAt: "2026-11-23T10:00:00Z",
            },
          };
          for (const template of renderer.names()) {
            const email = renderer.render(template, ctx);
            for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(LEAKS);
            expect(email.subject).not.toMatch(/[\r\n]/);
            const html = parseHtml(email.html);
            expect(html.scripts).toBe(0);
            for (const href of [...html.hrefs, ...html.imgs.map((i) => i.src)])
              expect(href).toMatch(/^https?:\/\//);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
