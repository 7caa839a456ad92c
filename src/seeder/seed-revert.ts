import type { Knex } from "knex";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import {
  acquireSeedLock,
  deleteSeedRecord,
  type SeedRecord,
  selectSeedRecord,
  selectSeedRecords,
} from "../db/seed-store.js";
import { deleteWorkflows, selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import { fail } from "../errors.js";
import { applyWorkflows } from "../import/import-bundle.js";
import { exportWorkflowsByKey } from "./export-workflows-by-key.js";
import { isSeedTarget } from "./seed-files.js";
import { type ResolvedSeederOptions, resolveSeederOptions, type SeederOptions } from "./seeder-options.js";

/** Options of {@link revertSeeds}. */
export interface RevertSeedsOptions extends Omit<SeederOptions, "dir" | "onConflict" | "beforeRecord"> {
  /** Revert applied seeds down to and including this one (name, file name or version prefix). */
  to?: string;
  /** Revert this many of the latest applied seeds. Default 1 when `to` is not given. */
  step?: number;
  /** Remove (or restore) workflows even when they were changed after seeding. */
  force?: boolean;
}

/** What `down` did to one workflow. */
export interface RevertedWorkflow {
  key: string;
  workflowId: string;
  action: "deleted" | "restored" | "kept";
}

/** The result of {@link revertSeeds}. */
export interface RevertSeedsResult {
  tenant: string;
  reverted: { name: string; workflows: RevertedWorkflow[] }[];
}

/**
 * The records to revert, latest applied first: `step` of them (default 1), or every one applied
 * after `to`, and `to` itself. `records` are in applied order.
 */
function choose(records: readonly SeedRecord[], options: RevertSeedsOptions): SeedRecord[] {
  const latestFirst = [...records].reverse();
  if (options.to !== undefined) {
    const to = options.to;
    const target = latestFirst.findIndex((r) => isSeedTarget(r.name, to));
    if (target < 0) fail("SEED_NOT_FOUND", { name: to, dir: "(applied seeds)" });
    return latestFirst.slice(0, target + 1);
  }
  return latestFirst.slice(0, options.step ?? 1);
}

/**
 * Reverts applied seeds, the latest applied first (`down`): the order recorded in the seed table,
 * not the names, since a seed merged from a branch with an older prefix is applied last.
 * Workflows a seed created are deleted, workflows it updated are restored to their state before
 * the seed, adopted workflows are kept; then the record is removed. Each seed in its own
 * transaction under the seed lock. A workflow changed in the database after seeding blocks the
 * revert (`SEED_REVERT_BLOCKED`) unless `force`.
 */
export async function revertSeeds(db: Knex, given: RevertSeedsOptions): Promise<RevertSeedsResult> {
  const options = resolveSeederOptions(given);
  const tenant = options.tenant;
  const records = await selectSeedRecords(db, tenant, { order: "applied" });
  const chosen = choose(records, options);
  const result: RevertSeedsResult = { tenant, reverted: [] };
  for (const [index, chosenRecord] of chosen.entries()) {
    options.onProgress?.({ tenant, seed: chosenRecord.name, index, total: chosen.length, phase: "reverting" });
    try {
      await db.transaction(async (trx) => {
        await acquireSeedLock(trx, tenant, options.lockTimeoutMs);
        // Re-read under the lock: another process may have reverted it meanwhile.
        const record = await selectSeedRecord(trx, tenant, chosenRecord.name);
        if (!record) return;
        result.reverted.push({ name: record.name, workflows: await revertRecord(trx, tenant, record, options) });
        await deleteSeedRecord(trx, tenant, record.name);
      });
    } catch (error) {
      rethrowAsDatabaseError(
        error,
        chosenRecord.workflows.map((w) => w.key),
      );
    }
  }
  return result;
}

async function revertRecord(
  trx: Knex.Transaction,
  tenant: string,
  record: SeedRecord,
  options: ResolvedSeederOptions<RevertSeedsOptions>,
): Promise<RevertedWorkflow[]> {
  const seeded = record.workflows.filter((w) => w.action !== "skipped" && w.action !== "adopted");
  const current = new Map<string, string>();
  for (const row of await selectWorkflowIdsByKeys(
    trx,
    tenant,
    seeded.map((w) => w.key),
  ))
    current.set(row.key, row.workflow_id);
  const present = seeded.filter((w) => current.get(w.key) === w.workflowId);
  const snapshots = await exportWorkflowsByKey(
    trx,
    tenant,
    present.map((w) => w.key),
  );
  const changed = present
    .filter((w) => w.contentHash !== null && snapshots.get(w.key)?.contentHash !== w.contentHash)
    .map((w) => w.key);
  if (changed.length > 0 && !options.force)
    fail("SEED_REVERT_BLOCKED", { seed: record.name, changedWorkflows: changed });

  const toDelete = present.filter((w) => w.action === "created" || w.action === "replaced" || !w.previous);
  const toRestore = present.filter((w) => w.action === "updated" && w.previous);
  await deleteWorkflows(
    trx,
    tenant,
    toDelete.map((w) => w.workflowId),
  );
  const restoredPrevious = present
    .filter((w) => w.action === "replaced" && w.previous)
    .map((w) => w.previous as NonNullable<typeof w.previous>);
  const updates = toRestore.map((w) => w.previous as NonNullable<typeof w.previous>);
  if (updates.length + restoredPrevious.length > 0)
    await applyWorkflows(trx, [...updates, ...restoredPrevious], {
      tenant,
      onConflict: "update",
      catalog: options.catalog,
      actor: options.actor,
    });
  return [
    ...toDelete.map((w) => ({ key: w.key, workflowId: w.workflowId, action: "deleted" as const })),
    ...toRestore.map((w) => ({ key: w.key, workflowId: w.workflowId, action: "restored" as const })),
    ...record.workflows
      .filter((w) => w.action === "adopted")
      .map((w) => ({ key: w.key, workflowId: w.workflowId, action: "kept" as const })),
  ];
}
