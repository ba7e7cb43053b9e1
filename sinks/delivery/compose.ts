import type { RenderContext, RenderItem, RenderRecommendation } from "../render/index.ts";
import type { OutgoingEmail } from "./mailer.ts";
import type { SendRequest } from "./send-request.ts";
import type { ProductRow, ProfileRow } from "./store.ts";
import { listUnsubscribeHeaders, signUnsubscribeToken } from "./unsubscribe-token.ts";

/** A ranked product for one profile, as `recommend()` in queries/ returns it. */
export interface Recommendation {
  profileId: string;
  productId: string;
  score: number;
  reason: string;
  rank: number;
}

export interface ComposeOptions {
  mailFrom: string;
  /** Base of the unsubscribe link (PUBLIC_URL). */
  publicUrl: string;
  /** Base of shop and cart links. */
  shopUrl: string;
  unsubscribeSecret: string;
  defaultCurrency: string;
  defaultLocale: string;
}

/** What one email is made of once the batch's lookups are done. Pure: `now` is an input. */
export interface Composed {
  ctx: RenderContext;
  mail: Omit<OutgoingEmail, "subject" | "html" | "text">;
}

function productUrl(p: ProductRow | undefined, shopUrl: string, productId: string): string {
  return p?.url ?? new URL(`/products/${encodeURIComponent(productId)}`, shopUrl).toString();
}

/**
 * Builds the render context and the envelope of one email: items from the request joined with the
 * product table, recommendations (already filtered), links, and the idempotency and List-Unsubscribe
 * headers (marketing only).
 */
export function compose(
  args: {
    req: SendRequest;
    key: string;
    sendId: string;
    messageId: string;
    profile: ProfileRow & { email: string };
    products: ReadonlyMap<string, ProductRow>;
    recommendations: readonly Recommendation[];
    now: number;
  },
  opts: ComposeOptions,
): Composed {
  const { req, profile, products } = args;
  const items: RenderItem[] = req.items.map((it) => {
    const p = products.get(it.productId);
    return {
      productId: it.productId,
      name: p?.name ?? it.productId,
      price: it.price ?? p?.price,
      currency: p?.currency ?? opts.defaultCurrency,
      quantity: it.quantity,
      imageUrl: p?.imageUrl,
      url: productUrl(p, opts.shopUrl, it.productId),
    };
  });
  const recommendations: RenderRecommendation[] = args.recommendations.map((r) => {
    const p = products.get(r.productId);
    return {
      productId: r.productId,
      name: p?.name ?? r.productId,
      price: p?.price,
      currency: p?.currency ?? opts.defaultCurrency,
      imageUrl: p?.imageUrl,
      url: productUrl(p, opts.shopUrl, r.productId),
      reason: r.reason,
    };
  });
  const headers: Record<string, string> = {};
  let unsubscribe: string | undefined;
  if (!req.transactional) {
    const token = signUnsubscribeToken(profile.profileId, opts.unsubscribeSecret);
    const lu = listUnsubscribeHeaders({ publicUrl: opts.publicUrl, mailFrom: opts.mailFrom, token });
    Object.assign(headers, lu.headers);
    unsubscribe = lu.url;
  }
  const ctx: RenderContext = {
    profile: {
      profileId: profile.profileId,
      email: profile.email,
      firstName: profile.firstName,
      locale: profile.locale ?? opts.defaultLocale,
      timezone: profile.timezone ?? "UTC",
    },
    items,
    recommendations,
    links: {
      shop: opts.shopUrl,
      cart: req.items.length > 0 ? new URL("/cart", opts.shopUrl).toString() : undefined,
      unsubscribe,
    },
    tracking: { campaign: req.campaign, sendId: args.sendId },
    data: req.data,
    now: new Date(args.now).toISOString(),
  };
  return {
    ctx,
    mail: {
      sendId: args.sendId,
      key: args.key,
      messageId: args.messageId,
      from: opts.mailFrom,
      to: profile.email,
      headers,
    },
  };
}
