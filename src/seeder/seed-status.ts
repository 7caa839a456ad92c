import type { Knex } from "knex";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { type SeedRecord, selectSeedRecords } from "../db/seed-store.js";
import { CHECKSUM_ALGORITHM } from "../format/checksum.js";
import { listSeedFiles, readSeedChecksum, readSeedText, type SeedListing } from "./seed-files.js";
import { resolveSeederOptions, type SeederOptions } from "./seeder-options.js";

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
  /** True when `up` has something to do (pending or modified seeds). */
  hasWork: boolean;
}

/** A tenant's seeds as the folder and the records show them: the first stage of every run. */
export interface SeedInventory {
  listing: SeedListing;
  /** The tenant's records, without their per-workflow history. */
  records: SeedRecord[];
  /** One entry per seed on disk or on record, in name order. */
  entries: SeedStatusEntry[];
}

/**
 * Lists the folder, reads the tenant's records and checks every applied seed's file for drift:
 * a file whose bytes are those recorded is not parsed; one whose bytes changed is judged by its
 * canonical checksum.
 */
export async function readSeedInventory(
  db: Knex,
  options: Pick<SeederOptions, "dir" | "tenant">,
): Promise<SeedInventory> {
  const listing = await listSeedFiles(options.dir, { mustExist: true });
  let records: SeedRecord[];
  try {
    records = await selectSeedRecords(db, options.tenant, { withWorkflows: false });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
  const recordByName = new Map(records.map((r) => [r.name, r]));
  // The drift check reads every applied seed's file (small files, read synchronously: the fastest
  // way for hundreds of them) and hashes its bytes.
  const checksums = new Map<string, string>();
  for (const seed of listing.seeds) {
    const record = recordByName.get(seed.name);
    if (record === undefined) continue;
    // Unchanged bytes need no parsing; changed bytes may still be the same canonical content.
    const read = await readSeedText(seed);
    const unchanged =
      record.fileHash && record.fileHash === read.fileHash && record.checksumAlgorithm === CHECKSUM_ALGORITHM;
    checksums.set(seed.name, unchanged ? record.checksum : (await readSeedChecksum(seed, read)).checksum);
  }
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
  return { listing, records, entries };
}

/**
 * The state of every seed for a tenant: `applied`, `pending`, `modified` (the file's canonical
 * content changed after it was applied) or `missing` (recorded, file gone).
 */
export async function readSeedStatus(db: Knex, options: SeederOptions): Promise<SeedStatusResult> {
  const resolved = resolveSeederOptions(options);
  const inventory = await readSeedInventory(db, resolved);
  return {
    tenant: resolved.tenant,
    dir: resolved.dir,
    seeds: inventory.entries,
    hasWork: inventory.entries.some((e) => e.state === "pending" || e.state === "modified"),
  };
}
