import type { NatsConnection } from "@nats-io/transport-node";
import { createTransport } from "nodemailer";
import { type Config, type Db, messageOf, NudgeError } from "../ingest/index.ts";
import { openSegmentRunner, recommend, segmentsService } from "../queries/index.ts";
import { Limiter, unsubscribe, unsubscribeSecret, verifyUnsubscribeToken } from "../sinks/index.ts";
import type { CampaignsService, EmailService, RecommendService, SegmentsService } from "./deps.ts";

/** The strategy used when a request names none. */
export const DEFAULT_STRATEGY = "viewed_viewed";

/** Counts the API runs at once; the others wait their turn, in order of arrival. */
export const COUNT_SLOTS = 2;

/**
 * Segments from queries/: counts run in the locked-down sandbox, `countSlots` at a time (default
 * `COUNT_SLOTS`). DuckDB already spreads one count over every core, so counts piled up side by side
 * only share the cores (each takes N times as long) and hold N of libuv's 4 threads, which the rest of
 * `nudge run` (history appends, recommendations, file writes) needs too. Two at a time, not one: a
 * count has single-threaded phases that leave a core idle (measured on 2 cores, 4 managers asking at
 * once: 2 slots ran 1.1–1.5× the counts/s of 1 slot and of no limit, with a lower p50). `elapsedMs` and
 * the time limit count from the start of the count, not from the request. Note: this locks the DuckDB
 * instance (no file access afterwards), so call it after any trusted setup that reads files.
 */
export async function defaultSegments(
  db: Db,
  config: Pick<Config, "SEGMENTS_DIR">,
  opts: { countSlots?: number } = {},
): Promise<SegmentsService> {
  const service = segmentsService(
    await openSegmentRunner(db, { dir: config.SEGMENTS_DIR, timeoutMs: 10_000 }),
  );
  const slots = new Limiter(opts.countSlots ?? COUNT_SLOTS);
  return { ...service, count: (query, params) => slots.run(() => service.count(query, params)) };
}

/** Recommendations from queries/ for one profile (the batch API with a batch of one). */
export function defaultRecommend(db: Db, now: () => number): RecommendService {
  return {
    async recommend(profileId, { strategy, limit }) {
      const rows = await recommend(db, [{ profileId }], {
        strategy: strategy ?? DEFAULT_STRATEGY,
        limit,
        now: new Date(now()),
      });
      return rows.map((r) => ({
        productId: r.productId,
        score: r.score,
        reason: r.reason,
        rank: r.rank,
        product: r.product,
      }));
    },
  };
}

/** Unsubscribe tokens and consent from sinks/, and an SMTP check (a real `EHLO`) when SMTP_URL is set. */
export async function defaultEmail(
  nc: NatsConnection,
  db: Db,
  config: Pick<Config, "UNSUBSCRIBE_SECRET" | "SMTP_URL">,
): Promise<EmailService> {
  const secret = await unsubscribeSecret(nc, config);
  const smtpUrl = config.SMTP_URL;
  return {
    verifyUnsubscribeToken(token) {
      const profileId = verifyUnsubscribeToken(token, secret);
      return profileId === undefined ? undefined : { profileId };
    },
    async unsubscribe(profileId) {
      await unsubscribe({ db }, profileId);
    },
    ...(smtpUrl && {
      async checkSmtp() {
        const url = new URL(smtpUrl);
        url.searchParams.set("connectionTimeout", "2000");
        url.searchParams.set("greetingTimeout", "2000");
        const transport = createTransport(url.toString());
        try {
          await transport.verify();
          return { ok: true, detail: `${new URL(smtpUrl).host} answers` };
        } catch (err) {
          return { ok: false, detail: messageOf(err) };
        } finally {
          transport.close();
        }
      },
    }),
  };
}

/** Until a campaigns service is plugged in: no campaigns (every name is 404). */
export const noCampaigns: CampaignsService = {
  async list() {
    return [];
  },
  trigger: async (name) => notFound(name),
  startRun: async (name) => notFound(name),
  getRun: async (name) => notFound(name),
  preview: async (name) => notFound(name),
  definition: async (name) => notFound(name),
  put: async () => {
    throw new NudgeError("NUDGE_ERR_CAMPAIGN", "this server has no campaigns service");
  },
  delete: async () => false,
};

function notFound(name: string): never {
  throw new NudgeError("NUDGE_ERR_CAMPAIGN_NOT_FOUND", `no campaign named ${name}`);
}
