import type { Knex } from "knex";
import {
  type SeedClaims,
  type SeededAction,
  type SeededWorkflow,
  type SeedRecord,
  selectSeedClaims,
} from "../db/seed-store.js";
import { selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import type { ConflictPolicy, ImportResult, WorkflowRef } from "../import/import-bundle.js";
import { TOOL_VERSION } from "../version.js";
import { exportWorkflowsByKey, type WorkflowSnapshot } from "./export-workflows-by-key.js";
import type { LoadedSeed } from "./seed-files.js";
import type { ResolvedSeederOptions } from "./seeder-options.js";

/** Keys the seeder owns in a tenant: created (or adopted) by an applied seed, with the id it had. */
export function collectOwnership(records: readonly SeedClaims[]): Map<string, Set<string>> {
  const owned = new Map<string, Set<string>>();
  for (const record of records)
    for (const w of record.workflows)
      if (w.action !== "skipped") owned.set(w.key, new Set([...(owned.get(w.key) ?? []), w.workflowId]));
  return owned;
}

/**
 * Keys that an applied seed sorting after `name` wrote: that seed shipped a newer version of them.
 * A seed applied out of order (re-applied after an edit, or merged from a branch with an older
 * prefix) leaves them alone, so the result is what applying every seed in name order gives.
 */
export function collectSupersededKeys(records: readonly SeedClaims[], name: string): Set<string> {
  const keys = new Set<string>();
  for (const record of records)
    if (record.name > name) for (const w of record.workflows) if (w.action !== "skipped") keys.add(w.key);
  return keys;
}

/**
 * What one write of a seed did to one workflow key. `unchanged`: the seed would update a workflow
 * that already has exactly its content, so nothing is written (its `updated_at` stays); the
 * record still says `updated`, as the seed takes the key all the same.
 */
export interface WrittenWorkflow {
  key: string;
  workflowId: string;
  action: SeededAction | "unchanged";
}

/** Options of {@link writeSeed}. */
export interface WriteSeedOptions
  extends Pick<ResolvedSeederOptions, "tenant" | "onConflict" | "catalog" | "actor" | "now"> {
  /** The seed's record when it is re-applied (what its first application did); null when pending. */
  previousRecord: SeedRecord | null;
  /** Keys to leave alone whatever their owner (`plan` retries a conflicting seed without them). */
  skipKeys?: ReadonlySet<string>;
}

/** The result of {@link writeSeed}. */
export interface WriteSeedResult {
  /** The record to store with the workflows, in the same transaction. */
  record: SeedRecord;
  /** What this write did; the record may keep what the seed's first application did instead. */
  written: WrittenWorkflow[];
  imported: ImportResult;
  /** The id each of the seed's keys had before the write. */
  existingIds: Map<string, string>;
  /** The seed's keys that existed, as they were before the write. */
  before: Map<string, WorkflowSnapshot>;
  /** The keys the write created or updated, as they are after it. */
  after: Map<string, WorkflowSnapshot>;
}

/**
 * Writes one seed's workflows in the caller's transaction (which holds the seed lock) and returns
 * the record to store with them. Keys an earlier seed created are updated in place, keys a later
 * applied seed wrote are skipped; other existing keys follow `onConflict`. `up` commits the
 * write with its record; `plan` makes the same write in a savepoint it rolls back.
 */
export async function writeSeed(
  trx: Knex.Transaction,
  seed: LoadedSeed,
  options: WriteSeedOptions,
): Promise<WriteSeedResult> {
  const { tenant, previousRecord, skipKeys } = options;
  const keys = seed.bundle.workflows.map((w) => w.key);
  // Only the entries about this seed's keys: reading every record per seed grows with the square.
  const claims = await selectSeedClaims(trx, tenant, keys);
  const owned = collectOwnership(claims);
  const superseded = collectSupersededKeys(claims, seed.name);
  const existing = await selectWorkflowIdsByKeys(trx, tenant, keys);
  const before = await exportWorkflowsByKey(
    trx,
    tenant,
    existing.map((r) => r.key),
  );
  // Loaded on demand: a no-op `up` writes nothing and should not load the import's schemas.
  const { applyWorkflows } = await import("../import/import-bundle.js");
  const imported = await applyWorkflows(trx, seed.bundle.workflows, {
    tenant,
    onConflict: options.onConflict,
    policyForKey: (key, existingId): ConflictPolicy | undefined =>
      skipKeys?.has(key) || superseded.has(key) ? "skip" : owned.get(key)?.has(existingId) ? "update" : undefined,
    catalog: options.catalog,
    actor: options.actor,
  });
  // An update that would leave a workflow's content as it is is not made (`updated_at` stays):
  // the import decides it before writing, and the key is `unchanged`, the word `plan` (which makes
  // this same write) uses.
  const unchanged = new Set(imported.unchangedWorkflows.map((w) => w.key));
  const after = await exportWorkflowsByKey(trx, tenant, [
    ...imported.createdWorkflows.map((w) => w.key),
    ...imported.updatedWorkflows.map((w) => w.key),
  ]);
  for (const key of unchanged) after.set(key, before.get(key) as WorkflowSnapshot);
  // An unchanged key is the seed's all the same: recorded as updated, as it would have been, in
  // the seed's order among the keys the write left alone.
  const leftAlone = new Map<string, WorkflowRef & { action: "updated" | "skipped" }>([
    ...imported.skippedWorkflows.map((w) => [w.key, { ...w, action: "skipped" as const }] as const),
    ...imported.unchangedWorkflows.map((w) => [w.key, { ...w, action: "updated" as const }] as const),
  ]);
  const touched = [
    ...imported.createdWorkflows.map((w) => ({ ...w, action: "created" as const })),
    ...imported.updatedWorkflows.map((w) => ({ ...w, action: "updated" as const })),
    ...keys.flatMap((key) => leftAlone.get(key) ?? []),
  ];
  const replacedKeys = new Set(imported.deletedWorkflows.map((w) => w.key));
  const earlier = new Map((previousRecord?.workflows ?? []).map((w) => [w.key, w]));
  const recorded = touched.map((w) => ({
    key: w.key,
    workflowId: w.workflowId,
    action: w.action === "created" && replacedKeys.has(w.key) ? ("replaced" as const) : w.action,
  }));
  const written: WrittenWorkflow[] = recorded.map((w) => (unchanged.has(w.key) ? { ...w, action: "unchanged" } : w));
  const workflows: SeededWorkflow[] = recorded.map((w) => {
    const prior = earlier.get(w.key);
    return {
      key: w.key,
      workflowId: w.workflowId,
      // Re-applying a changed seed keeps what its first application did (for `down`).
      action: prior && prior.action !== "skipped" ? prior.action : w.action,
      // A superseded key keeps what the first application recorded (it was not written now).
      contentHash: after.get(w.key)?.contentHash ?? prior?.contentHash ?? null,
      previous: prior ? (prior.previous ?? null) : (before.get(w.key)?.workflow ?? null),
    };
  });
  // A re-applied seed that no longer ships a key keeps the entry of its first application: the
  // workflow it created stays the seeder's (later seeds may update it, down removes it).
  const shipped = new Set(keys);
  for (const w of previousRecord?.workflows ?? []) if (!shipped.has(w.key)) workflows.push(w);
  const record: SeedRecord = {
    name: seed.name,
    checksum: seed.checksum,
    checksumAlgorithm: seed.checksumAlgorithm,
    fileHash: seed.fileHash,
    appliedAt: options.now().toISOString(),
    toolVersion: TOOL_VERSION,
    baseline: false,
    workflows,
  };
  return {
    record,
    written,
    imported,
    existingIds: new Map(existing.map((r) => [r.key, r.workflow_id])),
    before,
    after,
  };
}
