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

/** What `up` would do to one workflow. `replace` deletes the existing workflow and creates a new one. */
export type PlannedAction = "create" | "update" | "unchanged" | "replace" | "skip" | "conflict";

/** One workflow of the plan; with the `diff` option, a unified diff of its content when it changes. */
export interface PlannedWorkflowChange {
  key: string;
  action: PlannedAction;
  existingWorkflowId: string | null;
  /** Null without the `diff` option, or when the content does not change. */
  diff: string | null;
}

/**
 * One seed of the plan. `mode`: `apply` (pending), `reapply` (an edited applied seed, under
 * `--on-change reapply`) or `changed` (an edited applied seed that `up` leaves alone; its
 * workflows show what re-applying the edit would change). `outcome`: `ok`; `conflict` (`up` would
 * stop at this seed); `refused` (`up` would not run at all, `--on-change fail`: the changed seeds);
 * `not-run` (`up` would not reach it, or leaves it alone).
 */
export interface PlannedSeed {
  name: string;
  mode: "apply" | "reapply" | "changed";
  outcome: "ok" | "conflict" | "not-run" | "refused";
  workflows: PlannedWorkflowChange[];
  /** What `up` would report for this seed: its checks' warnings and the import's. */
  warnings: ReturnType<typeof toWarning>[];
}

/** The result of {@link planSeeds}. */
export interface SeedPlanResult {
  tenant: string;
  seeds: PlannedSeed[];
  /** The run's warnings, as `up` reports them (and, when `up` would refuse, why: `SEED_CHECKSUM_MISMATCH`). */
  warnings: ReturnType<typeof toWarning>[];
  /** `up` would fail: a seed would conflict, or the on-change policy refuses an edited applied seed. */
  wouldFail: boolean;
}

/** Options of {@link planSeeds}. */
export interface PlanSeedsOptions extends SeedRunOptions {
  /** Compute a unified diff of each changing workflow's content (default false: a summary). */
  diff?: boolean;
}

function diffOf(key: string, before: BundleWorkflow | undefined, after: BundleWorkflow | undefined): string | null {
  const a = before ? canonicalizeJson(before) : "";
  const b = after ? canonicalizeJson(after) : "";
  if (a === b) return null;
  return createTwoFilesPatch(before ? `a/${key}` : "/dev/null", `b/${key}`, a, b, "", "", { context: 3 });
}

/**
 * What `up` would do, workflow by workflow (`plan`, `up --dry-run`): a summary, with a content
 * diff per changing workflow when asked. Prepares the run as `up` does and makes its writes,
 * records included, inside one transaction that is always rolled back: it writes nothing, and
 * sees exactly what `up` would see. An applied seed whose file was edited is shown with what
 * re-applying it would change, whatever the on-change policy; under `fail` the plan says `up`
 * would refuse (the changed seeds `refused`, the pending ones `not-run`).
 */
export async function planSeeds(db: Knex, options: PlanSeedsOptions): Promise<SeedPlanResult> {
  const run = await prepareSeedRun(db, options, "plan");
  const result: SeedPlanResult = {
    tenant: run.options.tenant,
    seeds: [],
    warnings: run.warnings.map(toWarning),
    wouldFail: run.refused,
  };
  const withDiff = options.diff === true;
  const rollback = new Error("plan: roll back");
  try {
    await db.transaction(async (trx) => {
      await acquireSeedLock(trx, run.options.tenant, run.options.lockTimeoutMs);
      let stopped = run.refused;
      for (const step of run.steps) {
        if (step.mode === "changed") {
          // `up` leaves it alone: what re-applying it would change, then undone for the others.
          const planned = await planStep(trx, step, run.options, { withDiff, keep: false });
          result.seeds.push({ ...planned, outcome: run.refused ? "refused" : "not-run" });
          continue;
        }
        if (stopped) {
          result.seeds.push({ name: step.seed.name, mode: step.mode, outcome: "not-run", workflows: [], warnings: [] });
          continue;
        }
        const planned = await planStep(trx, step, run.options, { withDiff, keep: true });
        result.seeds.push(planned);
        stopped = planned.outcome === "conflict";
        if (stopped) result.wouldFail = true;
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
async function planStep(
  trx: Knex.Transaction,
  step: SeedStep,
  options: ResolvedSeedRunOptions,
  how: { withDiff: boolean; keep: boolean },
): Promise<PlannedSeed> {
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
  // The actions of the write itself, so that the plan says what `up` will report, word for word.
  const actionByKey = new Map(written.written.map((w) => [w.key, w.action]));
  const workflows = seed.bundle.workflows.map(({ key }): PlannedWorkflowChange => {
    const existingWorkflowId = written.existingIds.get(key) ?? null;
    if (conflicting.has(key)) return { key, action: "conflict", existingWorkflowId, diff: null };
    const before = written.before.get(key);
    const after = written.after.get(key);
    const changes = before === undefined || after === undefined || before.contentHash !== after.contentHash;
    const diff = how.withDiff && changes ? diffOf(key, before?.workflow, after?.workflow) : null;
    const action = actionByKey.get(key);
    if (existingWorkflowId === null) return { key, action: "create", existingWorkflowId, diff };
    if (action === "replaced") return { key, action: "replace", existingWorkflowId, diff };
    if (action === "updated") return { key, action: "update", existingWorkflowId, diff };
    if (action === "unchanged") return { key, action: "unchanged", existingWorkflowId, diff: null };
    return { key, action: "skip", existingWorkflowId, diff: null };
  });
  const warnings = [...seed.warnings.map(toWarning), ...written.imported.warnings];
  // A seed that would fail (or that up leaves alone) leaves nothing behind for the seeds after it.
  if (outcome === "conflict" || !how.keep) await savepoint.rollback();
  else {
    // Replace rather than insert: a pending seed another process applied since the inventory is
    // planned all the same, as it always was, instead of failing on its record.
    await replaceSeedRecord(savepoint, options.tenant, written.record);
    await savepoint.commit();
  }
  return { name: seed.name, mode, outcome, workflows, warnings };
}
