import { createTwoFilesPatch } from "diff";
import type { Knex } from "knex";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { acquireSeedLock, replaceSeedRecord } from "../db/seed-store.js";
import { isWorkflowSeederError } from "../errors.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { canonicalizeJson } from "../format/canonical-json.js";
import { toWarning } from "../import/import-bundle.js";
import { prepareSeedRun, type ResolvedSeedRunOptions, type SeedStep } from "./seed-run.js";
import type { SeedRunOptions } from "./seeder-options.js";
import { type WriteSeedResult, writeSeed } from "./write-seed.js";

/** What `up` would do to one workflow. */
export type PlannedAction = "create" | "update" | "unchanged" | "replace" | "skip" | "conflict";

/** One workflow of the plan, with a unified diff of its content when it changes. */
export interface PlannedWorkflowChange {
  key: string;
  action: PlannedAction;
  existingWorkflowId: string | null;
  diff: string | null;
}

/** One seed of the plan. `not-run`: an earlier seed would fail, so `up` would stop before it. */
export interface PlannedSeed {
  name: string;
  mode: "apply" | "reapply";
  outcome: "ok" | "conflict" | "not-run";
  workflows: PlannedWorkflowChange[];
}

/** The result of {@link planSeeds}. */
export interface SeedPlanResult {
  tenant: string;
  seeds: PlannedSeed[];
  warnings: ReturnType<typeof toWarning>[];
}

function diffOf(key: string, before: BundleWorkflow | undefined, after: BundleWorkflow | undefined): string | null {
  const a = before ? canonicalizeJson(before) : "";
  const b = after ? canonicalizeJson(after) : "";
  if (a === b) return null;
  return createTwoFilesPatch(before ? `a/${key}` : "/dev/null", `b/${key}`, a, b, "", "", { context: 3 });
}

/**
 * What `up` would do, workflow by workflow, with a content diff for workflows that change
 * (`plan`, `up --dry-run`). Prepares the run as `up` does and makes its writes, records included,
 * inside one transaction that is always rolled back: it writes nothing, and sees exactly what
 * `up` would see.
 */
export async function planSeeds(db: Knex, options: SeedRunOptions): Promise<SeedPlanResult> {
  const run = await prepareSeedRun(db, options);
  const result: SeedPlanResult = { tenant: run.options.tenant, seeds: [], warnings: run.warnings.map(toWarning) };
  const rollback = new Error("plan: roll back");
  try {
    await db.transaction(async (trx) => {
      await acquireSeedLock(trx, run.options.tenant, run.options.lockTimeoutMs);
      let stopped = false;
      for (const step of run.steps) {
        if (stopped) {
          result.seeds.push({ name: step.seed.name, mode: step.mode, outcome: "not-run", workflows: [] });
          continue;
        }
        const planned = await planStep(trx, step, run.options);
        result.seeds.push(planned);
        stopped = planned.outcome === "conflict";
      }
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) rethrowAsDatabaseError(error);
  }
  return result;
}

/**
 * Makes one seed's writes in a savepoint. A seed that would conflict is written again without
 * its conflicting keys, to show what it would do to the others, then rolled back: `up` would
 * stop there. Otherwise the savepoint is kept with the seed's record, so the seeds after it see
 * what they would see in `up`.
 */
async function planStep(trx: Knex.Transaction, step: SeedStep, options: ResolvedSeedRunOptions): Promise<PlannedSeed> {
  const { seed, mode } = step;
  const conflicting = new Set<string>();
  const attempt = async (): Promise<{ savepoint: Knex.Transaction; written: WriteSeedResult }> => {
    const savepoint = await trx.transaction();
    try {
      const written = await writeSeed(savepoint, seed, {
        ...options,
        previousRecord: step.previousRecord,
        skipKeys: conflicting,
      });
      return { savepoint, written };
    } catch (error) {
      await savepoint.rollback().catch(() => undefined);
      throw error;
    }
  };
  let outcome: PlannedSeed["outcome"] = "ok";
  let run: Awaited<ReturnType<typeof attempt>>;
  try {
    run = await attempt();
  } catch (error) {
    if (!isWorkflowSeederError(error, "WORKFLOW_KEY_CONFLICT")) throw error;
    for (const i of error.issues) if (i.code === "WORKFLOW_KEY_CONFLICT") conflicting.add(i.details.key);
    outcome = "conflict";
    run = await attempt();
  }
  const { savepoint, written } = run;
  const replaced = new Set(written.imported.deletedWorkflows.map((w) => w.key));
  const updated = new Set(written.imported.updatedWorkflows.map((w) => w.key));
  const workflows = seed.bundle.workflows.map(({ key }): PlannedWorkflowChange => {
    const existingWorkflowId = written.existingIds.get(key) ?? null;
    if (conflicting.has(key)) return { key, action: "conflict", existingWorkflowId, diff: null };
    const diff = diffOf(key, written.before.get(key)?.workflow, written.after.get(key)?.workflow);
    if (existingWorkflowId === null) return { key, action: "create", existingWorkflowId, diff };
    if (replaced.has(key)) return { key, action: "replace", existingWorkflowId, diff };
    if (updated.has(key)) return { key, action: diff === null ? "unchanged" : "update", existingWorkflowId, diff };
    return { key, action: "skip", existingWorkflowId, diff: null };
  });
  // A seed that would fail leaves nothing behind for the seeds after it.
  if (outcome === "conflict") await savepoint.rollback();
  else {
    // Replace rather than insert: a pending seed another process applied since the inventory is
    // planned all the same, as it always was, instead of failing on its record.
    await replaceSeedRecord(savepoint, options.tenant, written.record);
    await savepoint.commit();
  }
  return { name: seed.name, mode, outcome, workflows };
}
