import type { Knex } from "knex";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { hashCanonicalJson } from "../format/checksum.js";

/** A workflow as the seeder keeps it: its portable form and the hash a record stores of it. */
export interface WorkflowSnapshot {
  workflow: BundleWorkflow;
  /** {@link hashCanonicalJson} of `workflow`: what `down` compares to tell a workflow changed after seeding. */
  contentHash: string;
}

// Exported with a fixed time so the same content always gives the same hash.
const NO_TIME = "1970-01-01T00:00:00.000Z";

/**
 * Exports existing workflows of a tenant by key, in the caller's transaction, with the hash of
 * each one's content: what a seed record stores (`contentHash`, `previous`) and what `plan` diffs.
 * Every key must exist; repeated keys are read once. No keys, no query.
 */
export async function exportWorkflowsByKey(
  trx: Knex.Transaction,
  tenant: string,
  keys: readonly string[],
): Promise<Map<string, WorkflowSnapshot>> {
  if (keys.length === 0) return new Map();
  // Loaded on demand: a no-op `up` never exports and should not load the bundle schemas.
  const { exportBundle } = await import("../export/export-bundle.js");
  const bundle = await exportBundle(trx, { tenant, keys: [...new Set(keys)], exportedAt: NO_TIME });
  return new Map(bundle.workflows.map((w) => [w.key, { workflow: w, contentHash: hashCanonicalJson(w) }]));
}
