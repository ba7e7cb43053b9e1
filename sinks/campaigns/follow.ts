import type { RunningJourneys } from "./journeys/engine.ts";
import type { CampaignRegistry } from "./registry.ts";
import type { RunningScheduler } from "./scheduler.ts";

/**
 * Keeps the scheduler and the journey engine on the registry's definitions: after each put, delete or
 * reload, the scheduler re-arms and the journeys take the new steps (before the put resolves). Returns
 * the function that stops following.
 *
 * @example
 * const unfollow = followCampaigns(registry, { scheduler, journeys, onError: (err) => logger.error({ err }) });
 */
export function followCampaigns(
  registry: CampaignRegistry,
  targets: {
    scheduler?: Pick<RunningScheduler, "update"> | undefined;
    journeys?: Pick<RunningJourneys, "update"> | undefined;
    onError?: (err: unknown) => void;
  },
): () => void {
  return registry.subscribe(async () => {
    await targets.scheduler?.update(registry.values());
    // A journey whose condition does not compile keeps the engine on its previous definitions.
    await targets.journeys?.update(registry.values()).catch((err: unknown) => targets.onError?.(err));
  });
}
