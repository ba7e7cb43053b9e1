import type { Db } from "../../ingest/index.ts";
import { NudgeError } from "../../ingest/index.ts";
import { type ComposeOptions, compose } from "../delivery/compose.ts";
import type { RecommendFn } from "../delivery/email-sink.ts";
import { messageIdOf, SendRequest, sendIdOf, sendKey } from "../delivery/send-request.ts";
import { DeliveryStore } from "../delivery/store.ts";
import type { EmailContent, Renderer } from "../render/index.ts";

/**
 * Renders the email a profile would get, without sending or recording anything: the same lookups,
 * recommendations and composition as a real send.
 *
 * @example const { subject, html } = await previewEmail(deps, { campaign: "winter", template: "browse-reminder", profileId: "p1" });
 */
export async function previewEmail(
  deps: { db: Db; renderer: Renderer; recommend: RecommendFn; compose: ComposeOptions; now: () => number },
  input: {
    campaign: string;
    template: string;
    profileId: string;
    strategy?: string | undefined;
    data?: Record<string, unknown>;
  },
): Promise<EmailContent> {
  const req = SendRequest.parse({ ...input, runId: "preview" });
  const conn = await deps.db.instance.connect();
  try {
    const store = new DeliveryStore(conn);
    const profile = (await store.profiles([req.profileId])).get(req.profileId);
    if (!profile?.email) {
      throw new NudgeError(
        "NUDGE_ERR_CAMPAIGN_NOT_FOUND",
        `no profile ${req.profileId} with an email address`,
      );
    }
    const now = deps.now();
    const recs = req.strategy
      ? await deps.recommend([{ profileId: req.profileId, context: [] }], {
          strategy: req.strategy,
          limit: 4,
          now: new Date(now),
        })
      : [];
    const products = await store.products([
      ...req.items.map((i) => i.productId),
      ...recs.map((r) => r.productId),
    ]);
    const key = sendKey(req);
    const { ctx } = compose(
      {
        req,
        key,
        sendId: sendIdOf(key),
        messageId: messageIdOf(key),
        profile: { ...profile, email: profile.email },
        products,
        recommendations: recs,
        now,
      },
      deps.compose,
    );
    return deps.renderer.render(req.template, ctx);
  } finally {
    conn.closeSync();
  }
}
