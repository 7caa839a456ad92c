/**
 * The seed folder the crash, concurrency, isolation and fault tests run `up` on: four seeds, one
 * of which updates a workflow an earlier one created, and one bulkier (a timed kill may land inside
 * its transaction; the tests that need a kill there hold the seed paused instead).
 */
import type { Knex } from "knex";
import { exportBundle } from "../../src/export/export-bundle.js";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import {
  generateBundle,
  generateKeys,
  makeTempDir,
  readSeedRecords,
  readTenantWorkflows,
  writeBundleFile,
} from "./support.js";

/** One seed of the folder: its file, recorded name, and the keys it creates or changes. */
export interface SeedSpec {
  file: string;
  name: string;
  keys: string[];
}

/** Workflows in the bulky seed. */
export const BULK_SEED_SIZE = 100;

/** The description `seed.alpha` has after the second seed. */
export const ALPHA_V2 = "Alpha, second version.";

/** The seeds in apply order. */
export const SEEDS: readonly SeedSpec[] = [
  { file: "2026-01-26T10.00.00.first.bundle.json", keys: ["seed.alpha", "seed.beta", "seed.gamma"] },
  { file: "2026-01-26T10.05.00.alpha-v2-delta.bundle.json", keys: ["seed.alpha", "seed.delta"] },
  { file: "2026-01-26T10.10.00.bulk.bundle.json", keys: generateKeys("seed.bulk", BULK_SEED_SIZE) },
  { file: "2026-01-26T10.15.00.epsilon.bundle.json", keys: ["seed.epsilon"] },
].map((s) => ({ ...s, name: s.file.replace(/\.bundle\.json$/, "") }));

/** Writes the four seeds into a fresh temp folder and returns it. */
export async function writeSeedFolder(): Promise<string> {
  const dir = await makeTempDir("wfs-rel-seeds-");
  const [first, second, bulk, last] = SEEDS as [SeedSpec, SeedSpec, SeedSpec, SeedSpec];
  await writeBundleFile(dir, first.file, generateBundle(first.keys.map((key) => ({ key }))));
  await writeBundleFile(
    dir,
    second.file,
    generateBundle([{ key: "seed.alpha", description: ALPHA_V2 }, { key: "seed.delta" }]),
  );
  await writeBundleFile(dir, bulk.file, generateBundle(bulk.keys.map((key) => ({ key, padding: 1_000 }))));
  await writeBundleFile(dir, last.file, generateBundle(last.keys.map((key) => ({ key }))));
  return dir;
}

/** The tenant's workflows as canonical bundle text ("" when it has none). */
export async function exportTenantText(knex: Knex, tenant: string): Promise<string> {
  const rows = await knex.raw("select count(*)::int as n from workflow_definitions where tenant = ?", [tenant]);
  if (rows.rows[0].n === 0) return "";
  return canonicalizeJson(await exportBundle(knex, { tenant, all: true, exportedAt: "2026-01-01T00:00:00.000Z" }));
}

/**
 * Checks that a tenant's seed records and workflows agree: the recorded seeds are a prefix of the
 * folder (applied in order, each whole), every workflow a record names exists with the id it
 * names, no other workflow exists, and `seed.alpha` has the content of the last recorded seed
 * that wrote it. Returns how many seeds are recorded.
 */
export async function checkSeedStateAgrees(knex: Knex, tenant: string): Promise<number> {
  const records = await readSeedRecords(knex, tenant);
  const names = records.map((r) => r.name);
  const expected = SEEDS.slice(0, names.length).map((s) => s.name);
  if (names.join() !== expected.join()) throw new Error(`seed records are not a prefix of the folder: ${names}`);
  const workflows = await readTenantWorkflows(knex, tenant);
  const recordedIds = new Map<string, string>();
  for (const record of records)
    for (const w of record.workflows) if (w.action !== "skipped") recordedIds.set(w.key, w.workflowId);
  const expectedKeys = new Set(SEEDS.slice(0, names.length).flatMap((s) => s.keys));
  const present = [...workflows.keys()].sort();
  if (present.join() !== [...expectedKeys].sort().join())
    throw new Error(
      `workflows present do not match the ${names.length} recorded seeds: ${present.length} present, ${expectedKeys.size} expected`,
    );
  for (const [key, id] of recordedIds) {
    const w = workflows.get(key);
    if (w?.workflowId !== id) throw new Error(`record says ${key} is ${id}, the database has ${w?.workflowId}`);
    if (w.versions !== 1) throw new Error(`${key} has ${w.versions} published versions, expected 1`);
  }
  const alpha = workflows.get("seed.alpha");
  if (alpha && names.length >= 2 && alpha.description !== ALPHA_V2)
    throw new Error(`seed.alpha was not updated by the recorded second seed: ${alpha.description}`);
  if (alpha && names.length === 1 && alpha.description === ALPHA_V2)
    throw new Error("seed.alpha has the second seed's content, but that seed is not recorded");
  return names.length;
}
