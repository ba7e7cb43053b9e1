import { z } from "zod";
import { Duration } from "../../ingest/index.ts";

const Name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lowercase letters, digits, _ and -, at most 64");
/** A SQL boolean expression over the current rows' columns (run in the segment sandbox). */
const Expr = z.string().min(1).max(4_000);
const Ident = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, "a column or table name: lowercase letters, digits and _");
const Params = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({});

/** Where a campaign's audience comes from: a stored segment, or inline SQL (both return profile_id). */
export const Audience = z.union([
  z.strictObject({ segment: Name, params: Params }),
  z.strictObject({ sql: z.string().min(1), params: Params }),
]);
export type Audience = z.infer<typeof Audience>;

export const SendStep = z.strictObject({
  type: z.literal("send"),
  name: z.string().optional(),
  template: z.string().min(1),
  /** One message per profile (default) or per entity key (e.g. `booking_id`). */
  per: z.enum(["profile", "entity"]).default("profile"),
  entityKey: Ident.optional(),
  strategy: z.string().optional(),
});

type StepIn =
  | { type: "filter"; name?: string; where: string }
  | { type: "enrich"; name?: string; table: string; on: string; columns?: string[] }
  | { type: "dedupe"; name?: string; by: string[]; orderBy?: string }
  | z.input<typeof SendStep>
  | {
      type: "split";
      name?: string;
      /** Deterministic split: by SQL expression (first match wins) or by percentage of a hash of profile_id. */
      branches: { name: string; when?: string; percent?: number; steps?: StepIn[] }[];
    };

/**
 * One step of an orchestrated workflow. Every step is set-based SQL over the rows the previous step
 * left; `split` forks into branches with their own steps.
 */
export const Step: z.ZodType<Step, StepIn> = z.lazy(() =>
  z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("filter"), name: z.string().optional(), where: Expr }),
    z.strictObject({
      type: z.literal("enrich"),
      name: z.string().optional(),
      table: Ident,
      on: Ident,
      columns: z.array(Ident).optional(),
    }),
    z.strictObject({
      type: z.literal("dedupe"),
      name: z.string().optional(),
      by: z.array(Ident).min(1),
      orderBy: Expr.optional(),
    }),
    SendStep,
    z.strictObject({
      type: z.literal("split"),
      name: z.string().optional(),
      branches: z
        .array(
          z.strictObject({
            name: Name,
            when: Expr.optional(),
            percent: z.number().min(0).max(100).optional(),
            steps: z.array(Step).default([]),
          }),
        )
        .min(2),
    }),
  ]),
);
export type Step =
  | { type: "filter"; name?: string | undefined; where: string }
  | { type: "enrich"; name?: string | undefined; table: string; on: string; columns?: string[] | undefined }
  | { type: "dedupe"; name?: string | undefined; by: string[]; orderBy?: string | undefined }
  | z.infer<typeof SendStep>
  | {
      type: "split";
      name?: string | undefined;
      branches: { name: string; when?: string | undefined; percent?: number | undefined; steps: Step[] }[];
    };

const Schedule = z.union([
  z.strictObject({ at: z.iso.datetime({ offset: true }) }),
  z.strictObject({ cron: z.string().min(9), timezone: z.string().default("UTC") }),
]);

const common = {
  name: Name,
  description: z.string().optional(),
};

/** A journey step: send, wait (event time), condition (SQL over the profile), exit. */
export const JourneyStep = z.union([
  z.strictObject({ send: z.strictObject({ template: z.string(), strategy: z.string().optional() }) }),
  z.strictObject({ wait: Duration }),
  z.strictObject({
    /** SQL returning one row with a boolean `ok` for `$profile_id` (and `$entered_at`, `$now`). */
    condition: z.strictObject({ sql: z.string().min(1), else: z.enum(["exit", "continue"]).default("exit") }),
  }),
  z.strictObject({ exit: z.literal(true) }),
]);
export type JourneyStep = z.infer<typeof JourneyStep>;

/**
 * A campaign definition, as a file in CAMPAIGNS_DIR (`<name>.yaml` or `.json`) or through the API.
 *
 * @example
 * { name: "winter-boots", kind: "action", audience: { segment: "subscribed" }, template: "browse-reminder", schedule: { cron: "0 9 * * 1", timezone: "Europe/Paris" } }
 */
export const Campaign = z.discriminatedUnion("kind", [
  z.strictObject({
    ...common,
    kind: z.literal("journey"),
    trigger: z.enum(["cart_abandoned", "browse_abandoned"]),
    /** `never`: one journey per profile ever; `after_exit` (default): again once the last one ended. */
    reentry: z.enum(["never", "after_exit"]).default("after_exit"),
    exitOn: z.array(z.enum(["purchase", "cart_add"])).default(["purchase"]),
    steps: z.array(JourneyStep).min(1),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("action"),
    audience: Audience,
    template: z.string().min(1),
    strategy: z.string().optional(),
    schedule: Schedule.optional(),
    /** Most emails per second for this campaign (the global SEND_RATE still applies). */
    rate: z.number().positive().optional(),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("api"),
    template: z.string().min(1),
    transactional: z.boolean().default(true),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("orchestrated"),
    audience: Audience,
    steps: z.array(Step).min(1),
    schedule: Schedule.optional(),
  }),
]);
export type Campaign = z.infer<typeof Campaign>;
export type CampaignKind = Campaign["kind"];
