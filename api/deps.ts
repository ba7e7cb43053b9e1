import type { NatsConnection } from "@nats-io/transport-node";
import type { Config, Db, OutMsg, PublishResult } from "../ingest/index.ts";
import type { ApiMetrics } from "./metrics.ts";

/**
 * What the API needs from the rest of nudge. Each service is an interface so `nudge run` can plug in the
 * real implementations (queries/, sinks/, campaigns) and tests can plug in small fakes.
 */

/** A stored segment: a `SELECT` returning `profile_id` (and optionally an entity key). */
export interface SegmentInfo {
  name: string;
  sql: string;
  description?: string | undefined;
  /** Where it lives: a `.sql` file in SEGMENTS_DIR, or stored through the API. */
  source?: string | undefined;
}

export interface SegmentCount {
  /** Exact number of distinct profiles. */
  count: number;
  /** For multi-level segments: distinct values of each entity key column (e.g. `booking_id`). */
  perEntity?: Record<string, number> | undefined;
  elapsedMs: number;
}

export type SegmentParams = Record<string, string | number | boolean | null | string[] | number[]>;

/** Segments (queries/). Faults are NudgeErrors: SEGMENT_SQL, SEGMENT_REFUSED, SEGMENT_TIMEOUT, SEGMENT_NOT_FOUND. */
export interface SegmentsService {
  count(query: { sql: string } | { name: string }, params: SegmentParams): Promise<SegmentCount>;
  list(): Promise<SegmentInfo[]>;
  get(name: string): Promise<SegmentInfo | undefined>;
  put(name: string, segment: { sql: string; description?: string | undefined }): Promise<SegmentInfo>;
  /** True when something was deleted. */
  delete(name: string): Promise<boolean>;
}

// Result shapes are type aliases, not interfaces: a service may return more fields (they pass through to
// the response), and a type alias stays assignable to the routes' open response schemas.
export type RecommendedItem = {
  productId: string;
  score: number;
  reason: string;
};

/** Recommendations (queries/). Unknown strategy: NudgeError STRATEGY. */
export interface RecommendService {
  recommend(
    profileId: string,
    opts: { strategy?: string | undefined; limit: number },
  ): Promise<RecommendedItem[]>;
}

export type CampaignSummary = {
  name: string;
  kind: string;
  description?: string | undefined;
};

export type TriggerResult = {
  /** The send's idempotency key (also `X-Nudge-Send-Id`). */
  sendId: string;
  status: string;
  reason?: string | undefined;
};

export type RunStep = {
  name: string;
  kind?: string | undefined;
  count: number;
};

export type CampaignRun = {
  id: string;
  campaign: string;
  dryRun: boolean;
  status: string;
  steps: RunStep[];
};

export interface Preview {
  subject: string;
  html: string;
  text: string;
}

/** Campaigns. Unknown campaign: NudgeError CAMPAIGN_NOT_FOUND (→ 404); unknown run: `getRun` returns undefined. */
export interface CampaignsService {
  list(): Promise<CampaignSummary[]>;
  /** Sends one transactional email now. `idempotencyKey` is passed on so the send ledger can key on it too. */
  trigger(
    name: string,
    profileId: string,
    data: Record<string, unknown>,
    idempotencyKey?: string | undefined,
  ): Promise<TriggerResult>;
  startRun(name: string, opts: { dryRun: boolean; params: SegmentParams }): Promise<CampaignRun>;
  getRun(name: string, id: string): Promise<CampaignRun | undefined>;
  preview(name: string, profileId: string): Promise<Preview>;
  /** A definition as written (no defaults filled in), and its file. */
  definition(name: string): Promise<{ definition: unknown; source?: string | undefined }>;
  /**
   * Creates or replaces a campaign (body already checked by the `Campaign` schema); stored durably and
   * in effect at once. Semantic problems (a bad cron, a condition that does not compile): CAMPAIGN.
   */
  put(
    name: string,
    definition: unknown,
  ): Promise<{ definition: unknown; source?: string | undefined; created: boolean }>;
  /** True when something was deleted. */
  delete(name: string): Promise<boolean>;
}

/** The unsubscribe side of sinks/. */
export interface EmailService {
  /** The profile (and campaign) a signed token names, or undefined when the token is not genuine. */
  verifyUnsubscribeToken(token: string): { profileId: string; campaign?: string | undefined } | undefined;
  unsubscribe(profileId: string, opts: { campaign?: string | undefined; source: string }): Promise<void>;
  /** SMTP reachability for /healthz; absent means "no SMTP configured" (outbox files), reported as ok. */
  checkSmtp?(): Promise<{ ok: boolean; detail?: string | undefined }>;
}

/** Loads an uploaded CSV or NDJSON body into an entity table (ingest `loadEntities`). */
export interface EntitiesService {
  load(table: string, format: "csv" | "ndjson", body: Buffer): Promise<{ table: string; rows: number }>;
}

/** Limits applied by the app; defaults in app.ts. */
export interface ApiLimits {
  /** Body limit for every route but events and entities, in bytes. */
  bodyLimit: number;
  /** Body limit of `POST /v1/events`. */
  eventsBodyLimit: number;
  /** Body limit of `POST /v1/entities/:table`. */
  entitiesBodyLimit: number;
  /** Requests per `rateWindowMs` per API key (or per IP when open). */
  rateMax: number;
  rateWindowMs: number;
}

export interface AppDeps {
  config: Readonly<Config>;
  nc: NatsConnection;
  db: Db;
  segments: SegmentsService;
  recommend: RecommendService;
  campaigns: CampaignsService;
  email: EmailService;
  metrics: ApiMetrics;
  now: () => number;
  entities?: EntitiesService | undefined;
  /** Publishes accepted events (encoded once); default: JetStream `publishMany`, PubAcks awaited. */
  publish?: ((msgs: OutMsg[]) => Promise<PublishResult[]>) | undefined;
  limits?: Partial<ApiLimits> | undefined;
  /** Pino log level; "silent" in tests. */
  logLevel?: string | undefined;
}
