import type { FrequencyCap } from "./frequency-cap.ts";
import { type QuietHours, quietUntil } from "./quiet-hours.ts";
import type { SendRequest } from "./send-request.ts";
import type { ProfileRow } from "./store.ts";

/** What to do with one claimed request, before anything is rendered. */
export type Decision =
  | { action: "send"; profile: ProfileRow & { email: string }; capTakenAt?: number }
  | { action: "skip"; reason: string }
  | { action: "hold"; until: number };

/**
 * Consent and pressure, in order: no address, suppressed (5xx earlier), unsubscribed (marketing),
 * quiet hours in the profile's zone (marketing), frequency cap (marketing; reserves a slot).
 * A resumed send (found `sending` after a crash) already passed quiet hours and the cap.
 */
export function decide(args: {
  req: SendRequest;
  profile: ProfileRow | undefined;
  resumed: boolean;
  now: number;
  quietHours: QuietHours | undefined;
  cap: FrequencyCap;
}): Decision {
  const { req, profile, now } = args;
  if (!profile) return { action: "skip", reason: "unknown_profile" };
  if (!profile.email) return { action: "skip", reason: "no_email" };
  if (profile.suppressed) return { action: "skip", reason: "suppressed" };
  const withEmail = { ...profile, email: profile.email };
  if (req.transactional) return { action: "send", profile: withEmail };
  if (profile.consent === "unsubscribed") return { action: "skip", reason: "unsubscribed" };
  if (args.resumed) return { action: "send", profile: withEmail };
  const until = quietUntil(now, profile.timezone, args.quietHours);
  if (until !== undefined) return { action: "hold", until };
  if (!args.cap.tryTake(profile.profileId, now)) return { action: "skip", reason: "frequency_cap" };
  return { action: "send", profile: withEmail, capTakenAt: now };
}
