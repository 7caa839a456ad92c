import type { Knex } from "knex";
import type { UmzugStorage } from "umzug";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { assertTenant } from "../db/tenant.js";
import { selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import { fail, type Issue, issue, toIssueBody as toWarning, WorkflowSeederError } from "../errors.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { CHECKSUM_ALGORITHM, hashCanonicalJson } from "../format/checksum.js";
import type { ConflictPolicy, ImportResult } from "../import/import-bundle.js";
import { TOOL_VERSION } from "../version.js";
import {
  type LoadedSeed,
  listSeedFiles,
  loadSeed,
  misnamedIssue,
  readSeedChecksum,
  readSeedText,
  type SeedFile,
  type SeedListing,
} from "./seed-files.js";
import {
  acquireSeedLock,
  DEFAULT_SEED_LOCK_TIMEOUT_MS,
  insertSeedRecord,
  isSeedRecorded,
  replaceSeedRecord,
  type SeedClaims,
  type SeededWorkflow,
  type SeedRecord,
  selectSeedClaims,
  selectSeedRecords,
} from "./seed-records.js";

/** What `up` does when an applied seed's file changed. */
export type OnChangePolicy = "fail" | "reapply" | "warn";

/** The default: refuse to run (`SEED_CHECKSUM_MISMATCH`). */
export const DEFAULT_ON_CHANGE: OnChangePolicy = "fail";

/** A progress event of a long run (the CLI shows them on a terminal). */
export interface SeedProgress {
  tenant: string;
  seed: string;
  index: number;
  total: number;
  phase: "applying" | "applied" | "skipped" | "reapplying" | "reverting" | "reverted";
}

/** Options shared by the seeder's operations. */
export interface SeederOptions {
  /** The seeds folder (absolute or relative to the process's directory). */
  dir: string;
  /** The tenant to act on. */
  tenant: string;
  /** Runtime catalog for the seeds' dependency checks. Default: Alga's registrations. */
  catalog?: RuntimeCatalog;
  /** Policy for keys that exist but were not created by the seeder. Default "fail". */
  onConflict?: ConflictPolicy;
  /** Written to created_by / updated_by / published_by. */
  actor?: string | null;
  /** How long to wait for another seeder of the same tenant. Default 5 minutes. */
  lockTimeoutMs?: number;
  /** The clock (applied_at). Default: `new Date()`. */
  now?: () => Date;
  onProgress?: (event: SeedProgress) => void;
  /**
   * Test hook: runs after a seed's workflows are written and before its record, inside the same
   * transaction (crash tests kill the process here).
   */
  beforeRecord?: (seed: string) => Promise<void>;
}

/** State of one seed for a tenant. */
export type SeedState = "applied" | "pending" | "modified" | "missing";

/** One line of `status`. */
export interface SeedStatusEntry {
  name: string;
  file: string | null;
  state: SeedState;
  appliedAt: string | null;
  baseline: boolean;
  recordedChecksum: string | null;
  currentChecksum: string | null;
}

/** The result of {@link readSeedStatus}. */
export interface SeedStatusResult {
  tenant: string;
  dir: string;
  seeds: SeedStatusEntry[];
  warnings: Issue[];
  /** True when `up` has something to do (pending or modified seeds). */
  hasWork: boolean;
}

/** What a seed did, as reported by `up`. */
export interface AppliedSeed {
  name: string;
  workflows: { key: string; workflowId: string; action: SeededWorkflow["action"] }[];
  warnings: ReturnType<typeof toWarning>[];
}

/** The result of {@link applySeeds}. */
export interface ApplySeedsResult {
  tenant: string;
  applied: AppliedSeed[];
  reapplied: AppliedSeed[];
  /** Seeds another process applied while this one waited for the lock. */
  appliedConcurrently: string[];
  warnings: ReturnType<typeof toWarning>[];
}

interface Inventory {
  listing: SeedListing;
  records: SeedRecord[];
  entries: SeedStatusEntry[];
  warnings: Issue[];
}

async function takeInventory(db: Knex, options: SeederOptions): Promise<Inventory> {
  assertTenant(options.tenant);
  const listing = await listSeedFiles(options.dir, { mustExist: true });
  let records: SeedRecord[];
  try {
    records = await selectSeedRecords(db, options.tenant, { withWorkflows: false });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
  const recordByName = new Map(records.map((r) => [r.name, r]));
  // Read the applied seeds' files concurrently: the drift check is I/O, and usually all of it.
  const checksums = new Map<string, string>();
  const applied = listing.seeds.filter((s) => recordByName.has(s.name));
  for (let i = 0; i < applied.length; i += 32)
    await Promise.all(
      applied.slice(i, i + 32).map(async (seed) => {
        const record = recordByName.get(seed.name) as SeedRecord;
        // Unchanged bytes need no parsing; changed bytes may still be the same canonical content.
        const read = await readSeedText(seed);
        const unchanged =
          record.fileHash && record.fileHash === read.fileHash && record.checksumAlgorithm === CHECKSUM_ALGORITHM;
        checksums.set(seed.name, unchanged ? record.checksum : (await readSeedChecksum(seed, read)).checksum);
      }),
    );
  const entries: SeedStatusEntry[] = [];
  for (const seed of listing.seeds) {
    const record = recordByName.get(seed.name);
    if (!record) {
      entries.push({
        name: seed.name,
        file: seed.file,
        state: "pending",
        appliedAt: null,
        baseline: false,
        recordedChecksum: null,
        currentChecksum: null,
      });
      continue;
    }
    const checksum = checksums.get(seed.name) as string;
    entries.push({
      name: seed.name,
      file: seed.file,
      state: checksum === record.checksum ? "applied" : "modified",
      appliedAt: record.appliedAt,
      baseline: record.baseline,
      recordedChecksum: record.checksum,
      currentChecksum: checksum,
    });
  }
  const onDisk = new Set(listing.seeds.map((s) => s.name));
  for (const record of records)
    if (!onDisk.has(record.name))
      entries.push({
        name: record.name,
        file: null,
        state: "missing",
        appliedAt: record.appliedAt,
        baseline: record.baseline,
        recordedChecksum: record.checksum,
        currentChecksum: null,
      });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const warnings: Issue[] = [];
  const misnamed = misnamedIssue(listing);
  if (misnamed) warnings.push(misnamed);
  return { listing, records, entries, warnings };
}

/**
 * The state of every seed for a tenant: `applied`, `pending`, `modified` (the file's canonical
 * content changed after it was applied) or `missing` (recorded, file gone).
 */
export async function readSeedStatus(db: Knex, options: SeederOptions): Promise<SeedStatusResult> {
  const inventory = await takeInventory(db, options);
  return {
    tenant: options.tenant,
    dir: options.dir,
    seeds: inventory.entries,
    warnings: inventory.warnings,
    hasWork: inventory.entries.some((e) => e.state === "pending" || e.state === "modified"),
  };
}

/**
 * Applies the `--on-change` policy to a status: throws `SEED_CHECKSUM_MISMATCH` naming every
 * modified seed (`fail`), returns it as a warning (`warn`), or nothing (`reapply`, or no drift).
 * `up` and `plan` share it, so a plan refuses exactly what `up` would refuse.
 */
export function applyOnChangePolicy(entries: readonly SeedStatusEntry[], onChange: OnChangePolicy): Issue[] {
  const modified = entries.filter((e) => e.state === "modified");
  if (modified.length === 0 || onChange === "reapply") return [];
  const mismatch = issue("SEED_CHECKSUM_MISMATCH", {
    seeds: modified.map((e) => ({
      name: e.name,
      recordedChecksum: e.recordedChecksum as string,
      currentChecksum: e.currentChecksum as string,
    })),
  });
  if (onChange === "fail") throw new WorkflowSeederError(mismatch);
  return [mismatch];
}

/** Seeds up to and including `to` (a seed name, file name or version prefix). */
function selectUpTo<T extends SeedFile>(
  seeds: readonly T[],
  to: string | undefined,
  all: readonly SeedFile[],
  dir: string,
): T[] {
  if (to === undefined) return [...seeds];
  const target = all.find((s) => s.name === to || s.file === to || s.version === to);
  if (!target) fail("SEED_NOT_FOUND", { name: to, dir });
  return seeds.filter((s) => s.name <= target.name);
}

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

async function exportWorkflowsByKey(
  trx: Knex.Transaction,
  tenant: string,
  keys: readonly string[],
): Promise<Map<string, BundleWorkflow>> {
  if (keys.length === 0) return new Map();
  const { exportBundle } = await import("../export/export-bundle.js");
  const bundle = await exportBundle(trx, { tenant, keys, exportedAt: "1970-01-01T00:00:00.000Z" });
  return new Map(bundle.workflows.map((w) => [w.key, w]));
}

/**
 * Writes one seed's workflows in the caller's transaction (which holds the seed lock) and returns
 * the record to store with it. Keys an earlier seed created are updated in place; other existing
 * keys follow `onConflict`.
 */
async function writeSeed(
  trx: Knex.Transaction,
  seed: LoadedSeed,
  options: SeederOptions,
  previousRecord: SeedRecord | null,
): Promise<{ record: SeedRecord; done: AppliedSeed["workflows"]; result: ImportResult }> {
  const tenant = options.tenant;
  const keys = seed.bundle.workflows.map((w) => w.key);
  // Only the entries about this seed's keys: reading every record per seed grows with the square.
  const claims = await selectSeedClaims(trx, tenant, keys);
  const owned = collectOwnership(claims);
  const superseded = collectSupersededKeys(claims, seed.name);
  const existingKeys = [...new Set((await selectWorkflowIdsByKeys(trx, tenant, keys)).map((r) => r.key))];
  const before = await exportWorkflowsByKey(trx, tenant, existingKeys);
  const { applyWorkflows } = await import("../import/import-bundle.js");
  const result = await applyWorkflows(trx, seed.bundle.workflows, {
    tenant,
    onConflict: options.onConflict ?? "fail",
    policyForKey: (key, existingId) =>
      superseded.has(key) ? "skip" : owned.get(key)?.has(existingId) ? "update" : undefined,
    catalog: options.catalog ?? DEFAULT_CATALOG,
    actor: options.actor ?? null,
  });
  const touched = [
    ...result.createdWorkflows.map((w) => ({ ...w, action: "created" as const })),
    ...result.updatedWorkflows.map((w) => ({ ...w, action: "updated" as const })),
    ...result.skippedWorkflows.map((w) => ({ ...w, action: "skipped" as const })),
  ];
  const replacedKeys = new Set(result.deletedWorkflows.map((w) => w.key));
  const after = await exportWorkflowsByKey(
    trx,
    tenant,
    touched.filter((w) => w.action !== "skipped").map((w) => w.key),
  );
  const earlier = new Map((previousRecord?.workflows ?? []).map((w) => [w.key, w]));
  // What this run did; the record may keep what the seed's first application did instead.
  const done = touched.map((w) => ({
    key: w.key,
    workflowId: w.workflowId,
    action: w.action === "created" && replacedKeys.has(w.key) ? ("replaced" as const) : w.action,
  }));
  const workflows: SeededWorkflow[] = done.map((w) => {
    const prior = earlier.get(w.key);
    const content = after.get(w.key);
    return {
      key: w.key,
      workflowId: w.workflowId,
      // Re-applying a changed seed keeps what its first application did (for `down`).
      action: prior && prior.action !== "skipped" ? prior.action : w.action,
      // A superseded key keeps what the first application recorded (it was not written now).
      contentHash: content ? hashCanonicalJson(content) : (prior?.contentHash ?? null),
      previous: prior ? (prior.previous ?? null) : (before.get(w.key) ?? null),
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
    appliedAt: (options.now?.() ?? new Date()).toISOString(),
    toolVersion: TOOL_VERSION,
    baseline: false,
    workflows,
  };
  return { record, done, result };
}

function summarize(seed: LoadedSeed, done: AppliedSeed["workflows"], result: ImportResult): AppliedSeed {
  return {
    name: seed.name,
    workflows: done,
    warnings: [...seed.warnings.map(toWarning), ...result.warnings],
  };
}

interface RunContext {
  knex: Knex;
  tenant: string;
  current?: { trx: Knex.Transaction; record: SeedRecord | null };
}

/** umzug storage over the seed table: records are written in the seed's own transaction. */
function createSeedStorage(records: readonly SeedRecord[]): UmzugStorage<RunContext> {
  return {
    async executed() {
      return records.map((r) => r.name);
    },
    async logMigration({ context }) {
      const current = context.current;
      context.current = undefined;
      if (!current) throw new Error("seed transaction missing: logMigration without up");
      try {
        if (current.record) await insertSeedRecord(current.trx, context.tenant, current.record);
        await current.trx.commit();
      } catch (error) {
        await current.trx.rollback().catch(() => undefined);
        throw error;
      }
    },
    async unlogMigration() {
      // Seeds are reverted by `revertSeeds`, which deletes the record in its own transaction.
    },
  };
}

function unwrapUmzugError(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 3 && current && typeof current === "object" && (current as Error).name === "MigrationError"; i++)
    current = (current as Error).cause;
  return current;
}

/**
 * Applies pending seeds for a tenant (`up`), each in one transaction together with its record,
 * under the tenant's seed lock: concurrent runners apply each seed exactly once. Every pending seed
 * is checked before the first one is written. Applied seeds whose file changed are refused
 * (`fail`), re-imported (`reapply`) or reported (`warn`).
 */
export async function applySeeds(
  db: Knex,
  options: SeederOptions & { to?: string; onChange?: OnChangePolicy },
): Promise<ApplySeedsResult> {
  const inventory = await takeInventory(db, options);
  const warnings = inventory.warnings.map(toWarning);
  const modified = inventory.entries.filter((e) => e.state === "modified");
  const onChange = options.onChange ?? DEFAULT_ON_CHANGE;
  warnings.push(...applyOnChangePolicy(inventory.entries, onChange).map(toWarning));
  const pendingNames = new Set(inventory.entries.filter((e) => e.state === "pending").map((e) => e.name));
  const pendingFiles = selectUpTo(
    inventory.listing.seeds.filter((s) => pendingNames.has(s.name)),
    options.to,
    inventory.listing.seeds,
    options.dir,
  );
  const reapplyFiles =
    onChange === "reapply" ? inventory.listing.seeds.filter((s) => modified.some((m) => m.name === s.name)) : [];
  const result: ApplySeedsResult = {
    tenant: options.tenant,
    applied: [],
    reapplied: [],
    appliedConcurrently: [],
    warnings,
  };
  if (pendingFiles.length === 0 && reapplyFiles.length === 0) return result;

  const catalog = options.catalog ?? DEFAULT_CATALOG;
  // Check every seed before writing anything: a bad seed changes nothing.
  const failures: Issue[] = [];
  const loaded = new Map<string, LoadedSeed>();
  for (const seed of [...reapplyFiles, ...pendingFiles]) {
    try {
      loaded.set(seed.name, await loadSeed(seed, catalog));
    } catch (error) {
      if (!(error instanceof WorkflowSeederError)) throw error;
      failures.push(...error.issues);
    }
  }
  if (failures.length > 0) throw new WorkflowSeederError(failures);

  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_SEED_LOCK_TIMEOUT_MS;
  // The full records (with what each seed did) matter only when a seed is re-applied.
  const recordByName = new Map(
    (reapplyFiles.length > 0 ? await selectSeedRecords(db, options.tenant) : inventory.records).map((r) => [r.name, r]),
  );
  for (const [index, seedFile] of reapplyFiles.entries()) {
    const seed = loaded.get(seedFile.name) as LoadedSeed;
    options.onProgress?.({
      tenant: options.tenant,
      seed: seed.name,
      index,
      total: reapplyFiles.length,
      phase: "reapplying",
    });
    try {
      await db.transaction(async (trx) => {
        await acquireSeedLock(trx, options.tenant, lockTimeoutMs);
        const {
          record,
          done,
          result: imported,
        } = await writeSeed(trx, seed, options, recordByName.get(seed.name) ?? null);
        await replaceSeedRecord(trx, options.tenant, record);
        result.reapplied.push(summarize(seed, done, imported));
      });
    } catch (error) {
      rethrowAsDatabaseError(
        error,
        seed.bundle.workflows.map((w) => w.key),
      );
    }
  }
  if (pendingFiles.length === 0) return result;

  const { Umzug } = await import("umzug");
  const context: RunContext = { knex: db, tenant: options.tenant };
  const total = pendingFiles.length;
  const umzug = new Umzug<RunContext>({
    logger: undefined,
    context,
    storage: createSeedStorage(inventory.records),
    migrations: pendingFiles.map((seedFile, index) => ({
      name: seedFile.name,
      async up({ context: ctx }) {
        const seed = loaded.get(seedFile.name) as LoadedSeed;
        options.onProgress?.({ tenant: ctx.tenant, seed: seed.name, index, total, phase: "applying" });
        const trx = await ctx.knex.transaction();
        ctx.current = { trx, record: null };
        try {
          await acquireSeedLock(trx, ctx.tenant, lockTimeoutMs);
          if (await isSeedRecorded(trx, ctx.tenant, seed.name)) {
            result.appliedConcurrently.push(seed.name);
            options.onProgress?.({ tenant: ctx.tenant, seed: seed.name, index, total, phase: "skipped" });
            return;
          }
          const { record, done, result: imported } = await writeSeed(trx, seed, options, null);
          ctx.current.record = record;
          await options.beforeRecord?.(seed.name);
          result.applied.push(summarize(seed, done, imported));
          options.onProgress?.({ tenant: ctx.tenant, seed: seed.name, index, total, phase: "applied" });
        } catch (error) {
          ctx.current = undefined;
          await trx.rollback().catch(() => undefined);
          throw error;
        }
      },
    })),
  });
  try {
    await umzug.up();
  } catch (error) {
    const cause = unwrapUmzugError(error);
    const keys = [...loaded.values()].flatMap((s) => s.bundle.workflows.map((w) => w.key));
    rethrowAsDatabaseError(cause, keys);
  }
  return result;
}
