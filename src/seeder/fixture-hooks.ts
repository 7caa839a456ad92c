import type { Knex } from "knex";
import type { Database } from "../db/connection.js";
import { migrateToLatest } from "../db/migrations.js";
import { type FixtureTransaction, loadWorkflowFixtures, openFixtureTransaction } from "./workflow-fixtures.js";

/** Options of {@link createFixtureRootHooks}. */
export interface FixtureRootHooksOptions {
  /** Opens the database (called once, in `beforeAll`). */
  open: () => Promise<Database>;
  tenant: string;
  /** The seeds folder whose workflows every test starts from. */
  dir: string;
}

/** Mocha root hooks and accessors for the test's connection. */
export interface FixtureRootHooks {
  mochaHooks: {
    beforeAll(): Promise<void>;
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
  const current = () => {
    if (!scope) throw new Error("workflow fixtures are not open: load the workflow-seeder mocha plugin (--require)");
    return scope;
  };
  return {
    mochaHooks: {
      async beforeAll() {
        database = await options.open();
        await migrateToLatest(database.knex, { advisoryLock: database.target.kind === "postgres" });
        const fixtures = await loadWorkflowFixtures({ dir: options.dir });
        scope = await openFixtureTransaction(database.knex, { tenant: options.tenant, fixtures });
      },
      async beforeEach() {
        await current().beginTest();
      },
      async afterEach() {
        await current().endTest();
      },
      async afterAll() {
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
