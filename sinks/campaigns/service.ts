import { randomUUID } from "node:crypto";
import type { KV } from "@nats-io/kv";
import { NudgeError } from "../../ingest/index.ts";
import type { SegmentParams, SegmentRunner } from "../../queries/index.ts";
import type { Clock } from "../delivery/clock.ts";
import type { EmailSink, SendResult } from "../delivery/email-sink.ts";
import { outcomeKey } from "../delivery/sink-types.ts";
import { TokenBucket } from "../delivery/token-bucket.ts";
import type { EmailContent } from "../render/index.ts";
import type { Campaign, Step } from "./definition.ts";
import { checkCondition } from "./journeys/condition.ts";
import type { CampaignRegistry } from "./registry.ts";
import { countWorkflow, type StepCount, sendRows } from "./run-workflow.ts";
import { nextFireTime } from "./scheduler.ts";

export type CampaignRun = {
  id: string;
  campaign: string;
  dryRun: boolean;
  status: "dry_run" | "running" | "done" | "failed";
  steps: StepCount[];
  sends: Record<string, number>;
  startedAt: string;
  finishedAt?: string;
  error?: string;
};

export interface CampaignServiceDeps {
  /** The definitions, read live: a put or delete takes effect at the next call. */
  registry: CampaignRegistry;
  runner: SegmentRunner;
  sink: EmailSink;
  /** KV bucket `nudge_state`: runs are kept under `runs.<campaign>.<id>`. */
  state: KV;
  clock: Clock;
  preview(input: {
    campaign: string;
    template: string;
    profileId: string;
    strategy?: string | undefined;
  }): Promise<EmailContent>;
}

/** The steps an action or orchestrated campaign runs (an action campaign is a one-step workflow). */
function workflowOf(c: Campaign): {
  audience: Extract<Campaign, { audience: unknown }>["audience"];
  steps: Step[];
} {
  if (c.kind === "action") {
    return {
      audience: c.audience,
      steps: [{ type: "send", template: c.template, per: "profile", strategy: c.strategy }],
    };
  }
  if (c.kind === "orchestrated") return { audience: c.audience, steps: c.steps };
  throw new NudgeError("NUDGE_ERR_CAMPAIGN", `campaign ${c.name} is a ${c.kind} campaign: it has no runs`);
}

function firstTemplate(c: Campaign): { template: string; strategy?: string | undefined } {
  switch (c.kind) {
    case "api":
      return { template: c.template };
    case "action":
      return { template: c.template, strategy: c.strategy };
    case "journey": {
      const send = c.steps.find((s) => "send" in s);
      if (send && "send" in send) return send.send;
      break;
    }
    case "orchestrated": {
      const find = (steps: readonly Step[]): Step | undefined => {
        for (const s of steps) {
          if (s.type === "send") return s;
          if (s.type === "split")
            for (const b of s.branches) {
              const f = find(b.steps);
              if (f) return f;
            }
        }
        return undefined;
      };
      const s = find(c.steps);
      if (s?.type === "send") return { template: s.template, strategy: s.strategy };
    }
  }
  throw new NudgeError("NUDGE_ERR_CAMPAIGN", `campaign ${c.name} sends nothing to preview`);
}

/**
 * Campaigns for the API and the scheduler: list, API-triggered sends, runs (dry or real) of action and
 * orchestrated campaigns with exact counts per step, and previews.
 *
 * @example const run = await campaigns.startRun("winter-boots", { dryRun: true, params: {} });
 */
export class CampaignService {
  readonly #d: CampaignServiceDeps;
  readonly #sending = new Map<string, Promise<void>>();
  constructor(deps: CampaignServiceDeps) {
    this.#d = deps;
  }

  get registry(): CampaignRegistry {
    return this.#d.registry;
  }

  get(name: string): Campaign {
    const c = this.#d.registry.get(name);
    if (!c) throw new NudgeError("NUDGE_ERR_CAMPAIGN_NOT_FOUND", `no campaign named "${name}"`);
    return c;
  }

  /** A definition as written (defaults not filled in), and the file it lives in. */
  async definition(name: string): Promise<{ definition: unknown; source?: string | undefined }> {
    const e = this.#d.registry.entry(name);
    if (!e) throw new NudgeError("NUDGE_ERR_CAMPAIGN_NOT_FOUND", `no campaign named "${name}"`);
    return { definition: e.definition, source: e.source };
  }

  /**
   * Creates or replaces a campaign: checked by the `Campaign` schema, its cron schedule parsed and its
   * journey conditions compiled in the sandbox (what would otherwise fail only at the next start or
   * fire), then stored (see `CampaignRegistry.put`); the scheduler and journeys follow through the
   * registry's listeners.
   */
  async put(name: string, definition: unknown) {
    const { entry, created } = await this.#d.registry.put(name, definition, (c) => this.#check(c));
    return { definition: entry.definition, source: entry.source, created };
  }

  /** True when a campaign was deleted. Runs already started go on; no new run or fire starts. */
  delete(name: string): Promise<boolean> {
    return this.#d.registry.delete(name);
  }

  async #check(c: Campaign) {
    if ("schedule" in c && c.schedule) nextFireTime(c.schedule, this.#d.clock.now());
    if (c.kind === "journey") {
      for (const [i, s] of c.steps.entries()) {
        if ("condition" in s) await checkCondition(this.#d.runner, s.condition.sql, `steps.${i}.condition`);
      }
    }
  }

  async list() {
    const byName = [...this.#d.registry.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return byName.map((c) => ({
      name: c.name,
      kind: c.kind,
      description: c.description,
      ...("schedule" in c && c.schedule ? { schedule: c.schedule } : {}),
      ...("trigger" in c ? { trigger: c.trigger } : {}),
    }));
  }

  /** An API-triggered send: one email now, keyed by the Idempotency-Key when there is one. */
  async trigger(name: string, profileId: string, data: Record<string, unknown>, idempotencyKey?: string) {
    const c = this.get(name);
    if (c.kind !== "api") {
      throw new NudgeError(
        "NUDGE_ERR_CAMPAIGN",
        `campaign ${name} is a ${c.kind} campaign, not an API-triggered one`,
      );
    }
    const r = await this.#d.sink.submit({
      campaign: name,
      runId: idempotencyKey ?? randomUUID(),
      profileId,
      template: c.template,
      data,
      transactional: c.transactional,
    });
    return { sendId: r.sendId, status: r.status, reason: r.reason, messageId: r.messageId };
  }

  async preview(name: string, profileId: string) {
    return this.#d.preview({ campaign: name, profileId, ...firstTemplate(this.get(name)) });
  }

  async getRun(name: string, id: string): Promise<CampaignRun | undefined> {
    this.get(name);
    const e = await this.#d.state.get(runKey(name, id));
    return e?.value.length ? (e.json() as CampaignRun) : undefined;
  }

  /**
   * Exact counts at every step (one statement), then, unless `dryRun`, the sends: one message per
   * profile or entity, keyed (campaign, run + step, profile, entity) so re-running the same run id
   * sends nothing twice. Resolves once counted; sending goes on in the background (see `getRun`).
   */
  async startRun(
    name: string,
    opts: { dryRun: boolean; params: SegmentParams; runId?: string },
  ): Promise<CampaignRun> {
    const c = this.get(name);
    const { audience, steps } = workflowOf(c);
    const { plan, counts } = await countWorkflow(this.#d.runner, audience, steps, c.name, opts.params);
    const run: CampaignRun = {
      id: opts.runId ?? randomUUID(),
      campaign: name,
      dryRun: opts.dryRun,
      status: opts.dryRun ? "dry_run" : "running",
      steps: counts,
      sends: {},
      startedAt: new Date(this.#d.clock.now()).toISOString(),
    };
    await this.#save(run);
    if (!opts.dryRun) {
      const params = { ...audience.params, ...opts.params };
      const done = this.#send(c, run, plan, params).catch(async (err: unknown) => {
        run.status = "failed";
        // First line only: DuckDB's internal errors carry a native stack trace after it.
        run.error = (err instanceof Error ? err.message : String(err)).split("\n")[0];
        await this.#save(run);
      });
      this.#sending.set(run.id, done);
      void done.finally(() => this.#sending.delete(run.id));
    }
    return run;
  }

  /** Resolves when a run's sends are all final (for tests and the CLI). */
  async settled(runId: string): Promise<void> {
    await this.#sending.get(runId);
  }

  async #send(
    c: Campaign,
    run: CampaignRun,
    plan: Awaited<ReturnType<typeof countWorkflow>>["plan"],
    params: SegmentParams,
  ) {
    const bucket = "rate" in c && c.rate ? new TokenBucket(c.rate, this.#d.clock) : undefined;
    for (const step of plan.steps) {
      if (!step.send) continue;
      const rows = await sendRows(this.#d.runner, plan, step, params);
      const pending: Promise<SendResult>[] = [];
      for (const row of rows) {
        const entityKey = step.send.per === "entity" ? step.send.entityKey : undefined;
        const entity = entityKey ? row[entityKey] : undefined;
        if (entityKey && (entity === null || entity === undefined)) continue;
        if (bucket) await bucket.take();
        pending.push(
          this.#d.sink.submit({
            campaign: c.name,
            runId: `${run.id}/${step.name}`,
            profileId: String(row.profile_id),
            entityId: entity === undefined ? undefined : String(entity),
            template: step.send.template,
            strategy: step.send.strategy,
            data: row,
          }),
        );
      }
      for (const r of await Promise.all(pending)) {
        const k = outcomeKey(r);
        run.sends[k] = (run.sends[k] ?? 0) + 1;
      }
      await this.#save(run);
    }
    run.status = "done";
    run.finishedAt = new Date(this.#d.clock.now()).toISOString();
    await this.#save(run);
  }

  async #save(run: CampaignRun) {
    await this.#d.state.put(runKey(run.campaign, run.id), JSON.stringify(run));
  }
}

const runKey = (campaign: string, id: string) => `runs.${campaign}.${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
