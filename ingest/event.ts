import { z } from "zod";

/** Event types, in the order of DESIGN.md. */
export const EventType = z.enum([
  "product_view",
  "cart_add",
  "cart_remove",
  "checkout_start",
  "purchase",
  "profile_update",
]);
export type EventType = z.infer<typeof EventType>;

const Id = z.string().min(1).max(128);
const Currency = z.string().regex(/^[A-Z]{3}$/, "ISO-4217 code, e.g. EUR");
const Quantity = z.number().int().min(1);

const base = {
  id: Id,
  profileId: Id,
  ts: z.iso.datetime({ offset: true }),
  price: z.number().min(0).optional(),
  currency: Currency.optional(),
  sessionId: z.string().max(128).optional(),
};

export const PurchaseItem = z.object({
  productId: Id,
  quantity: Quantity.default(1),
  price: z.number().min(0).optional(),
});
export type PurchaseItem = z.infer<typeof PurchaseItem>;

export const ProfileAttributes = z.looseObject({
  email: z.email().optional(),
  firstName: z.string().max(256).optional(),
  lastName: z.string().max(256).optional(),
  locale: z.string().max(35).optional(),
  timezone: z.string().max(64).optional(),
  consent: z.enum(["subscribed", "unsubscribed"]).optional(),
});
export type ProfileAttributes = z.infer<typeof ProfileAttributes>;

/**
 * The producers' event contract (DESIGN.md, "Events"). Unknown extra fields pass through.
 *
 * @example ShopEvent.parse({ id: "e1", type: "cart_add", profileId: "p1", ts: "2026-11-23T10:00:00Z", productId: "sku-1" })
 */
export const ShopEvent = z.discriminatedUnion("type", [
  z.looseObject({ ...base, type: z.literal("product_view"), productId: Id }),
  z.looseObject({ ...base, type: z.literal("cart_add"), productId: Id, quantity: Quantity.default(1) }),
  z.looseObject({ ...base, type: z.literal("cart_remove"), productId: Id, quantity: Quantity.default(1) }),
  z.looseObject({ ...base, type: z.literal("checkout_start"), productId: Id.optional() }),
  z.looseObject({
    ...base,
    type: z.literal("purchase"),
    orderId: z.string().min(1).max(128),
    items: z.array(PurchaseItem).min(1),
    productId: Id.optional(),
  }),
  z.looseObject({ ...base, type: z.literal("profile_update"), attributes: ProfileAttributes }),
]);
export type ShopEvent = z.infer<typeof ShopEvent>;
export type ShopEventOf<T extends EventType> = Extract<ShopEvent, { type: T }>;

/** Fields of the contract; everything else on an event is "extra" and kept as JSON. */
export const KNOWN_FIELDS = new Set([
  "id",
  "type",
  "profileId",
  "ts",
  "productId",
  "quantity",
  "price",
  "currency",
  "orderId",
  "items",
  "sessionId",
  "attributes",
]);

/** The extra (unknown) fields of an event, or undefined when it has none. */
export function extraFields(event: Record<string, unknown>): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(event)) {
    if (KNOWN_FIELDS.has(key)) continue;
    extra ??= {};
    extra[key] = event[key];
  }
  return extra;
}

/** The routing token for a profile: every character outside `A-Za-z0-9_-` becomes `_`. */
export function profileToken(profileId: string): string {
  return profileId.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The subject an event is published on: `events.<type>.<p>`. */
export function eventSubject(event: { type: string; profileId: string }): string {
  return `events.${event.type}.${profileToken(event.profileId)}`;
}

/** The optional fields of any event, flat and typed (for columnar writers). */
export interface FlatEvent {
  productId?: string;
  quantity?: number;
  orderId?: string;
  items?: PurchaseItem[];
  attributes?: ProfileAttributes;
}

export function flatEvent(e: ShopEvent): FlatEvent {
  switch (e.type) {
    case "product_view":
      return { productId: e.productId };
    case "cart_add":
    case "cart_remove":
      return { productId: e.productId, quantity: e.quantity };
    case "checkout_start":
      return { productId: e.productId };
    case "purchase":
      return { productId: e.productId, orderId: e.orderId, items: e.items };
    case "profile_update":
      return { attributes: e.attributes };
  }
}
