/**
 * The render contract: what a template sees (`RenderContext`) and what rendering returns (`EmailContent`).
 * Rendering is pure: no clock, no env, no disk after `createRenderer()`; `now` is an input.
 *
 * @example
 * const renderer = createRenderer();
 * const email = renderer.render("cart-reminder", ctx); // { subject, html, text }
 */
import { z } from "zod";

/** The three parts of one email, ready for the transport. */
export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

export const RenderProfile = z.object({
  profileId: z.string(),
  email: z.string(),
  firstName: z.string().optional(),
  /** BCP 47 tag, e.g. "fr-FR"; used by the money, date and plural helpers. */
  locale: z.string(),
  /** IANA zone, e.g. "Europe/Paris"; used by the date helper. */
  timezone: z.string(),
});
export type RenderProfile = z.infer<typeof RenderProfile>;

/** The product fields an item and a recommendation share. */
const RenderProduct = z.object({
  productId: z.string(),
  name: z.string(),
  price: z.number().optional(),
  /** ISO 4217, e.g. "EUR". */
  currency: z.string(),
  imageUrl: z.string().optional(),
  url: z.string().optional(),
});

export const RenderItem = RenderProduct.extend({ quantity: z.number() });
export type RenderItem = z.infer<typeof RenderItem>;

export const RenderRecommendation = RenderProduct.extend({
  /** Why it was recommended; for the send log, templates need not show it. */
  reason: z.string(),
});
export type RenderRecommendation = z.infer<typeof RenderRecommendation>;

/** What a template sees. Validate untrusted input (a JSON file, an API body) with `RenderContext.parse`. */
export const RenderContext = z.object({
  profile: RenderProfile,
  items: z.array(RenderItem),
  recommendations: z.array(RenderRecommendation),
  /** Absolute https URLs. */
  links: z.object({ cart: z.string().optional(), unsubscribe: z.string().optional(), shop: z.string() }),
  /** Added as utm_* / nudge_send query params by the `url` helper. */
  tracking: z.object({ campaign: z.string(), sendId: z.string() }),
  /** Payload for transactional templates (order-confirmation: see OrderConfirmationData). */
  data: z.record(z.string(), z.unknown()).optional(),
  /** ISO time of sending (time is an input). */
  now: z.string(),
});
export type RenderContext = z.infer<typeof RenderContext>;

/** The `data` the order-confirmation template reads. */
export const OrderConfirmationData = z.object({
  orderId: z.string(),
  items: z.array(RenderItem),
  total: z.number(),
  currency: z.string(),
  /** ISO time; shown in the shopper's zone. */
  placedAt: z.string(),
});
export type OrderConfirmationData = z.infer<typeof OrderConfirmationData>;

/** Marketing emails get List-Unsubscribe headers and count against frequency caps; transactional ones do not. */
export type TemplateKind = "marketing" | "transactional";

export interface Renderer {
  /** Render one email; throws NudgeError("NUDGE_ERR_TEMPLATE") naming the template on an unknown name or a runtime error. */
  render(template: string, ctx: RenderContext): EmailContent;
  /** Names of every compiled template (without part suffixes), sorted. */
  names(): string[];
  /** "transactional" when the template's name is listed as such (order-confirmation), else "marketing". */
  kind(template: string): TemplateKind;
}

export interface RendererOptions {
  /** Directory with `<name>.subject.hbs`, `<name>.html.hbs`, `<name>.text.hbs`, `layouts/`, `partials/`. Default: sinks/templates. */
  templatesDir?: string;
}
