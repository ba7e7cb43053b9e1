import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppDeps } from "../deps.ts";
import { ErrorBody } from "../errors.ts";

const Reply = z.object({
  profileId: z.string(),
  strategy: z.string().optional(),
  items: z.array(z.looseObject({ productId: z.string(), score: z.number(), reason: z.string() })),
});

/** `GET /v1/profiles/:id/recommendations?strategy=&limit=`. */
export function profilesRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/v1/profiles/:id/recommendations",
      {
        schema: {
          tags: ["recommendations"],
          summary: "Recommendations for one shopper",
          description:
            "Ranked products with the reason for each. Strategies: viewed_viewed, viewed_bought, bought_bought, " +
            "cart_based, popular, recently_viewed; backfilled from popular. Unknown strategy: 400.",
          params: z.strictObject({ id: z.string().min(1).max(128) }),
          querystring: z.strictObject({
            strategy: z
              .string()
              .regex(/^[a-z_]{1,64}$/)
              .optional(),
            limit: z.coerce.number().int().min(1).max(100).default(8),
          }),
          response: { 200: Reply, 400: ErrorBody },
        },
      },
      async (req) => {
        const { strategy, limit } = req.query;
        const items = await deps.recommend.recommend(req.params.id, { strategy, limit });
        return { profileId: req.params.id, strategy, items };
      },
    );
  };
}
