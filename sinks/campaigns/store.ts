import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { NudgeError } from "../../ingest/index.ts";
import { Campaign } from "./definition.ts";

const EXT = new Set([".yaml", ".yml", ".json"]);

/** Parses one definition's text; errors name the source and every path at fault. */
export function parseCampaign(text: string, source: string): Campaign {
  let raw: unknown;
  try {
    raw = source.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new NudgeError(
      "NUDGE_ERR_CAMPAIGN",
      `${source}: not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${err instanceof Error ? err.message : err}`,
    );
  }
  const parsed = Campaign.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new NudgeError("NUDGE_ERR_CAMPAIGN", `${source}: ${issues.join("; ")}`, { context: { issues } });
  }
  return parsed.data;
}

/**
 * The campaigns of CAMPAIGNS_DIR (`*.yaml`, `*.yml`, `*.json`), plus those added through the API (kept in
 * memory, and in the folder when it is writable). Every file is checked at load; one bad file fails the
 * load with its name and problems, so a typo never silently drops a campaign.
 *
 * @example const campaigns = loadCampaigns("./campaigns");
 */
export function loadCampaigns(dir: string): Map<string, Campaign> {
  const out = new Map<string, Campaign>();
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => EXT.has(extname(f)))
      .sort();
  } catch {
    return out; // no folder: no campaigns
  }
  for (const f of files) {
    const c = parseCampaign(readFileSync(join(dir, f), "utf8"), join(dir, f));
    if (out.has(c.name))
      throw new NudgeError("NUDGE_ERR_CAMPAIGN", `${join(dir, f)}: campaign ${c.name} is defined twice`);
    out.set(c.name, c);
  }
  return out;
}
