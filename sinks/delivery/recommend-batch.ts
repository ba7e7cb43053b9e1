import type { Recommendation } from "./compose.ts";
import type { Limiter } from "./retry.ts";
import type { SendRequest } from "./send-request.ts";
import type { RecommendFn } from "./sink-types.ts";

/**
 * Recommendations for one batch: ONE `recommend` call per strategy present (set-based over every
 * profile of the batch), each profile's list in rank order. Calls go through `lock` (one at a time:
 * DuckDB already uses every core for one statement, and the first call may build the models).
 *
 * @example const recs = await recommendForBatch(recommend, lock, { requests, now, limit: 4 });
 */
export async function recommendForBatch(
  recommend: RecommendFn | undefined,
  lock: Limiter,
  args: { requests: readonly SendRequest[]; now: number; limit: number },
): Promise<Map<string, Recommendation[]>> {
  const out = new Map<string, Recommendation[]>();
  if (!recommend) return out;
  const byStrategy = new Map<string, SendRequest[]>();
  for (const r of args.requests) {
    if (!r.strategy) continue;
    const list = byStrategy.get(r.strategy);
    if (list) list.push(r);
    else byStrategy.set(r.strategy, [r]);
  }
  for (const [strategy, list] of byStrategy) {
    const requests = list.map((r) => ({ profileId: r.profileId, context: r.items.map((i) => i.productId) }));
    // Ask for more than the email shows: items already in the email are dropped afterwards.
    const limit = args.limit + Math.max(0, ...list.map((r) => r.items.length));
    const rows = await lock.run(() => recommend(requests, { strategy, limit, now: new Date(args.now) }));
    for (const row of rows) {
      const list = out.get(row.profileId);
      if (list) list.push(row);
      else out.set(row.profileId, [row]);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.rank - b.rank);
  return out;
}
