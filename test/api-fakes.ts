import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type {
  AppDeps,
  CampaignRun,
  CampaignsService,
  EmailService,
  RecommendService,
  SegmentsService,
} from "../api/index.ts";
import { buildApp, createMetrics, defaultSegments, entityUploader } from "../api/index.ts";
import { type Config, loadConfig, NudgeError, openDb } from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

export const fakeRecommend: RecommendService = {
  async recommend(profileId, { strategy, limit }) {
    if (strategy && strategy !== "popular")
      throw new NudgeError("NUDGE_ERR_STRATEGY", `unknown strategy ${strategy}`);
    return Array.from({ length: limit }, (_, i) => ({
      productId: `sku-${i}`,
      score: limit - i,
      reason: `popular for ${profileId}`,
    }));
  },
};

/** Campaigns: "welcome" (API-triggered) and "winback" (orchestrated); counts every send. */
export function fakeCampaigns(): CampaignsService & {
  sends: Array<{ name: string; profileId: string; key?: string }>;
} {
  const sends: Array<{ name: string; profileId: string; key?: string }> = [];
  const runs = new Map<string, CampaignRun>();
  const known = (name: string) => {
    if (name !== "welcome" && name !== "winback")
      throw new NudgeError("NUDGE_ERR_CAMPAIGN_NOT_FOUND", `no campaign ${name}`);
  };
  return {
    sends,
    async list() {
      return [
        { name: "welcome", kind: "api", description: "transactional welcome" },
        { name: "winback", kind: "orchestrated", description: "win back lapsed buyers" },
      ];
    },
    async trigger(name, profileId, _data, key) {
      known(name);
      sends.push({ name, profileId, ...(key ? { key } : {}) });
      return { sendId: `${name}:${profileId}:${sends.length}`, status: "sent" };
    },
    async startRun(name, { dryRun }) {
      known(name);
      const run: CampaignRun = {
        id: `run-${runs.size + 1}`,
        campaign: name,
        dryRun,
        status: "done",
        steps: [
          { name: "audience", kind: "query", count: 120 },
          { name: "paris", kind: "split", count: 40 },
          { name: "send", kind: "send", count: 40 },
        ],
      };
      runs.set(run.id, run);
      return run;
    },
    async getRun(name, id) {
      known(name);
      return runs.get(id);
    },
    async preview(name, profileId) {
      known(name);
      return {
        subject: `Hello ${profileId}`,
        html: `<p>Hello <b>${profileId}</b></p>`,
        text: `Hello ${profileId}`,
      };
    },
    async definition(name) {
      known(name);
      return { definition: { name, kind: name === "welcome" ? "api" : "orchestrated" } };
    },
    async put(_name, definition) {
      return { definition, created: false };
    },
    async delete(name) {
      return name === "welcome" || name === "winback";
    },
  };
}

export function fakeEmail(): EmailService & { unsubscribed: string[] } {
  const unsubscribed: string[] = [];
  return {
    unsubscribed,
    verifyUnsubscribeToken: (token) => (token === "good-token" ? { profileId: "p1" } : undefined),
    async unsubscribe(profileId) {
      unsubscribed.push(profileId);
    },
  };
}

export interface TestApi extends AsyncDisposable {
  app: FastifyInstance;
  deps: AppDeps;
  campaigns: ReturnType<typeof fakeCampaigns>;
  email: ReturnType<typeof fakeEmail>;
  segments: SegmentsService;
}

/** A real NATS, an in-memory DuckDB, the API's real segments service (queries/, with its count slots) and fakes for the services not under test. */
export async function startApi(
  env: Record<string, string> = {},
  overrides: Partial<AppDeps> = {},
): Promise<TestApi> {
  const nats = await startTestNats();
  const db = await openDb(":memory:");
  const config: Readonly<Config> = loadConfig({ LOG_LEVEL: "silent", ...env });
  const campaigns = fakeCampaigns();
  const email = fakeEmail();
  const segmentsDir = mkdtempSync(join(tmpdir(), "nudge-api-segments-"));
  const segments = await defaultSegments(db, { SEGMENTS_DIR: segmentsDir });
  const deps: AppDeps = {
    config,
    nc: nats.nc,
    db,
    segments,
    recommend: fakeRecommend,
    campaigns,
    email,
    metrics: createMetrics(),
    now: Date.now,
    entities: entityUploader(db),
    ...overrides,
  };
  const app = await buildApp(deps);
  return {
    app,
    deps,
    campaigns,
    email,
    segments,
    async [Symbol.asyncDispose]() {
      await app.close();
      db.close();
      rmSync(segmentsDir, { recursive: true, force: true });
      await nats[Symbol.asyncDispose]();
    },
  };
}
