import type { Knex } from "knex";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { migrateToLatest } from "../db/migrations.js";
import { acquireSeedLock, deleteTenantSeedState, insertSeedRecords, type SeedRecord } from "../db/seed-store.js";
import { fail } from "../errors.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { computeNamespacedUuid } from "../format/portable-id.js";
import { checkSources } from "../import/check-sources.js";
import { applyWorkflows } from "../import/import-bundle.js";
import { TOOL_VERSION } from "../version.js";
import { listSeedFiles, loadSeed } from "./seed-files.js";
import { resolveSeederOptions } from "./seeder-options.js";

/** Checked fixtures, ready to be written again and again (load once, reset many times). */
export interface WorkflowFixtures {
  /** The final workflows, one per key (a later seed's version of a key wins, as with `up`). */
  workflows: BundleWorkflow[];
  /** The seeds they came from (recorded as applied on reset), empty for plain bundles. */
  seeds: { name: string; checksum: string; checksumAlgorithm: string; fileHash: string; keys: string[] }[];
}

/** Where fixtures come from: a seeds folder, or bundles (parsed JSON values). */
export interface FixtureSource {
  dir?: string;
  bundles?: readonly unknown[];
  catalog?: RuntimeCatalog;
}

/**
 * Reads and checks fixtures once: every seed of `dir` (in name order) or the given bundles. Pass
 * the result to {@link resetWorkflowFixtures} to skip parsing and validation on every reset.
 */
export async function loadWorkflowFixtures(source: FixtureSource): Promise<WorkflowFixtures> {
  const catalog = source.catalog ?? DEFAULT_CATALOG;
  const byKey = new Map<string, BundleWorkflow>();
  const seeds: WorkflowFixtures["seeds"] = [];
  if (source.dir !== undefined) {
    const listing = await listSeedFiles(source.dir, { mustExist: true });
    for (const file of listing.seeds) {
      const seed = await loadSeed(file, catalog);
      for (const w of seed.bundle.workflows) byKey.set(w.key, w);
      seeds.push({
        name: seed.name,
        checksum: seed.checksum,
        checksumAlgorithm: seed.checksumAlgorithm,
        fileHash: seed.fileHash,
        keys: seed.bundle.workflows.map((w) => w.key),
      });
    }
  }
  if (source.bundles !== undefined) {
    const { workflows } = checkSources(
      source.bundles.map((bundle) => ({ bundle })),
      catalog,
    );
    for (const w of workflows) byKey.set(w.key, w);
  }
  return { workflows: [...byKey.values()], seeds };
}

/**
 * The id a fixture workflow gets in a tenant: stable across resets (UUID v5 of tenant and key), so
 * a test may keep an id between resets.
 */
export function computeFixtureWorkflowId(tenant: string, key: string): string {
  return computeNamespacedUuid(`fixture:${tenant}:${key}`);
}

/**
 * The fixture ids of the tenant each prepared fixture set was last reset in: a harness resets the
 * same fixtures in the same tenant before every test, and hashing 330 keys to UUIDs cost ~1.6 ms
 * of each reset (measured before the names were hashed as bytes, which cut it by about a third).
 */
const lastFixtureIds = new WeakMap<WorkflowFixtures, { tenant: string; ids: Map<string, string> }>();

/** {@link computeFixtureWorkflowId} for the fixtures' tenant, remembered for the next reset of the same fixtures. */
function fixtureIdGenerator(fixtures: WorkflowFixtures, tenant: string): (key: string) => string {
  let last = lastFixtureIds.get(fixtures);
  if (last?.tenant !== tenant) {
    last = { tenant, ids: new Map() };
    lastFixtureIds.set(fixtures, last);
  }
  const ids = last.ids;
  return (key) => {
    let id = ids.get(key);
    if (id === undefined) {
      id = computeFixtureWorkflowId(tenant, key);
      ids.set(key, id);
    }
    return id;
  };
}

/**
 * Refuses a knex created without connection settings, as `knex({ client: "pg", connection:
 * process.env.DATABASE_URL })` is when the variable is unset or empty: pg would then try its own
 * defaults and fail with a driver error that does not say what is wrong ("no PostgreSQL user name
 * specified", or knex's "Unable to acquire a connection").
 */
function assertConnectionConfigured(db: Knex): void {
  const config = (db as { client?: { config?: { connection?: unknown } } }).client?.config;
  if (config === undefined) return;
  const connection = config.connection;
  // knex turns an empty connection string into {filename: ""} (its sqlite form).
  const given =
    typeof connection === "object" && connection !== null && Object.keys(connection).join() === "filename"
      ? (connection as { filename: unknown }).filename
      : connection;
  if (!(given === undefined || given === null || (typeof given === "string" && given.trim() === ""))) return;
  fail("INVALID_ARGUMENT", {
    option: "the knex connection",
    received: typeof given === "string" ? given : String(given),
    expected:
      "a PostgreSQL connection string or settings, e.g. the value of DATABASE_URL (postgres://user@host:5432/database) as the knex connection; set it, or pass the settings",
  });
}

/** Connections whose schema a fixture call has already brought up to date (once per knex, not per reset). */
const migrated = new WeakSet<Knex>();

/**
 * Brings the schema up to date before fixtures are written, so a harness needs no separate
 * `migrateToLatest` step: once per knex instance (a reset per test costs no extra round trip).
 * Safe when several processes (mocha workers) start at once; see {@link migrateToLatest}.
 */
async function ensureFixtureSchema(db: Knex): Promise<void> {
  if (migrated.has(db)) return;
  assertConnectionConfigured(db);
  try {
    await migrateToLatest(db);
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
  migrated.add(db);
}

/** Options of {@link resetWorkflowFixtures}. */
export interface ResetFixturesOptions extends FixtureSource {
  tenant: string;
  /** Prepared fixtures (from {@link loadWorkflowFixtures}); used instead of `dir` / `bundles`. */
  fixtures?: WorkflowFixtures;
  now?: () => Date;
}

/** The result of {@link resetWorkflowFixtures}. */
export interface ResetFixturesResult {
  tenant: string;
  workflows: number;
  seeds: number;
}

/**
 * Brings a tenant's workflows back to exactly the seeded state, in one transaction: every workflow
 * of the tenant (with its versions and runs) and every seed record goes, then the fixtures are
 * written again with the same ids, and the seeds are recorded as applied. Whatever a test created,
 * changed or deleted is undone. The first call on a knex creates or upgrades the schema (no
 * `migrateToLatest` needed); `catalog` is the runtime catalog the fixtures are checked against.
 *
 * @example
 * const fixtures = await loadWorkflowFixtures({ dir: "seeds/workflows" });
 * beforeEach(() => resetWorkflowFixtures(knex, { tenant, fixtures }));
 */
export async function resetWorkflowFixtures(db: Knex, given: ResetFixturesOptions): Promise<ResetFixturesResult> {
  const options = resolveSeederOptions(given);
  const fixtures = options.fixtures ?? (await loadWorkflowFixtures(options));
  const tenant = options.tenant;
  await ensureFixtureSchema(db);
  try {
    return await db.transaction(async (trx) => {
      await acquireSeedLock(trx, tenant, options.lockTimeoutMs);
      await deleteTenantSeedState(trx, tenant);
      const result = await applyWorkflows(trx, fixtures.workflows, {
        tenant,
        onConflict: "fail",
        catalog: options.catalog,
        generateId: fixtureIdGenerator(fixtures, tenant),
      });
      const idByKey = new Map(result.createdWorkflows.map((w) => [w.key, w.workflowId]));
      const appliedAt = options.now().toISOString();
      const claimed = new Set<string>();
      const records: SeedRecord[] = [];
      // Newest seed first: a key belongs (as "created") to the seed that wrote it last.
      for (const seed of [...fixtures.seeds].reverse()) {
        records.push({
          name: seed.name,
          checksum: seed.checksum,
          checksumAlgorithm: seed.checksumAlgorithm,
          fileHash: seed.fileHash,
          appliedAt,
          toolVersion: TOOL_VERSION,
          baseline: false,
          workflows: seed.keys
            .filter((key) => !claimed.has(key))
            .map((key) => ({
              key,
              workflowId: idByKey.get(key) as string,
              action: "created" as const,
              contentHash: null,
            })),
        });
        for (const key of seed.keys) claimed.add(key);
      }
      await insertSeedRecords(trx, tenant, records);
      return { tenant, workflows: fixtures.workflows.length, seeds: fixtures.seeds.length };
    });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
}

/** A transaction holding the fixtures, with a savepoint per test (the fast mode). */
export interface FixtureTransaction {
  /** The connection every test must use (a knex transaction). */
  readonly db: Knex.Transaction;
  readonly tenant: string;
  /** Starts a test: takes a savepoint. */
  beginTest(): Promise<void>;
  /** Ends a test: rolls back to the savepoint (whatever the test wrote is gone). */
  endTest(): Promise<void>;
  /** Rolls back the whole transaction (fixtures included) and releases its connection. */
  close(): Promise<void>;
}

const SAVEPOINT = "workflow_seeder_fixture";

/**
 * Opens a transaction, resets the fixtures inside it, and gives each test a savepoint to roll back
 * to: sub-millisecond isolation between tests, nothing ever committed. The schema is created or
 * upgraded first (committed, outside the transaction).
 *
 * @example
 * const scope = await openFixtureTransaction(knex, { tenant, dir: "seeds/workflows" });
 * beforeEach(() => scope.beginTest()); afterEach(() => scope.endTest()); after(() => scope.close());
 */
export async function openFixtureTransaction(db: Knex, options: ResetFixturesOptions): Promise<FixtureTransaction> {
  // Before the transaction: migrated inside it, the schema would stay invisible to every other
  // process (and the migration lock held) until the transaction ends, which is never committed.
  await ensureFixtureSchema(db);
  const trx = await db.transaction();
  try {
    await resetWorkflowFixtures(trx, options);
  } catch (error) {
    await trx.rollback().catch(() => undefined);
    throw error;
  }
  let open = false;
  return {
    db: trx,
    tenant: options.tenant,
    async beginTest() {
      if (open) await trx.raw(`rollback to savepoint ${SAVEPOINT}`);
      await trx.raw(`savepoint ${SAVEPOINT}`);
      open = true;
    },
    async endTest() {
      if (!open) return;
      await trx.raw(`rollback to savepoint ${SAVEPOINT}`);
      await trx.raw(`release savepoint ${SAVEPOINT}`);
      open = false;
    },
    async close() {
      if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
    },
  };
}
