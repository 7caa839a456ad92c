import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Knex } from "knex";
import { DEFAULT_CATALOG } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { assertTenant } from "../db/tenant.js";
import { selectWorkflowIdsByKeys } from "../db/workflow-store.js";
import { fail, WorkflowSeederError } from "../errors.js";
import { type ExportOptions, exportBundle } from "../export/export-bundle.js";
import { canonicalizeJson } from "../format/canonical-json.js";
import { CHECKSUM_ALGORITHM, hashCanonicalJson } from "../format/checksum.js";
import { type ImportWarning, toWarning } from "../import/import-bundle.js";
import { TOOL_VERSION } from "../version.js";
import {
  hashSeedText,
  type LoadedSeed,
  listSeedFiles,
  loadSeed,
  misnamedIssue,
  parseSeedFileName,
  planNextSeedVersion,
  SEED_FILE_PATTERN_TEXT,
  SEED_SUFFIX,
  slugifySeedName,
} from "./seed-files.js";
import {
  acquireSeedLock,
  DEFAULT_SEED_LOCK_TIMEOUT_MS,
  insertSeedRecord,
  isSeedRecorded,
  type SeededWorkflow,
  selectSeedRecords,
} from "./seed-records.js";
import type { SeederOptions } from "./seed-runner.js";
import { createSeedTemplate } from "./seed-template.js";

async function adoptWorkflows(
  trx: Knex.Transaction,
  tenant: string,
  keys: readonly string[],
): Promise<SeededWorkflow[]> {
  const rows = await selectWorkflowIdsByKeys(trx, tenant, keys);
  if (rows.length === 0) return [];
  const exported = await exportBundle(trx, {
    tenant,
    keys: [...new Set(rows.map((r) => r.key))],
    exportedAt: "1970-01-01T00:00:00.000Z",
  });
  const hashByKey = new Map(exported.workflows.map((w) => [w.key, hashCanonicalJson(w)]));
  return rows.map((r) => ({
    key: r.key,
    workflowId: r.workflow_id,
    action: "adopted" as const,
    contentHash: hashByKey.get(r.key) ?? null,
    previous: null,
  }));
}

/** The result of {@link baselineSeeds}. */
export interface BaselineSeedsResult {
  tenant: string;
  recorded: { name: string; adopted: string[] }[];
  /** Files of the folder that are not seeds (`INVALID_SEED_NAME`): reported, never recorded. */
  warnings: ImportWarning[];
}

/**
 * Records pending seeds as applied without running them (`baseline`), for a database that already
 * holds their workflows. The workflows of those seeds that exist become the seeder's (later seeds
 * may update them).
 */
export async function baselineSeeds(db: Knex, options: SeederOptions & { to?: string }): Promise<BaselineSeedsResult> {
  assertTenant(options.tenant);
  const tenant = options.tenant;
  const listing = await listSeedFiles(options.dir, { mustExist: true });
  const recorded = new Set((await selectSeedRecords(db, tenant)).map((r) => r.name));
  let seeds = listing.seeds.filter((s) => !recorded.has(s.name));
  if (options.to !== undefined) {
    const to = options.to;
    const target = listing.seeds.find((s) => s.name === to || s.file === to || s.version === to);
    if (!target) fail("SEED_NOT_FOUND", { name: to, dir: options.dir });
    seeds = seeds.filter((s) => s.name <= target.name);
  }
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const loaded: LoadedSeed[] = [];
  for (const seed of seeds) loaded.push(await loadSeed(seed, catalog));
  const misnamed = misnamedIssue(listing);
  const result: BaselineSeedsResult = { tenant, recorded: [], warnings: misnamed ? [toWarning(misnamed)] : [] };
  try {
    await db.transaction(async (trx) => {
      await acquireSeedLock(trx, tenant, options.lockTimeoutMs ?? DEFAULT_SEED_LOCK_TIMEOUT_MS);
      for (const seed of loaded) {
        if (await isSeedRecorded(trx, tenant, seed.name)) continue;
        const workflows = await adoptWorkflows(
          trx,
          tenant,
          seed.bundle.workflows.map((w) => w.key),
        );
        await insertSeedRecord(trx, tenant, {
          name: seed.name,
          checksum: seed.checksum,
          checksumAlgorithm: seed.checksumAlgorithm,
          fileHash: seed.fileHash,
          appliedAt: (options.now?.() ?? new Date()).toISOString(),
          toolVersion: TOOL_VERSION,
          baseline: true,
          workflows,
        });
        result.recorded.push({ name: seed.name, adopted: workflows.map((w) => w.key) });
      }
    });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
  return result;
}

/** Options of {@link exportToSeed}. */
export interface ExportToSeedOptions extends Omit<ExportOptions, "exportedAt"> {
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
  assertTenant(options.tenant);
  const now = options.now?.() ?? new Date();
  const slug = slugifySeedName(options.name);
  if (slug === "")
    fail("INVALID_ARGUMENT", { option: "--seed", received: options.name, expected: "a name with letters or digits" });
  const listing = await listSeedFiles(options.dir);
  const file = `${planNextSeedVersion(listing.seeds, now)}.${slug}${SEED_SUFFIX}`;
  const path = join(options.dir, file);
  const name = file.slice(0, -SEED_SUFFIX.length);
  try {
    return await db.transaction(async (trx) => {
      await acquireSeedLock(trx, options.tenant, options.lockTimeoutMs ?? DEFAULT_SEED_LOCK_TIMEOUT_MS);
      const bundle = await exportBundle(trx, { ...options, exportedAt: now.toISOString() });
      const workflows = await adoptWorkflows(
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
      expected: "a name starting with a letter or digit",
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
