import type { Knex } from "knex";
import { fail } from "../errors.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { ADVISORY_LOCK_CLASS, SEEDS_TABLE } from "./migrations.js";

/** What a seed did to one workflow key. `adopted`: it existed and the seed took ownership (baseline, export --seed). */
export type SeededAction = "created" | "updated" | "replaced" | "skipped" | "adopted";

/** One workflow a seed touched. */
export interface SeededWorkflow {
  key: string;
  workflowId: string;
  action: SeededAction;
  /** Hash of the workflow's exported content right after seeding (drift detection for `down`). */
  contentHash: string | null;
  /** The workflow before the seed changed it (portable form), for `down`. */
  previous?: BundleWorkflow | null;
}

/** One applied seed of one tenant. */
export interface SeedRecord {
  name: string;
  checksum: string;
  checksumAlgorithm: string;
  /** SHA-256 of the file's bytes when it was applied (a fast path for drift checks); null if unknown. */
  fileHash?: string | null;
  appliedAt: string;
  toolVersion: string;
  baseline: boolean;
  workflows: SeededWorkflow[];
}

/** Every applied seed of a tenant, in name order. */
export async function selectSeedRecords(
  knex: Knex,
  tenant: string,
  options: { withWorkflows?: boolean } = {},
): Promise<SeedRecord[]> {
  // Without workflows (status, drift): the per-workflow history can be large and is not needed.
  const workflows = options.withWorkflows === false ? "'[]'::jsonb" : "workflows";
  const result = await knex.raw(
    `select coalesce(json_agg(json_build_object(
        'name', name, 'checksum', checksum, 'checksumAlgorithm', checksum_algorithm, 'fileHash', file_sha256,
        'appliedAt', applied_at, 'toolVersion', tool_version, 'baseline', baseline, 'workflows', ${workflows}
      ) order by name), '[]'::json) as records
     from ${SEEDS_TABLE} where tenant = ?`,
    [tenant],
  );
  return result.rows[0].records as SeedRecord[];
}

/** What an applied seed says about some keys: enough to tell ownership and newer versions. */
export interface SeedClaims {
  name: string;
  workflows: Pick<SeededWorkflow, "key" | "workflowId" | "action">[];
}

/**
 * The entries of applied seeds that name one of `keys` (one query; what a seed about to write
 * those keys needs to know, whatever the number of seeds applied before).
 */
export async function selectSeedClaims(knex: Knex, tenant: string, keys: readonly string[]): Promise<SeedClaims[]> {
  if (keys.length === 0) return [];
  const result = await knex.raw(
    `select coalesce(json_agg(json_build_object('name', c.name, 'workflows', c.workflows) order by c.name), '[]'::json) as claims
     from (
       select s.name, jsonb_agg(jsonb_build_object('key', e->>'key', 'workflowId', e->>'workflowId', 'action', e->>'action')) as workflows
       from ${SEEDS_TABLE} s cross join lateral jsonb_array_elements(s.workflows) as e
       where s.tenant = ? and e->>'key' = any(?::text[])
       group by s.name
     ) c`,
    [tenant, [...keys]],
  );
  return result.rows[0].claims as SeedClaims[];
}

/** Records a seed as applied (in the caller's transaction). */
export async function insertSeedRecord(trx: Knex.Transaction, tenant: string, record: SeedRecord): Promise<void> {
  await trx.raw(
    `insert into ${SEEDS_TABLE} (tenant, name, checksum, checksum_algorithm, applied_at, tool_version, baseline, workflows, file_sha256)
     values (?, ?, ?, ?, ?::timestamptz, ?, ?, ?::jsonb, ?)`,
    [
      tenant,
      record.name,
      record.checksum,
      record.checksumAlgorithm,
      record.appliedAt,
      record.toolVersion,
      record.baseline,
      JSON.stringify(record.workflows),
      record.fileHash ?? null,
    ],
  );
}

/** Replaces a seed's record (re-applied after its file changed). */
export async function replaceSeedRecord(trx: Knex.Transaction, tenant: string, record: SeedRecord): Promise<void> {
  await deleteSeedRecord(trx, tenant, record.name);
  await insertSeedRecord(trx, tenant, record);
}

/**
 * Records seeds as applied in one statement (what {@link insertSeedRecord} writes for each record,
 * in the same order): a fixture reset of a folder of N seeds costs one round trip, not N.
 */
export async function insertSeedRecords(
  trx: Knex.Transaction,
  tenant: string,
  records: readonly SeedRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((r) => ({
    name: r.name,
    checksum: r.checksum,
    checksum_algorithm: r.checksumAlgorithm,
    file_sha256: r.fileHash ?? null,
    applied_at: r.appliedAt,
    tool_version: r.toolVersion,
    baseline: r.baseline,
    workflows: r.workflows,
  }));
  await trx.raw(
    `insert into ${SEEDS_TABLE} (tenant, name, checksum, checksum_algorithm, applied_at, tool_version, baseline, workflows, file_sha256)
     select ?::uuid, r.name, r.checksum, r.checksum_algorithm, r.applied_at, r.tool_version, r.baseline, r.workflows, r.file_sha256
     from jsonb_to_recordset(?::jsonb) as r(name text, checksum text, checksum_algorithm text, applied_at timestamptz,
                                            tool_version text, baseline boolean, workflows jsonb, file_sha256 text)`,
    [tenant, JSON.stringify(rows)],
  );
}

/** Removes every seed record of a tenant (a fixture reset). */
export async function deleteSeedRecords(trx: Knex.Transaction, tenant: string): Promise<void> {
  await trx.raw(`delete from ${SEEDS_TABLE} where tenant = ?`, [tenant]);
}

/** Removes a seed's record. */
export async function deleteSeedRecord(trx: Knex.Transaction, tenant: string, name: string): Promise<void> {
  await trx.raw(`delete from ${SEEDS_TABLE} where tenant = ? and name = ?`, [tenant, name]);
}

/** True when the seed is recorded for the tenant (read inside the seed lock). */
export async function isSeedRecorded(trx: Knex.Transaction, tenant: string, name: string): Promise<boolean> {
  const result = await trx.raw(`select 1 from ${SEEDS_TABLE} where tenant = ? and name = ?`, [tenant, name]);
  return result.rows.length > 0;
}

/** Tenants that have workflows or seed records (for `--all-tenants`). */
export async function selectSeededTenants(knex: Knex): Promise<string[]> {
  const result = await knex.raw(
    `select tenant::text as tenant from workflow_definitions union select tenant::text from ${SEEDS_TABLE} order by 1`,
  );
  return result.rows.map((r: { tenant: string }) => r.tenant);
}

/** How long a seeder waits for another one holding the tenant's seed lock. */
export const DEFAULT_SEED_LOCK_TIMEOUT_MS = 300_000;

/**
 * Takes the tenant's seed lock for the rest of the transaction: a transaction-scoped advisory
 * lock, so it is released at commit, at rollback, or by the server when the process dies; it can
 * never go stale. Waits at most `timeoutMs` (then `SEED_LOCK_TIMEOUT`).
 */
export async function acquireSeedLock(
  trx: Knex.Transaction,
  tenant: string,
  timeoutMs = DEFAULT_SEED_LOCK_TIMEOUT_MS,
): Promise<void> {
  const started = Date.now();
  await trx.raw(`select set_config('lock_timeout', ?, true)`, [`${Math.max(1, Math.round(timeoutMs))}ms`]);
  try {
    await trx.raw("select pg_advisory_xact_lock(?, hashtext(?))", [ADVISORY_LOCK_CLASS, `seeds:${tenant}`]);
  } catch (error) {
    if ((error as { code?: string }).code === "55P03")
      fail("SEED_LOCK_TIMEOUT", { tenant, waitedMs: Date.now() - started }, error);
    throw error;
  }
  await trx.raw(`select set_config('lock_timeout', '0', true)`);
}
