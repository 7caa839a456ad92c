import type { Knex } from "knex";
import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { selectSeedClaims } from "../db/seed-store.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { applyWorkflows } from "../import/import-bundle.js";
import { exportWorkflowsByKey, type WorkflowSnapshot } from "./export-workflows-by-key.js";
import type { LoadedSeed } from "./seed-files.js";
import { collectSupersededKeys } from "./write-seed.js";

/** What keeps one seed from being recorded by `baseline`: keys its workflows lack in the tenant, or have with other content. */
export interface BaselineMismatch {
  seed: string;
  /** Keys of the seed with no workflow in the tenant. */
  missingKeys: string[];
  /** Keys whose workflow in the tenant differs from the seed's (as `export` writes both). */
  differentKeys: string[];
}

/**
 * The seeds of a baseline whose workflows the tenant does not hold as they are in the seed, in
 * the caller's transaction (which holds the seed lock). `existing` is the tenant's content of the
 * seeds' keys that exist. Each key is judged against the last seed of the baseline that ships it
 * (what `up` would leave); a key that an applied seed sorting later wrote is left out (that
 * seed's version stands). The seeds' versions are written into the tenant in a savepoint that is
 * rolled back, exported as `export` writes them and compared with the tenant's: call targets,
 * ids and dependencies are compared as the same export normalizes them. Constant statements,
 * whatever the number of seeds.
 */
export async function readBaselineMismatches(
  trx: Knex.Transaction,
  tenant: string,
  seeds: readonly LoadedSeed[],
  existing: ReadonlyMap<string, WorkflowSnapshot>,
  options: { catalog: RuntimeCatalog; actor: string | null },
): Promise<BaselineMismatch[]> {
  const lastSeedOfKey = new Map<string, string>();
  const finalWorkflow = new Map<string, BundleWorkflow>();
  for (const seed of seeds)
    for (const w of seed.bundle.workflows) {
      lastSeedOfKey.set(w.key, seed.name);
      finalWorkflow.set(w.key, w);
    }
  const claims = await selectSeedClaims(trx, tenant, [...lastSeedOfKey.keys()]);
  const judged = new Map<string, string[]>();
  for (const seed of seeds) {
    const superseded = collectSupersededKeys(claims, seed.name);
    judged.set(
      seed.name,
      seed.bundle.workflows
        .map((w) => w.key)
        .filter((key) => lastSeedOfKey.get(key) === seed.name && !superseded.has(key)),
    );
  }
  const present = [...judged.values()].flat().filter((key) => existing.has(key));
  const seeded = await exportSeededVersions(
    trx,
    tenant,
    present.map((key) => finalWorkflow.get(key) as BundleWorkflow),
    options,
  );
  const mismatches: BaselineMismatch[] = [];
  for (const seed of seeds) {
    const keys = judged.get(seed.name) ?? [];
    const missingKeys = keys.filter((key) => !existing.has(key));
    const differentKeys = keys.filter(
      (key) => existing.has(key) && seeded.get(key)?.contentHash !== existing.get(key)?.contentHash,
    );
    if (missingKeys.length + differentKeys.length > 0) mismatches.push({ seed: seed.name, missingKeys, differentKeys });
  }
  return mismatches;
}

/**
 * The workflows as the tenant would hold them after the seed wrote them (updated in place, call
 * targets resolved against the tenant as `up` resolves them), exported, from a savepoint that is
 * always rolled back.
 */
async function exportSeededVersions(
  trx: Knex.Transaction,
  tenant: string,
  workflows: readonly BundleWorkflow[],
  options: { catalog: RuntimeCatalog; actor: string | null },
): Promise<Map<string, WorkflowSnapshot>> {
  if (workflows.length === 0) return new Map();
  const savepoint = await trx.transaction();
  try {
    await applyWorkflows(savepoint, workflows, {
      tenant,
      onConflict: "update",
      catalog: options.catalog,
      actor: options.actor,
    });
    return await exportWorkflowsByKey(
      savepoint,
      tenant,
      workflows.map((w) => w.key),
    );
  } finally {
    await savepoint.rollback();
  }
}
