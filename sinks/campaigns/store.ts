import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { NudgeError } from "../../ingest/index.ts";
import { Campaign } from "./definition.ts";

const EXT = new Set([".yaml", ".yml", ".json"]);

/** A campaign as stored: the parsed definition, the text's own data (defaults not filled in) and its file. */
export interface CampaignEntry {
  campaign: Campaign;
  /** What the file (or the API request) said, before defaults: what `GET /v1/campaigns/:name` shows. */
  definition: unknown;
  /** The file it lives in; undefined for campaigns kept in memory only. */
  source?: string | undefined;
}

function readText(text: string, source: string): unknown {
  try {
    return source.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new NudgeError(
      "NUDGE_ERR_CAMPAIGN",
      `${source}: not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${err instanceof Error ? err.message : err}`,
    );
  }
}

/** Validates a definition's data; errors name the source and every path at fault (`context.issues`). */
export function checkCampaign(raw: unknown, source: string): Campaign {
  const parsed = Campaign.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new NudgeError("NUDGE_ERR_CAMPAIGN", `${source}: ${issues.join("; ")}`, { context: { issues } });
  }
  return parsed.data;
}

/** Parses one definition's text; errors name the source and every path at fault. */
export function parseCampaign(text: string, source: string): Campaign {
  return checkCampaign(readText(text, source), source);
}

/**
 * Every definition file of `dir` (`*.yaml`, `*.yml`, `*.json`), with its source. One bad file fails the
 * load with its name and problems, so a typo never silently drops a campaign. No folder: no campaigns.
 */
export function loadCampaignEntries(dir: string): Map<string, CampaignEntry> {
  const out = new Map<string, CampaignEntry>();
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => EXT.has(extname(f)))
      .sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const source = join(dir, f);
    const definition = readText(readFileSync(source, "utf8"), source);
    const campaign = checkCampaign(definition, source);
    if (out.has(campaign.name))
      throw new NudgeError("NUDGE_ERR_CAMPAIGN", `${source}: campaign ${campaign.name} is defined twice`);
    out.set(campaign.name, { campaign, definition, source });
  }
  return out;
}

/**
 * The campaigns of CAMPAIGNS_DIR (`*.yaml`, `*.yml`, `*.json`), checked at load (see
 * `loadCampaignEntries`). For campaigns that change at run time, use a `CampaignRegistry`.
 *
 * @example const campaigns = loadCampaigns("./campaigns");
 */
export function loadCampaigns(dir: string): Map<string, Campaign> {
  return new Map([...loadCampaignEntries(dir)].map(([name, e]) => [name, e.campaign]));
}
