import type { Knex } from "knex";
import { type SeedRecord, selectSeedRecords } from "../db/seed-store.js";
import { fail, type Issue, issue, WorkflowSeederError } from "../errors.js";
import { isSeedTarget, type LoadedSeed, loadSeeds, type SeedFile } from "./seed-files.js";
import { readSeedInventory, type SeedInventory, type SeedStatusEntry } from "./seed-status.js";
import {
  DEFAULT_ON_CHANGE,
  type OnChangePolicy,
  type ResolvedSeederOptions,
  resolveSeederOptions,
  type SeedRunOptions,
} from "./seeder-options.js";

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

/**
 * The seeds of `seeds` up to and including `to` (a seed name, file name or version prefix of one
 * of `all`); all of them without `to`. An unknown `to` is `SEED_NOT_FOUND`.
 */
export function selectSeedsUpTo<T extends SeedFile>(
  seeds: readonly T[],
  to: string | undefined,
  all: readonly SeedFile[],
  dir: string,
): T[] {
  if (to === undefined) return [...seeds];
  const target = all.find((s) => isSeedTarget(s.name, to));
  if (!target) fail("SEED_NOT_FOUND", { name: to, dir });
  return seeds.filter((s) => s.name <= target.name);
}

/** {@link SeedRunOptions} with every default applied. */
export type ResolvedSeedRunOptions = ResolvedSeederOptions<SeedRunOptions> & { onChange: OnChangePolicy };

/** One seed a run writes, checked and ready. */
export interface SeedStep {
  seed: LoadedSeed;
  /** `reapply`: an applied seed whose file changed, under `--on-change reapply`. */
  mode: "apply" | "reapply";
  /** Position and count among the steps of the same mode (progress events). */
  index: number;
  total: number;
  /** The record a re-applied seed replaces (with what it did); null for a pending seed. */
  previousRecord: SeedRecord | null;
}

/** Everything `up` and `plan` decide before their first write. */
export interface SeedRun {
  options: ResolvedSeedRunOptions;
  inventory: SeedInventory;
  /** The on-change policy's warning (`warn`). */
  warnings: Issue[];
  /** Re-applied seeds first, then pending seeds up to `to`, each in file order. */
  steps: SeedStep[];
}

/**
 * Prepares `up` and `plan`: applies the defaults, reads the inventory (folder, records, drift),
 * applies the on-change policy, cuts the pending seeds at `to`, and reads and checks every seed
 * to write before anything is written (a bad seed changes nothing, and every bad seed is named).
 */
export async function prepareSeedRun(db: Knex, options: SeedRunOptions): Promise<SeedRun> {
  const resolved: ResolvedSeedRunOptions = {
    ...resolveSeederOptions(options),
    onChange: options.onChange ?? DEFAULT_ON_CHANGE,
  };
  const inventory = await readSeedInventory(db, resolved);
  const warnings = applyOnChangePolicy(inventory.entries, resolved.onChange);
  const stateByName = new Map(inventory.entries.map((e) => [e.name, e.state]));
  const { seeds } = inventory.listing;
  const pending = selectSeedsUpTo(
    seeds.filter((s) => stateByName.get(s.name) === "pending"),
    resolved.to,
    seeds,
    resolved.dir,
  );
  const reapply = resolved.onChange === "reapply" ? seeds.filter((s) => stateByName.get(s.name) === "modified") : [];
  const loaded = await loadSeeds([...reapply, ...pending], resolved.catalog);
  // The full records (with what each seed did) matter only when a seed is re-applied.
  const recordByName = new Map(
    (reapply.length > 0 ? await selectSeedRecords(db, resolved.tenant) : []).map((r) => [r.name, r]),
  );
  const steps = loaded.map((seed, i): SeedStep => {
    const reapplied = i < reapply.length;
    return {
      seed,
      mode: reapplied ? "reapply" : "apply",
      index: reapplied ? i : i - reapply.length,
      total: reapplied ? reapply.length : pending.length,
      previousRecord: reapplied ? (recordByName.get(seed.name) ?? null) : null,
    };
  });
  return { options: resolved, inventory, warnings, steps };
}
