import fc from "fast-check";

export const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
export const id = fc.string({ minLength: 1, maxLength: 20 });
const ts = fc
  .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
  .map((d) => d.toISOString());
const common = {
  id,
  profileId: id,
  ts,
  price: maybe(fc.constantFrom(0, 9.99, 120)),
  currency: maybe(fc.constantFrom("EUR", "USD")),
  sessionId: maybe(fc.string({ maxLength: 10 })),
  note: maybe(fc.jsonValue()),
};
const opt = { requiredKeys: ["id", "profileId", "ts", "type"] as never[] };
const item = fc.record(
  {
    productId: id,
    quantity: maybe(fc.constantFrom(1, 2)),
    price: maybe(fc.constantFrom(0, 5)),
    gift: maybe(fc.boolean()),
  },
  { requiredKeys: ["productId"] },
);
/** A valid event of every type, optional fields sometimes present (ids and strings may be any Unicode). */
export const valid = fc.oneof(
  fc.record(
    { ...common, type: fc.constant("product_view"), productId: id },
    { requiredKeys: [...opt.requiredKeys, "productId"] as never[] },
  ),
  fc.record(
    {
      ...common,
      type: fc.constantFrom("cart_add", "cart_remove"),
      productId: id,
      quantity: maybe(fc.constantFrom(1, 4)),
    },
    { requiredKeys: [...opt.requiredKeys, "productId"] as never[] },
  ),
  fc.record({ ...common, type: fc.constant("checkout_start"), productId: maybe(id) }, opt),
  fc.record(
    {
      ...common,
      type: fc.constant("purchase"),
      orderId: id,
      items: fc.array(item, { minLength: 1, maxLength: 3 }),
      productId: maybe(id),
    },
    { requiredKeys: [...opt.requiredKeys, "orderId", "items"] as never[] },
  ),
  fc.record(
    {
      ...common,
      type: fc.constant("profile_update"),
      attributes: fc.record(
        {
          email: maybe(fc.constantFrom("ann@shop.example", "b.c@d.io")),
          firstName: maybe(fc.string({ maxLength: 8 })),
          lastName: maybe(fc.string({ maxLength: 8 })),
          locale: maybe(fc.constantFrom("fr-FR", "en")),
          timezone: maybe(fc.constantFrom("Europe/Paris", "UTC")),
          consent: maybe(fc.constantFrom("subscribed", "unsubscribed")),
          city: maybe(fc.string()),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [...opt.requiredKeys, "attributes"] as never[] },
  ),
);
