import type { Knex } from "knex";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import type { Database } from "../db/connection.js";
import { type MessageVocabulary, renderIssueMessage, WorkflowSeederError } from "../errors.js";
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
  /**
   * How a setup error tells the user what to set (the mocha plugin names its environment
   * variables). Default: the CLI's wording.
   */
  vocabulary?: MessageVocabulary;
}

/**
 * A setup error as mocha should show it: `error [CODE]: <message>` for each issue, in the given
 * wording, and no stack trace (mocha prints the stack after the message; here it is the message
 * itself). The code and details are those of the original error; it has no `cause`, which mocha
 * would print with its stack.
 */
export function toSetupError(error: WorkflowSeederError, vocabulary?: MessageVocabulary): WorkflowSeederError {
  const shown = new WorkflowSeederError(error.issues);
  const text = error.issues.map((i) => `error [${i.code}]: ${renderIssueMessage(i, vocabulary)}`).join("\n");
  Object.defineProperty(shown, "message", { value: text, configurable: true, writable: true });
  Object.defineProperty(shown, "stack", { value: text, configurable: true, writable: true });
  return shown;
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
        try {
          await opening;
        } catch (error) {
          // An expected failure (no database, a bad catalog or seeds folder) is a message to act on, not a crash.
          throw error instanceof WorkflowSeederError ? toSetupError(error, options.vocabulary) : error;
        }
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
