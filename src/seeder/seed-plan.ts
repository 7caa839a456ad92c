import { createTwoFilesPatch } from "diff";
import type { Knex } from "knex";
import { DEFAULT_CATALOG } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import { fail, isWorkflowSeederError, WorkflowSeederError } from "../errors.js";
import { exportBundle } from "../export/export-bundle.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { canonicalizeJson } from "../format/canonical-json.js";
import { applyWorkflows, type ConflictPolicy, toWarning } from "../import/import-bundle.js";
import { type LoadedSeed, loadSeed } from "./seed-files.js";
import { acquireSeedLock, DEFAULT_SEED_LOCK_TIMEOUT_MS, selectSeedRecords } from "./seed-records.js";
import {
  applyOnChangePolicy,
  collectOwnership,
  collectSupersededKeys,
  DEFAULT_ON_CHANGE,
  type OnChangePolicy,
  readSeedStatus,
  type SeederOptions,
} from "./seed-runner.js";

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

const NO_TIME = "1970-01-01T00:00:00.000Z";

async function exportByKey(
  trx: Knex.Transaction,
  tenant: string,
  keys: readonly string[],
): Promise<Map<string, BundleWorkflow>> {
  const existing = [...new Set((await selectWorkflowIdsByKeys(trx, tenant, keys)).map((r) => r.key))];
  if (existing.length === 0) return new Map();
  const bundle = await exportBundle(trx, { tenant, keys: existing, exportedAt: NO_TIME });
  return new Map(bundle.workflows.map((w) => [w.key, w]));
}

function diffOf(key: string, before: BundleWorkflow | undefined, after: BundleWorkflow | undefined): string | null {
  const a = before ? canonicalizeJson(before) : "";
  const b = after ? canonicalizeJson(after) : "";
  if (a === b) return null;
  return createTwoFilesPatch(before ? `a/${key}` : "/dev/null", `b/${key}`, a, b, "", "", { context: 3 });
}

/**
 * What `up` would do, workflow by workflow, with a content diff for workflows that change
 * (`plan`, `up --dry-run`). Runs the seeds inside one transaction that is always rolled back:
 * it writes nothing, and sees exactly what `up` would see.
 */
export async function planSeeds(
  db: Knex,
  options: SeederOptions & { to?: string; onChange?: OnChangePolicy },
): Promise<SeedPlanResult> {
  const status = await readSeedStatus(db, options);
  const onChange = options.onChange ?? DEFAULT_ON_CHANGE;
  const warnings = [...status.warnings, ...applyOnChangePolicy(status.seeds, onChange)].map(toWarning);
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const { listSeedFiles } = await import("./seed-files.js");
  const listing = await listSeedFiles(options.dir, { mustExist: true });
  let pending = status.seeds.filter((s) => s.state === "pending").map((s) => s.name);
  if (options.to !== undefined) {
    const to = options.to;
    const target = listing.seeds.find((s) => s.name === to || s.file === to || s.version === to);
    if (!target) fail("SEED_NOT_FOUND", { name: to, dir: options.dir });
    pending = pending.filter((n) => n <= target.name);
  }
  const reapply = onChange === "reapply" ? status.seeds.filter((s) => s.state === "modified").map((s) => s.name) : [];
  const order: { name: string; mode: "apply" | "reapply" }[] = [
    ...reapply.map((name) => ({ name, mode: "reapply" as const })),
    ...pending.map((name) => ({ name, mode: "apply" as const })),
  ];
  const loaded: LoadedSeed[] = [];
  const failures = [];
  for (const entry of order) {
    const file = listing.seeds.find((s) => s.name === entry.name);
    if (!file) continue;
    try {
      loaded.push(await loadSeed(file, catalog));
    } catch (error) {
      if (!isWorkflowSeederError(error)) throw error;
      failures.push(...error.issues);
    }
  }
  if (failures.length > 0) throw new WorkflowSeederError(failures);

  const result: SeedPlanResult = { tenant: options.tenant, seeds: [], warnings };
  const rollback = new Error("plan: roll back");
  try {
    await db.transaction(async (trx) => {
      await acquireSeedLock(trx, options.tenant, options.lockTimeoutMs ?? DEFAULT_SEED_LOCK_TIMEOUT_MS);
      let stopped = false;
      // Keys the planned seeds write become the seeder's, as their records would make them in `up`.
      const plannedOwnership: Ownership = new Map();
      for (const [i, seed] of loaded.entries()) {
        const mode = order[i]?.mode ?? "apply";
        if (stopped) {
          result.seeds.push({ name: seed.name, mode, outcome: "not-run", workflows: [] });
          continue;
        }
        result.seeds.push(await planOne(trx, seed, mode, options, plannedOwnership));
        if (result.seeds.at(-1)?.outcome === "conflict") stopped = true;
      }
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) rethrowAsDatabaseError(error);
  }
  return result;
}

type Ownership = Map<string, Set<string>>;

async function planOne(
  trx: Knex.Transaction,
  seed: LoadedSeed,
  mode: "apply" | "reapply",
  options: SeederOptions,
  plannedOwnership: Ownership,
): Promise<PlannedSeed> {
  const tenant = options.tenant;
  const keys = seed.bundle.workflows.map((w) => w.key);
  const records = await selectSeedRecords(trx, tenant);
  const owned = collectOwnership(records);
  const superseded = collectSupersededKeys(records, seed.name);
  for (const [key, ids] of plannedOwnership) owned.set(key, new Set([...(owned.get(key) ?? []), ...ids]));
  const existingIds = new Map((await selectWorkflowIdsByKeys(trx, tenant, keys)).map((r) => [r.key, r.workflow_id]));
  const before = await exportByKey(trx, tenant, keys);
  const conflicting = new Set<string>();
  const policyForKey = (key: string, id: string): ConflictPolicy | undefined =>
    conflicting.has(key) || superseded.has(key) ? "skip" : owned.get(key)?.has(id) ? "update" : undefined;
  const attempt = async () => {
    const savepoint = await trx.transaction();
    try {
      const imported = await applyWorkflows(savepoint, seed.bundle.workflows, {
        tenant,
        onConflict: options.onConflict ?? "fail",
        policyForKey,
        catalog: options.catalog ?? DEFAULT_CATALOG,
        actor: options.actor ?? null,
      });
      return { savepoint, imported };
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
  const after = await exportByKey(run.savepoint, tenant, keys);
  const replaced = new Set(run.imported.deletedWorkflows.map((w) => w.key));
  const updated = new Set(run.imported.updatedWorkflows.map((w) => w.key));
  const workflows = keys.map((key): PlannedWorkflowChange => {
    const existingWorkflowId = existingIds.get(key) ?? null;
    if (conflicting.has(key)) return { key, action: "conflict", existingWorkflowId, diff: null };
    const diff = diffOf(key, before.get(key), after.get(key));
    if (existingWorkflowId === null) return { key, action: "create", existingWorkflowId, diff };
    if (replaced.has(key)) return { key, action: "replace", existingWorkflowId, diff };
    if (updated.has(key)) return { key, action: diff === null ? "unchanged" : "update", existingWorkflowId, diff };
    return { key, action: "skip", existingWorkflowId, diff: null };
  });
  // A seed that would fail leaves nothing behind for the seeds after it.
  if (outcome === "conflict") await run.savepoint.rollback();
  else {
    await run.savepoint.commit();
    for (const w of [...run.imported.createdWorkflows, ...run.imported.updatedWorkflows])
      plannedOwnership.set(w.key, new Set([...(plannedOwnership.get(w.key) ?? []), w.workflowId]));
  }
  return { name: seed.name, mode, outcome, workflows };
}
