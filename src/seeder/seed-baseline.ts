import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Knex } from "knex";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import {
  acquireSeedLock,
  insertSeedRecord,
  insertSeedRecords,
  type SeededWorkflow,
  type SeedRecord,
  selectRecordedSeedNames,
  selectSeedRecords,
} from "../db/seed-store.js";
import { selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import { fail, WorkflowSeederError } from "../errors.js";
import { type ExportOptions, exportBundle } from "../export/export-bundle.js";
import { canonicalizeJson } from "../format/canonical-json.js";
import { CHECKSUM_ALGORITHM, hashCanonicalJson } from "../format/checksum.js";
import { TOOL_VERSION } from "../version.js";
import { exportWorkflowsByKey, type WorkflowSnapshot } from "./export-workflows-by-key.js";
import { type BaselineMismatch, readBaselineMismatches } from "./read-baseline-mismatches.js";
import {
  hashSeedText,
  listSeedFiles,
  loadSeeds,
  parseSeedFileName,
  planNextSeedVersion,
  SEED_FILE_PATTERN_TEXT,
  SEED_SUFFIX,
  slugifySeedName,
} from "./seed-files.js";
import { selectSeedsUpTo } from "./seed-run.js";
import { createSeedTemplate } from "./seed-template.js";
import { resolveSeederOptions, type SeederOptions } from "./seeder-options.js";

/**
 * The seeder takes the existing workflows of `keys` as its own, with their content as they are:
 * the entries a record stores for them, in the order the rows are read, and each one's snapshot.
 * Two reads, whatever the number of keys.
 */
async function adoptWorkflows(
  trx: Knex.Transaction,
  tenant: string,
  keys: readonly string[],
): Promise<{ adopted: SeededWorkflow[]; snapshots: Map<string, WorkflowSnapshot> }> {
  const rows = await selectWorkflowIdsByKeys(trx, tenant, keys);
  const snapshots = await exportWorkflowsByKey(
    trx,
    tenant,
    rows.map((r) => r.key),
  );
  const adopted = rows.map((r) => ({
    key: r.key,
    workflowId: r.workflow_id,
    action: "adopted" as const,
    contentHash: snapshots.get(r.key)?.contentHash ?? null,
    previous: null,
  }));
  return { adopted, snapshots };
}

/** Options of {@link baselineSeeds}. */
export interface BaselineSeedsOptions extends SeederOptions {
  /** Record pending seeds up to and including this one (a seed name, file name or version prefix). */
  to?: string;
  /**
   * Record the seeds even when their workflows are missing from the tenant or differ from the
   * seeds' (the mismatches are returned). Default false: `SEED_BASELINE_MISMATCH`.
   */
  force?: boolean;
}

/** The result of {@link baselineSeeds}. */
export interface BaselineSeedsResult {
  tenant: string;
  recorded: { name: string; adopted: string[] }[];
  /** With `force`: the seeds recorded although the tenant does not hold their workflows as they are. */
  mismatches: BaselineMismatch[];
}

/**
 * Records pending seeds as applied without running them (`baseline`), for a database that already
 * holds their workflows. Refuses (`SEED_BASELINE_MISMATCH`, recording nothing) when a seed's
 * workflow is missing from the tenant or differs from the seed's, unless `force`; see
 * {@link readBaselineMismatches}. The workflows of those seeds that exist become the seeder's
 * (later seeds may update them).
 */
export async function baselineSeeds(db: Knex, given: BaselineSeedsOptions): Promise<BaselineSeedsResult> {
  const options = resolveSeederOptions(given);
  const tenant = options.tenant;
  const listing = await listSeedFiles(options.dir, { mustExist: true });
  // Names only: a baseline records seeds without running them, so it neither reads the applied
  // seeds' files nor judges their drift.
  const recorded = new Set((await selectSeedRecords(db, tenant, { withWorkflows: false })).map((r) => r.name));
  const seeds = selectSeedsUpTo(
    listing.seeds.filter((s) => !recorded.has(s.name)),
    options.to,
    listing.seeds,
    options.dir,
  );
  const loaded = await loadSeeds(seeds, options.catalog);
  const result: BaselineSeedsResult = { tenant, recorded: [], mismatches: [] };
  try {
    await db.transaction(async (trx) => {
      await acquireSeedLock(trx, tenant, options.lockTimeoutMs);
      // Re-read under the lock: another process may have recorded some of them meanwhile.
      const recordedNow = await selectRecordedSeedNames(
        trx,
        tenant,
        loaded.map((s) => s.name),
      );
      const toRecord = loaded.filter((s) => !recordedNow.has(s.name));
      // A baseline writes no workflow, so every seed adopts from the same state: one read for all.
      const { adopted, snapshots } = await adoptWorkflows(
        trx,
        tenant,
        toRecord.flatMap((s) => s.bundle.workflows.map((w) => w.key)),
      );
      result.mismatches = await readBaselineMismatches(trx, tenant, toRecord, snapshots, {
        catalog: options.catalog,
        actor: options.actor,
      });
      if (result.mismatches.length > 0 && !options.force)
        fail("SEED_BASELINE_MISMATCH", { tenant, seeds: result.mismatches });
      const records = toRecord.map((seed): SeedRecord => {
        const keys = new Set(seed.bundle.workflows.map((w) => w.key));
        return {
          name: seed.name,
          checksum: seed.checksum,
          checksumAlgorithm: seed.checksumAlgorithm,
          fileHash: seed.fileHash,
          appliedAt: options.now().toISOString(),
          toolVersion: TOOL_VERSION,
          baseline: true,
          workflows: adopted.filter((w) => keys.has(w.key)),
        };
      });
      await insertSeedRecords(trx, tenant, records);
      for (const record of records)
        result.recorded.push({ name: record.name, adopted: record.workflows.map((w) => w.key) });
    });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
  return result;
}

/** Options of {@link exportToSeed}. */
export interface ExportToSeedOptions extends ExportOptions {
  /** The seeds folder. */
  dir: string;
  /** Free-text name; slugified into the file name. */
  name: string;
  now?: () => Date;
  lockTimeoutMs?: number;
}

/** The result of {@link exportToSeed}. */
export interface ExportToSeedResult {
  name: string;
  file: string;
  workflows: string[];
}

/**
 * Writes the selected workflows as a new versioned seed file and records it as applied in the
 * source database (so `status` there stays clean, and other databases see it as pending). The
 * exported workflows become the seeder's.
 */
export async function exportToSeed(db: Knex, options: ExportToSeedOptions): Promise<ExportToSeedResult> {
  const { lockTimeoutMs, now: clock } = resolveSeederOptions(options);
  const now = clock();
  const slug = slugifySeedName(options.name);
  if (slug === "")
    fail("INVALID_ARGUMENT", {
      option: "--seed",
      received: options.name,
      expected: "a name with ASCII letters or digits (a-z, 0-9; an accented letter counts as its base letter)",
    });
  const listing = await listSeedFiles(options.dir);
  const file = `${planNextSeedVersion(listing.seeds, now)}.${slug}${SEED_SUFFIX}`;
  const path = join(options.dir, file);
  const name = file.slice(0, -SEED_SUFFIX.length);
  try {
    return await db.transaction(async (trx) => {
      await acquireSeedLock(trx, options.tenant, lockTimeoutMs);
      // A pinned exportedAt (byte-stable seeds) is written as given; the file name and the record keep the clock.
      const bundle = await exportBundle(trx, { ...options, exportedAt: options.exportedAt ?? now.toISOString() });
      const { adopted: workflows } = await adoptWorkflows(
        trx,
        options.tenant,
        bundle.workflows.map((w) => w.key),
      );
      const text = canonicalizeJson(bundle);
      await insertSeedRecord(trx, options.tenant, {
        name,
        checksum: hashCanonicalJson(bundle),
        checksumAlgorithm: CHECKSUM_ALGORITHM,
        appliedAt: now.toISOString(),
        toolVersion: TOOL_VERSION,
        baseline: true,
        workflows,
        fileHash: hashSeedText(text),
      });
      // Write the file last, inside the transaction: if writing fails, nothing is recorded.
      await writeSeedFile(path, text, options.dir);
      return { name, file: path, workflows: bundle.workflows.map((w) => w.key) };
    });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
}

async function writeSeedFile(path: string, text: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(path, text, { flag: "wx" });
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") fail("SEED_ALREADY_EXISTS", { name: path, file: path });
    fail("FILE_WRITE_ERROR", { file: path, reason: (error as Error).message }, error);
  }
}

/**
 * Creates a new seed file (`new <name>`) with the next version prefix: a valid bundle with one
 * draft workflow whose key is the seed's name, ready to be edited.
 */
export async function createSeedFile(options: {
  dir: string;
  name: string;
  now?: () => Date;
}): Promise<{ name: string; file: string }> {
  const slug = slugifySeedName(options.name);
  if (slug === "" || !/^[a-z0-9]/.test(slug))
    fail("INVALID_ARGUMENT", {
      option: "name",
      received: options.name,
      expected:
        "a name starting with an ASCII letter or digit (a-z, 0-9; an accented letter counts as its base letter)",
    });
  const now = options.now?.() ?? new Date();
  const listing = await listSeedFiles(options.dir);
  const file = `${planNextSeedVersion(listing.seeds, now)}.${slug}${SEED_SUFFIX}`;
  if (!parseSeedFileName(file))
    throw new WorkflowSeederError({
      code: "INVALID_SEED_NAME",
      details: { dir: options.dir, files: [file], pattern: SEED_FILE_PATTERN_TEXT },
    });
  const path = join(options.dir, file);
  await writeSeedFile(path, canonicalizeJson(createSeedTemplate(slug, now.toISOString())), options.dir);
  return { name: file.slice(0, -SEED_SUFFIX.length), file: path };
}
