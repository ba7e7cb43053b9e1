import { quoteIdent } from "../../ingest/index.ts";
import type { Step } from "./definition.ts";

/** One counted point of a workflow: a step's output rows (or a branch's entry). */
export interface PlannedStep {
  /** Path-like name: `2 filter`, `3 split/vip/1 send`. */
  name: string;
  kind: Step["type"] | "query" | "branch";
  /** CTE holding the step's output rows. */
  cte: string;
  /** For send steps: what to send and how many messages. */
  send?: {
    template: string;
    per: "profile" | "entity";
    entityKey?: string | undefined;
    strategy?: string | undefined;
  };
}

export interface WorkflowPlan {
  /** `WITH …` clause defining every CTE (no trailing SELECT). */
  with: string;
  steps: PlannedStep[];
}

/**
 * Compiles an audience and its steps into one chain of CTEs, set-based: every step reads the rows
 * the previous one left. Pure text building: user SQL fragments (where, when, orderBy) are pasted as
 * expressions, so the result MUST run in the segment sandbox (single read-only SELECT, no files).
 * Values never go in here: they are named parameters (`$name`) bound at run time.
 *
 * @example compileWorkflow("SELECT profile_id FROM profiles", [{ type: "filter", where: "consent = 'subscribed'" }], "spring")
 */
export function compileWorkflow(audienceSql: string, steps: readonly Step[], salt: string): WorkflowPlan {
  const ctes: string[] = [`s0 AS (\n${audienceSql.trim().replace(/;\s*$/, "")}\n)`];
  const planned: PlannedStep[] = [{ name: "0 query", kind: "query", cte: "s0" }];
  let n = 0;
  const fresh = () => `s${++n}`;

  const walk = (from: string, list: readonly Step[], prefix: string) => {
    let prev = from;
    list.forEach((step, i) => {
      const label = `${prefix}${i + 1} ${step.type}${step.name ? ` ${step.name}` : ""}`;
      switch (step.type) {
        case "filter": {
          const cte = fresh();
          ctes.push(`${cte} AS (SELECT * FROM ${prev} WHERE coalesce((${step.where}), false))`);
          planned.push({ name: label, kind: "filter", cte });
          prev = cte;
          break;
        }
        case "enrich": {
          const cte = fresh();
          const cols = (step.columns ?? []).map((c) => `e.${quoteIdent(c)}`).join(", ");
          ctes.push(
            `${cte} AS (SELECT p.*${cols ? `, ${cols}` : ""} FROM ${prev} p LEFT JOIN ${quoteIdent(step.table)} e ` +
              `ON p.${quoteIdent(step.on)} = e.${quoteIdent(step.on)})`,
          );
          planned.push({ name: label, kind: "enrich", cte });
          prev = cte;
          break;
        }
        case "dedupe": {
          const cte = fresh();
          const by = step.by.map(quoteIdent).join(", ");
          // DISTINCT ON rather than QUALIFY row_number(): DuckDB 1.5.6 fails with an internal cast
          // error on QUALIFY over a hash-based split.
          ctes.push(
            `${cte} AS (SELECT DISTINCT ON (${by}) * FROM ${prev} ORDER BY ${by}${step.orderBy ? `, ${step.orderBy}` : ""})`,
          );
          planned.push({ name: label, kind: "dedupe", cte });
          prev = cte;
          break;
        }
        case "send": {
          planned.push({
            name: label,
            kind: "send",
            cte: prev,
            send: {
              template: step.template,
              per: step.per,
              entityKey: step.entityKey,
              strategy: step.strategy,
            },
          });
          break;
        }
        case "split": {
          // First match wins; percentages take consecutive slices of a stable hash of profile_id.
          const bucket = `(hash(CAST(profile_id AS VARCHAR) || ${sqlString(salt)}) % 10000) / 100.0`;
          let lower = 0;
          const earlier: string[] = [];
          for (const branch of step.branches) {
            let cond: string;
            if (branch.percent !== undefined) {
              cond = `${bucket} >= ${lower} AND ${bucket} < ${lower + branch.percent}`;
              lower += branch.percent;
            } else if (branch.when !== undefined) {
              cond = `coalesce((${branch.when}), false)`;
            } else {
              cond = "true"; // the "else" branch
            }
            const guard = earlier.length ? ` AND NOT (${earlier.join(" OR ")})` : "";
            earlier.push(cond);
            const cte = fresh();
            ctes.push(`${cte} AS (SELECT * FROM ${prev} WHERE (${cond})${guard})`);
            const branchPrefix = `${label}/${branch.name}/`;
            planned.push({ name: `${label}/${branch.name}`, kind: "branch", cte });
            walk(cte, branch.steps, branchPrefix);
          }
          break;
        }
      }
    });
  };
  walk("s0", steps, "");
  return { with: `WITH ${ctes.join(",\n")}`, steps: planned };
}

/** One statement counting every planned step: rows, distinct profiles, and distinct entity keys for sends. */
export function countsSql(plan: WorkflowPlan): string {
  const parts = plan.steps.map((s, i) => {
    const entity =
      s.send?.per === "entity" && s.send.entityKey
        ? `count(DISTINCT ${quoteIdent(s.send.entityKey)})`
        : "NULL";
    return `SELECT ${i} AS i, count(*) AS n_rows, count(DISTINCT profile_id) AS profiles, ${entity} AS entities FROM ${s.cte}`;
  });
  return `${plan.with}\nSELECT * FROM (${parts.join("\nUNION ALL\n")}) ORDER BY i`;
}

/** The rows one send step mails: one per profile, or one per entity key. */
export function sendRowsSql(plan: WorkflowPlan, step: PlannedStep): string {
  const per =
    step.send?.per === "entity" && step.send.entityKey
      ? `profile_id, ${quoteIdent(step.send.entityKey)}`
      : "profile_id";
  return `${plan.with}\nSELECT DISTINCT ON (${per}) * FROM ${step.cte} ORDER BY ${per}`;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
