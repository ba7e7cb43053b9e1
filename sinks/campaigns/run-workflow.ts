import { NudgeError } from "../../ingest/index.ts";
import {
  inSandbox,
  type SegmentParams,
  type SegmentRunner,
  segmentBindings,
  vetSegmentSql,
} from "../../queries/index.ts";
import type { Audience, Step } from "./definition.ts";
import {
  compileWorkflow,
  countsSql,
  type PlannedStep,
  sendRowsSql,
  type WorkflowPlan,
} from "./workflow-sql.ts";

/** The exact count at one step or branch of a run. */
export type StepCount = {
  name: string;
  kind: PlannedStep["kind"];
  /** Rows leaving the step (profiles × entities once enriched). */
  rows: number;
  /** Distinct profiles. */
  count: number;
  /** Messages a send step sends: one per profile, or one per distinct entity key. */
  messages?: number;
  template?: string;
};

/** The audience's SQL text: a stored segment's file, or the inline SQL. */
export async function audienceSql(runner: SegmentRunner, audience: Audience): Promise<string> {
  return "segment" in audience ? (await runner.store.get(audience.segment)).sql : audience.sql;
}

/** Runs one composed SELECT in the segment sandbox with its named parameters; rows as plain JS. */
async function runInSandbox(runner: SegmentRunner, sql: string, params: SegmentParams) {
  return inSandbox(runner, async (conn) => {
    const vetted = await vetSegmentSql(conn, sql);
    try {
      vetted.prepared.bind(segmentBindings(vetted.params, params));
      const reader = await vetted.prepared.streamAndReadUntil(runner.maxRows + 1);
      const rows = reader.getRowObjectsJS();
      if (rows.length > runner.maxRows) {
        throw new NudgeError(
          "NUDGE_ERR_CAMPAIGN",
          `a step has more than ${runner.maxRows} rows; refusing to send to part of an audience`,
        );
      }
      return rows;
    } finally {
      vetted.prepared.destroySync();
    }
  });
}

export interface PlannedWorkflow {
  plan: WorkflowPlan;
  counts: StepCount[];
}

/**
 * Exact counts at every step and branch of a workflow, in one set-based statement (a dry run).
 *
 * @example const { counts } = await countWorkflow(runner, { segment: "subscribed", params: {} }, steps, "spring");
 */
export async function countWorkflow(
  runner: SegmentRunner,
  audience: Audience,
  steps: readonly Step[],
  salt: string,
  params: SegmentParams = {},
): Promise<PlannedWorkflow> {
  const plan = compileWorkflow(await audienceSql(runner, audience), steps, salt);
  const rows = await runInSandbox(runner, countsSql(plan), { ...audience.params, ...params });
  const counts = plan.steps.map((s, i): StepCount => {
    const r = rows.find((x) => Number(x.i) === i) ?? {};
    const c: StepCount = {
      name: s.name,
      kind: s.kind,
      rows: Number(r.n_rows ?? 0),
      count: Number(r.profiles ?? 0),
    };
    if (s.send) {
      c.messages = s.send.per === "entity" ? Number(r.entities ?? 0) : c.count;
      c.template = s.send.template;
    }
    return c;
  });
  return { plan, counts };
}

/** The rows a send step mails (JSON-safe values: dates as ISO strings, big integers as numbers). */
export async function sendRows(
  runner: SegmentRunner,
  plan: WorkflowPlan,
  step: PlannedStep,
  params: SegmentParams,
): Promise<Record<string, unknown>[]> {
  const rows = await runInSandbox(runner, sendRowsSql(plan, step), params);
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      out[k] = typeof v === "bigint" ? Number(v) : v instanceof Date ? v.toISOString() : v;
    }
    return out;
  });
}
