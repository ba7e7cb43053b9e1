import type { FastifyInstance } from "fastify";
import type {
  AppDeps,
  CampaignRun,
  CampaignsService,
  EmailService,
  RecommendService,
  SegmentInfo,
  SegmentsService,
} from "../api/index.ts";
import { buildApp, createMetrics } from "../api/index.ts";
import { type Config, loadConfig, NudgeError, openDb } from "../ingest/index.ts";
import { startTestNats } from "./helpers/nats.ts";

/** Segments over the real DuckDB, counting `profile_id` of whatever SELECT it is given (a stand-in for queries/). */
export function fakeSegments(
  db: Awaited<ReturnType<typeof openDb>>,
): SegmentsService & { store: Map<string, SegmentInfo> } {
  const store = new Map<string, SegmentInfo>();
  const count: SegmentsService["count"] = async (query, params) => {
    const sql = "sql" in query ? query.sql : store.get(query.name)?.sql;
    if (sql === undefined)
      throw new NudgeError(
        "NUDGE_ERR_SEGMENT_NOT_FOUND",
        `no segment named ${"name" in query ? query.name : ""}`,
      );
    if (/\bread_csv|\bCOPY\b|\bATTACH\b/i.test(sql))
      throw new NudgeError("NUDGE_ERR_SEGMENT_REFUSED", "not allowed");
    const start = performance.now();
    try {
      const reader = await db.conn.runAndReadAll(
        `SELECT count(DISTINCT profile_id) AS n FROM (${sql})`,
        params as never,
      );
      const n = Number(reader.getRowObjects()[0]?.n ?? 0);
      return { count: n, elapsedMs: performance.now() - start };
    } catch (err) {
      throw new NudgeError("NUDGE_ERR_SEGMENT_SQL", err instanceof Error ? err.message : String(err));
    }
  };
  return {
    store,
    count,
    async list() {
      return [...store.values()];
    },
    async get(name) {
      return store.get(name);
    },
    async put(name, s) {
      await count({ sql: s.sql }, {});
      const info = { name, sql: s.sql, description: s.description, source: "api" };
      store.set(name, info);
      return info;
    },
    async delete(name) {
      return store.delete(name);
    },
  };
}

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
  segments: ReturnType<typeof fakeSegments>;
}

/** A real NATS + in-memory DuckDB + the app with fakes for services not under test. */
export async function startApi(
  env: Record<string, string> = {},
  overrides: Partial<AppDeps> = {},
): Promise<TestApi> {
  const nats = await startTestNats();
  const db = await openDb(":memory:");
  const config: Readonly<Config> = loadConfig({ LOG_LEVEL: "silent", ...env });
  const campaigns = fakeCampaigns();
  const email = fakeEmail();
  const segments = fakeSegments(db);
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
      await nats[Symbol.asyncDispose]();
    },
  };
}
