import type { Knex } from "knex";
import type { UmzugStorage } from "umzug";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { acquireSeedLock, insertSeedRecord, isSeedRecorded, replaceSeedRecord } from "../db/seed-store.js";
import { toIssueBody as toWarning } from "../errors.js";
import { prepareSeedRun, type ResolvedSeedRunOptions, type SeedStep } from "./seed-run.js";
import type { SeedRunOptions } from "./seeder-options.js";
import type { writeSeed as WriteSeed, WrittenWorkflow } from "./write-seed.js";

/** What a seed did, as reported by `up`. */
export interface AppliedSeed {
  name: string;
  workflows: WrittenWorkflow[];
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

/**
 * umzug storage over the seed table. A step writes its record in its own transaction, so
 * `logMigration` has nothing left to do. `executed` is every seed whose record stands: a seed
 * re-applied under `--on-change reapply` is run again.
 */
function createSeedStorage(executed: readonly string[]): UmzugStorage {
  return {
    async executed() {
      return [...executed];
    },
    async logMigration() {
      // The step's transaction wrote the record and committed: nothing is left between the two.
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
 * Applies one seed in one transaction that holds the tenant's seed lock from the first statement
 * to the commit: the workflows and the record are written together or not at all. A pending seed
 * that another process recorded while this one waited is left alone (`null`).
 */
async function applyStep(
  db: Knex,
  step: SeedStep,
  options: ResolvedSeedRunOptions,
  writeSeed: typeof WriteSeed,
): Promise<AppliedSeed | null> {
  const { seed, mode } = step;
  return db.transaction(async (trx) => {
    await acquireSeedLock(trx, options.tenant, options.lockTimeoutMs);
    if (mode === "apply" && (await isSeedRecorded(trx, options.tenant, seed.name))) return null;
    const { record, written, imported } = await writeSeed(trx, seed, {
      ...options,
      previousRecord: step.previousRecord,
    });
    await options.beforeRecord?.(seed.name);
    if (mode === "reapply") await replaceSeedRecord(trx, options.tenant, record);
    else await insertSeedRecord(trx, options.tenant, record);
    return { name: seed.name, workflows: written, warnings: [...seed.warnings.map(toWarning), ...imported.warnings] };
  });
}

/**
 * Applies pending seeds for a tenant (`up`), each in one transaction together with its record,
 * under the tenant's seed lock: concurrent runners apply each seed exactly once. Every seed to
 * write is checked before the first one is written. Applied seeds whose file changed are refused
 * (`fail`), re-imported first (`reapply`) or reported (`warn`).
 */
export async function applySeeds(db: Knex, options: SeedRunOptions): Promise<ApplySeedsResult> {
  const run = await prepareSeedRun(db, options);
  const { tenant, onProgress } = run.options;
  const result: ApplySeedsResult = {
    tenant,
    applied: [],
    reapplied: [],
    appliedConcurrently: [],
    warnings: run.warnings.map(toWarning),
  };
  if (run.steps.length === 0) return result;

  const keys = run.steps.flatMap((s) => s.seed.bundle.workflows.map((w) => w.key));
  // Loaded only when there is something to write: a no-op `up` needs none of it.
  const [{ Umzug }, { writeSeed }] = await Promise.all([import("umzug"), import("./write-seed.js")]);
  const reapplied = new Set(run.steps.filter((s) => s.mode === "reapply").map((s) => s.seed.name));
  const umzug = new Umzug({
    logger: undefined,
    context: {},
    storage: createSeedStorage(run.inventory.records.map((r) => r.name).filter((name) => !reapplied.has(name))),
    migrations: run.steps.map((step) => ({
      name: step.seed.name,
      async up() {
        const { seed, index, total } = step;
        const progress = (phase: "applying" | "applied" | "skipped" | "reapplying") =>
          onProgress?.({ tenant, seed: seed.name, index, total, phase });
        progress(step.mode === "reapply" ? "reapplying" : "applying");
        let applied: AppliedSeed | null;
        try {
          applied = await applyStep(db, step, run.options, writeSeed);
        } catch (error) {
          // A re-applied seed's error names its own keys; a pending seed's, any seed's of the run.
          rethrowAsDatabaseError(error, step.mode === "reapply" ? seed.bundle.workflows.map((w) => w.key) : keys);
        }
        if (step.mode === "reapply") result.reapplied.push(applied as AppliedSeed);
        else if (applied) {
          result.applied.push(applied);
          progress("applied");
        } else {
          result.appliedConcurrently.push(seed.name);
          progress("skipped");
        }
      },
    })),
  });
  try {
    await umzug.up();
  } catch (error) {
    throw unwrapUmzugError(error);
  }
  return result;
}
