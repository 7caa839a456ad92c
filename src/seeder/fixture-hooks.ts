import type { Knex } from "knex";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import type { Database } from "../db/connection.js";
import { readCatalogFile } from "../import/read-catalog-file.js";
import { type FixtureTransaction, loadWorkflowFixtures, openFixtureTransaction } from "./workflow-fixtures.js";

/** Options of {@link createFixtureRootHooks}. */
export interface FixtureRootHooksOptions {
  /** Opens the database (called once, in `beforeAll`). */
  open: () => Promise<Database>;
  tenant: string;
  /** The seeds folder whose workflows every test starts from. */
  dir: string;
  /** The runtime catalog the fixtures are checked against. Default: Alga's registrations. */
  catalog?: RuntimeCatalog;
  /**
   * A catalog file applied to `catalog` (or the default) when the hooks start, as `--catalog`
   * does: the mocha plugin passes `WORKFLOW_SEEDER_CATALOG` here.
   */
  catalogFile?: string;
  /**
   * How long `beforeAll` may take (opening the database, migrating, writing the fixtures).
   * Default {@link DEFAULT_FIXTURE_SETUP_TIMEOUT_MS}: mocha's own 2 s default is shorter than
   * starting the embedded database.
   */
  setupTimeoutMs?: number;
}

/** The default of {@link FixtureRootHooksOptions.setupTimeoutMs}: two minutes. */
export const DEFAULT_FIXTURE_SETUP_TIMEOUT_MS = 120_000;

/** The part of mocha's hook context the hooks use. */
export interface HookContext {
  timeout(): number;
  timeout(ms: number): unknown;
}

/** Mocha root hooks and accessors for the test's connection. */
export interface FixtureRootHooks {
  mochaHooks: {
    beforeAll(this: HookContext | undefined): Promise<void>;
    beforeEach(): Promise<void>;
    afterEach(): Promise<void>;
    afterAll(): Promise<void>;
  };
  /** The connection tests must use: a transaction holding the fixtures. */
  db(): Knex.Transaction;
  tenant(): string;
}

/**
 * Root hooks that give every test the seeded workflows and roll back whatever it wrote: one
 * transaction for the run (fixtures written once), a savepoint per test.
 */
export function createFixtureRootHooks(options: FixtureRootHooksOptions): FixtureRootHooks {
  let database: Database | undefined;
  let scope: FixtureTransaction | undefined;
  let opening: Promise<void> | undefined;
  const current = () => {
    if (!scope) throw new Error("workflow fixtures are not open: load the workflow-seeder mocha plugin (--require)");
    return scope;
  };
  return {
    mochaHooks: {
      async beforeAll() {
        // Only ever lengthen the timeout: a larger --timeout, or 0 (none), stays as it is.
        const configured = this?.timeout();
        if (this && configured !== 0)
          this.timeout(Math.max(configured ?? 0, options.setupTimeoutMs ?? DEFAULT_FIXTURE_SETUP_TIMEOUT_MS));
        opening = (async () => {
          const base = options.catalog ?? DEFAULT_CATALOG;
          const catalog = options.catalogFile === undefined ? base : await readCatalogFile(options.catalogFile, base);
          const fixtures = await loadWorkflowFixtures({ dir: options.dir, catalog });
          database = await options.open();
          // Creates or upgrades the schema first (several workers may start at once).
          scope = await openFixtureTransaction(database.knex, { tenant: options.tenant, fixtures, catalog });
        })();
        await opening;
      },
      async beforeEach() {
        await current().beginTest();
      },
      async afterEach() {
        await current().endTest();
      },
      async afterAll() {
        // If beforeAll failed or timed out, let it finish first: otherwise the database it opens
        // afterwards is never closed and keeps the process alive.
        await opening?.catch(() => undefined);
        await scope?.close();
        await database?.close();
        scope = undefined;
        database = undefined;
      },
    },
    db: () => current().db,
    tenant: () => current().tenant,
  };
}
