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

/** `SEED_CHECKSUM_MISMATCH` naming every modified seed with both checksums, or null when none is modified. */
export function collectChecksumMismatch(entries: readonly SeedStatusEntry[]): Issue | null {
  const modified = entries.filter((e) => e.state === "modified");
  if (modified.length === 0) return null;
  return issue("SEED_CHECKSUM_MISMATCH", {
    seeds: modified.map((e) => ({
      name: e.name,
      recordedChecksum: e.recordedChecksum as string,
      currentChecksum: e.currentChecksum as string,
    })),
  });
}

/**
 * Applies the `--on-change` policy to a status, as `up` does: throws `SEED_CHECKSUM_MISMATCH`
 * naming every modified seed (`fail`), returns it as a warning (`warn`), or nothing (`reapply`,
 * or no drift).
 */
export function applyOnChangePolicy(entries: readonly SeedStatusEntry[], onChange: OnChangePolicy): Issue[] {
  const mismatch = collectChecksumMismatch(entries);
  if (mismatch === null || onChange === "reapply") return [];
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

/**
 * One seed a run writes, checked and ready. `reapply`: an applied seed whose file changed, under
 * `--on-change reapply`. `changed`: such a seed under `fail` or `warn`, which `up` leaves alone;
 * only a plan has these steps, to show what changed.
 */
export interface SeedStep {
  seed: LoadedSeed;
  mode: "apply" | "reapply" | "changed";
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
  /** The on-change policy's warning (`warn`; for a plan, `fail` too). */
  warnings: Issue[];
  /** Changed seeds (a plan's), then re-applied seeds, then pending seeds up to `to`, each in file order. */
  steps: SeedStep[];
  /** A plan's: `up` would refuse to run (`fail` and an applied seed was modified). */
  refused: boolean;
}

/** Who prepares a run: `up` refuses under `fail` at once; a plan goes on to show what changed. */
export type SeedRunPurpose = "up" | "plan";

/**
 * Prepares `up` and `plan`: applies the defaults, reads the inventory (folder, records, drift),
 * applies the on-change policy, cuts the pending seeds at `to`, and reads and checks every seed
 * to write before anything is written (a bad seed changes nothing, and every bad seed is named).
 * For a plan the `fail` policy does not throw: the modified seeds become `changed` steps and the
 * run is marked `refused`.
 */
export async function prepareSeedRun(
  db: Knex,
  options: SeedRunOptions,
  purpose: SeedRunPurpose = "up",
): Promise<SeedRun> {
  const resolved: ResolvedSeedRunOptions = {
    ...resolveSeederOptions(options),
    onChange: options.onChange ?? DEFAULT_ON_CHANGE,
  };
  const inventory = await readSeedInventory(db, resolved);
  const mismatch = collectChecksumMismatch(inventory.entries);
  const warnings =
    purpose === "up"
      ? applyOnChangePolicy(inventory.entries, resolved.onChange)
      : mismatch !== null && resolved.onChange !== "reapply"
        ? [mismatch]
        : [];
  const stateByName = new Map(inventory.entries.map((e) => [e.name, e.state]));
  const { seeds } = inventory.listing;
  const pending = selectSeedsUpTo(
    seeds.filter((s) => stateByName.get(s.name) === "pending"),
    resolved.to,
    seeds,
    resolved.dir,
  );
  const modified = seeds.filter((s) => stateByName.get(s.name) === "modified");
  const reapply = resolved.onChange === "reapply" ? modified : [];
  const changed = purpose === "plan" && resolved.onChange !== "reapply" ? modified : [];
  const loaded = await loadSeeds([...changed, ...reapply, ...pending], resolved.catalog);
  // The full records (with what each seed did) matter only when a seed is re-applied.
  const recordByName = new Map(
    (modified.length > 0 ? await selectSeedRecords(db, resolved.tenant) : []).map((r) => [r.name, r]),
  );
  const groups: [SeedStep["mode"], number][] = [
    ["changed", changed.length],
    ["reapply", reapply.length],
    ["apply", pending.length],
  ];
  const steps: SeedStep[] = [];
  let next = 0;
  for (const [mode, total] of groups)
    for (let index = 0; index < total; index++) {
      const seed = loaded[next++] as LoadedSeed;
      steps.push({
        seed,
        mode,
        index,
        total,
        previousRecord: mode === "apply" ? null : (recordByName.get(seed.name) ?? null),
      });
    }
  const refused = purpose === "plan" && resolved.onChange === "fail" && mismatch !== null;
  return { options: resolved, inventory, warnings, steps, refused };
}
