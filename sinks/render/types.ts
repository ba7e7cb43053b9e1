/**
 * The render contract: what a template sees (`RenderContext`) and what rendering returns (`EmailContent`).
 * Rendering is pure: no clock, no env, no disk after `createRenderer()`; `now` is an input.
 *
 * @example
 * const renderer = createRenderer();
 * const email = renderer.render("cart-reminder", ctx); // { subject, html, text }
 */

/** The three parts of one email, ready for the transport. */
export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

export interface RenderProfile {
  profileId: string;
  email: string;
  firstName?: string;
  /** BCP 47 tag, e.g. "fr-FR"; used by the money, date and plural helpers. */
  locale: string;
  /** IANA zone, e.g. "Europe/Paris"; used by the date helper. */
  timezone: string;
}

export interface RenderItem {
  productId: string;
  name: string;
  price?: number;
  /** ISO 4217, e.g. "EUR". */
  currency: string;
  quantity: number;
  imageUrl?: string;
  url?: string;
}

export interface RenderRecommendation {
  productId: string;
  name: string;
  price?: number;
  currency: string;
  imageUrl?: string;
  url?: string;
  /** Why it was recommended; for the send log, templates need not show it. */
  reason: string;
}

/** What a template sees. */
export interface RenderContext {
  profile: RenderProfile;
  items: RenderItem[];
  recommendations: RenderRecommendation[];
  /** Absolute https URLs. */
  links: { cart?: string; unsubscribe?: string; shop: string };
  /** Added as utm_* / nudge_send query params by the `url` helper. */
  tracking: { campaign: string; sendId: string };
  /** Payload for transactional templates (order confirmation: orderId, items, total, currency, placedAt). */
  data?: Record<string, unknown>;
  /** ISO time of sending (time is an input). */
  now: string;
}

/** Marketing emails get List-Unsubscribe headers and count against frequency caps; transactional ones do not. */
export type TemplateKind = "marketing" | "transactional";

/** The templates shipped in sinks/templates/. */
export const TEMPLATE_NAMES = [
  "cart-reminder",
  "cart-reminder-2",
  "browse-reminder",
  "order-confirmation",
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface Renderer {
  /** Render one email; throws NudgeError("NUDGE_ERR_TEMPLATE") naming the template on an unknown name or a runtime error. */
  render(template: TemplateName | string, ctx: RenderContext): EmailContent;
  /** Names of every compiled template (without part suffixes), sorted. */
  names(): string[];
  /** "transactional" when the template's name is listed as such (order-confirmation), else "marketing". */
  kind(template: TemplateName | string): TemplateKind;
}

export interface RendererOptions {
  /** Directory with `<name>.subject.hbs`, `<name>.html.hbs`, `<name>.text.hbs`, `layouts/`, `partials/`. Default: sinks/templates. */
  templatesDir?: string;
}
