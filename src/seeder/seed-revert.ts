import type { Knex } from "knex";
import { DEFAULT_CATALOG } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { assertTenant } from "../db/tenant.js";
import { deleteWorkflows, selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import { fail } from "../errors.js";
import { exportBundle } from "../export/export-bundle.js";
import { hashCanonicalJson } from "../format/checksum.js";
import { applyWorkflows } from "../import/import-bundle.js";
import { parseSeedFileName, SEED_SUFFIX } from "./seed-files.js";
import {
  acquireSeedLock,
  DEFAULT_SEED_LOCK_TIMEOUT_MS,
  deleteSeedRecord,
  type SeedRecord,
  selectSeedRecords,
} from "./seed-records.js";
import type { SeederOptions } from "./seed-runner.js";

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

function choose(records: readonly SeedRecord[], options: RevertSeedsOptions): SeedRecord[] {
  const newestFirst = [...records].reverse();
  if (options.to !== undefined) {
    const to = options.to;
    const target = records.find(
      (r) =>
        r.name === to ||
        `${r.name}${SEED_SUFFIX}` === to ||
        parseSeedFileName(`${r.name}${SEED_SUFFIX}`)?.version === to,
    );
    if (!target) fail("SEED_NOT_FOUND", { name: to, dir: "(applied seeds)" });
    return newestFirst.filter((r) => r.name >= target.name);
  }
  return newestFirst.slice(0, options.step ?? 1);
}

/**
 * Reverts applied seeds, newest first (`down`): workflows a seed created are deleted, workflows
 * it updated are restored to their state before the seed, adopted workflows are kept; then the
 * record is removed. Each seed in its own transaction under the seed lock. A workflow changed in
 * the database after seeding blocks the revert (`SEED_REVERT_BLOCKED`) unless `force`.
 */
export async function revertSeeds(db: Knex, options: RevertSeedsOptions): Promise<RevertSeedsResult> {
  assertTenant(options.tenant);
  const tenant = options.tenant;
  const records = await selectSeedRecords(db, tenant);
  const chosen = choose(records, options);
  const result: RevertSeedsResult = { tenant, reverted: [] };
  for (const [index, chosenRecord] of chosen.entries()) {
    options.onProgress?.({ tenant, seed: chosenRecord.name, index, total: chosen.length, phase: "reverting" });
    try {
      await db.transaction(async (trx) => {
        await acquireSeedLock(trx, tenant, options.lockTimeoutMs ?? DEFAULT_SEED_LOCK_TIMEOUT_MS);
        // Re-read under the lock: another process may have reverted it meanwhile.
        const record = (await selectSeedRecords(trx, tenant)).find((r) => r.name === chosenRecord.name);
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
  options: RevertSeedsOptions,
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
  const exported =
    present.length === 0
      ? []
      : (await exportBundle(trx, { tenant, keys: present.map((w) => w.key), exportedAt: "1970-01-01T00:00:00.000Z" }))
          .workflows;
  const hashByKey = new Map(exported.map((w) => [w.key, hashCanonicalJson(w)]));
  const changed = present
    .filter((w) => w.contentHash !== null && hashByKey.get(w.key) !== w.contentHash)
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
      catalog: options.catalog ?? DEFAULT_CATALOG,
      actor: options.actor ?? null,
    });
  return [
    ...toDelete.map((w) => ({ key: w.key, workflowId: w.workflowId, action: "deleted" as const })),
    ...toRestore.map((w) => ({ key: w.key, workflowId: w.workflowId, action: "restored" as const })),
    ...record.workflows
      .filter((w) => w.action === "adopted")
      .map((w) => ({ key: w.key, workflowId: w.workflowId, action: "kept" as const })),
  ];
}
