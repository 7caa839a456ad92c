import type { Knex } from "knex";
import { fail } from "../errors.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { ADVISORY_LOCK_CLASS, SEEDS_TABLE } from "./migrations.js";
import { insertRows, type Relation, selectJson } from "./sql-toolkit.js";

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

/** A `workflow_seeder_seeds` row as it is written. */
interface SeedRow {
  name: string;
  checksum: string;
  checksum_algorithm: string;
  file_sha256: string | null;
  applied_at: string;
  tool_version: string;
  baseline: boolean;
  workflows: SeededWorkflow[];
}

const SEEDS: Relation<SeedRow> = {
  table: SEEDS_TABLE,
  key: ["name"],
  columns: [
    ["name", "text"],
    ["checksum", "text"],
    ["checksum_algorithm", "text"],
    ["file_sha256", "text"],
    ["applied_at", "timestamptz"],
    ["tool_version", "text"],
    ["baseline", "boolean"],
    ["workflows", "jsonb"],
  ],
};

function toSeedRow(record: SeedRecord): SeedRow {
  return {
    name: record.name,
    checksum: record.checksum,
    checksum_algorithm: record.checksumAlgorithm,
    file_sha256: record.fileHash ?? null,
    applied_at: record.appliedAt,
    tool_version: record.toolVersion,
    baseline: record.baseline,
    workflows: record.workflows,
  };
}

/** The select list of a {@link SeedRecord}; `workflows` is the expression its `workflows` are read from. */
function seedRecordColumns(workflows: string): string {
  return `name, checksum, checksum_algorithm as "checksumAlgorithm", file_sha256 as "fileHash",
          applied_at as "appliedAt", tool_version as "toolVersion", baseline, ${workflows} as workflows`;
}

/** Options of {@link selectSeedRecords}. */
export interface SelectSeedRecordsOptions {
  /** Read what each seed did (default true). */
  withWorkflows?: boolean;
  /** `name` (default), or `applied`: the order the seeds were applied in (what `down` reverts from the end). */
  order?: "name" | "applied";
}

/** Every applied seed of a tenant, in name order (or applied order). */
export async function selectSeedRecords(
  knex: Knex,
  tenant: string,
  options: SelectSeedRecordsOptions = {},
): Promise<SeedRecord[]> {
  // Without workflows (status, drift): the per-workflow history can be large and is not needed.
  const workflows = options.withWorkflows === false ? "'[]'::jsonb" : "workflows";
  const order = options.order === "applied" ? "applied_order" : "name";
  return selectJson<SeedRecord>(
    knex,
    `select ${seedRecordColumns(workflows)} from ${SEEDS_TABLE} where tenant = ? order by ${order}`,
    [tenant],
  );
}

/** One applied seed of a tenant, with what it did, or undefined (`down` re-reads it under the lock). */
export async function selectSeedRecord(knex: Knex, tenant: string, name: string): Promise<SeedRecord | undefined> {
  const rows = await selectJson<SeedRecord>(
    knex,
    `select ${seedRecordColumns("workflows")} from ${SEEDS_TABLE} where tenant = ? and name = ?`,
    [tenant, name],
  );
  return rows[0];
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
  return selectJson<SeedClaims>(
    knex,
    `select s.name, jsonb_agg(jsonb_build_object('key', e->>'key', 'workflowId', e->>'workflowId', 'action', e->>'action')) as workflows
     from ${SEEDS_TABLE} s cross join lateral jsonb_array_elements(s.workflows) as e
     where s.tenant = ? and e->>'key' = any(?::text[])
     group by s.name
     order by s.name`,
    [tenant, [...keys]],
  );
}

/** The names of the given seeds that are recorded for the tenant (read inside the seed lock). */
export async function selectRecordedSeedNames(
  knex: Knex,
  tenant: string,
  names: readonly string[],
): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await selectJson<{ name: string }>(
    knex,
    `select name from ${SEEDS_TABLE} where tenant = ? and name = any(?::text[])`,
    [tenant, [...names]],
  );
  return new Set(rows.map((r) => r.name));
}

/** True when the seed is recorded for the tenant (read inside the seed lock). */
export async function isSeedRecorded(knex: Knex, tenant: string, name: string): Promise<boolean> {
  return (await selectRecordedSeedNames(knex, tenant, [name])).has(name);
}

/** Records a seed as applied (in the caller's transaction). */
export async function insertSeedRecord(trx: Knex.Transaction, tenant: string, record: SeedRecord): Promise<void> {
  await insertSeedRecords(trx, tenant, [record]);
}

/**
 * Records seeds as applied in one statement, whatever their number (a fixture reset or a baseline
 * of a folder of N seeds costs one round trip, not N).
 */
export async function insertSeedRecords(
  trx: Knex.Transaction,
  tenant: string,
  records: readonly SeedRecord[],
): Promise<void> {
  await insertRows(trx, tenant, SEEDS, records.map(toSeedRow));
}

/**
 * Replaces a seed's record (re-applied after its file changed), keeping its place in the applied
 * order: a re-applied seed corrects itself where it stands, and `down` still reverts the seeds
 * applied after it first. Records the seed when it was not recorded.
 */
export async function replaceSeedRecord(trx: Knex.Transaction, tenant: string, record: SeedRecord): Promise<void> {
  const deleted = await trx.raw(
    `delete from ${SEEDS_TABLE} where tenant = ? and name = ? returning applied_order::text as "appliedOrder"`,
    [tenant, record.name],
  );
  const appliedOrder = (deleted.rows[0] as { appliedOrder: string } | undefined)?.appliedOrder;
  await insertRows(trx, tenant, SEEDS, [toSeedRow(record)], {
    computed:
      appliedOrder === undefined ? [] : [{ column: "applied_order", sql: "?::bigint", bindings: [appliedOrder] }],
  });
}

/**
 * Removes every workflow of a tenant (their versions and runs go with them, ON DELETE CASCADE)
 * and every seed record of the tenant, in one statement (a fixture reset).
 */
export async function deleteTenantSeedState(trx: Knex.Transaction, tenant: string): Promise<void> {
  // A data-modifying CTE runs to completion whether or not the statement reads it.
  await trx.raw(
    `with workflows as (delete from workflow_definitions where tenant = ?)
     delete from ${SEEDS_TABLE} where tenant = ?`,
    [tenant, tenant],
  );
}

/** Removes a seed's record. */
export async function deleteSeedRecord(trx: Knex.Transaction, tenant: string, name: string): Promise<void> {
  await trx.raw(`delete from ${SEEDS_TABLE} where tenant = ? and name = ?`, [tenant, name]);
}

/** Tenants that have workflows or seed records (for `--all-tenants`). */
export async function selectSeededTenants(knex: Knex): Promise<string[]> {
  const rows = await selectJson<{ tenant: string }>(
    knex,
    `select tenant::text as tenant from workflow_definitions union select tenant::text from ${SEEDS_TABLE} order by 1`,
    [],
  );
  return rows.map((r) => r.tenant);
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
  // One round trip: set the timeout, wait for the lock, reset the timeout. Each materialized CTE
  // reads the one before, which fixes the order (a select list has no guaranteed order).
  try {
    await trx.raw(
      `with timeout as materialized (select set_config('lock_timeout', ?, true)),
            locked as materialized (select pg_advisory_xact_lock(?, hashtext(?)) from timeout)
       select set_config('lock_timeout', '0', true) from locked`,
      [`${Math.max(1, Math.round(timeoutMs))}ms`, ADVISORY_LOCK_CLASS, `seeds:${tenant}`],
    );
  } catch (error) {
    if ((error as { code?: string }).code === "55P03")
      fail("SEED_LOCK_TIMEOUT", { tenant, waitedMs: Date.now() - started }, error);
    throw error;
  }
}
