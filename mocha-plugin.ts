/**
 * Mocha root-hook plugin for test harnesses: `mocha --require workflow-seeder/mocha-plugin`.
 *
 * Every test starts from the workflows of the seeds folder and whatever it writes is rolled back
 * after it (a savepoint of one transaction). Tests use `workflowFixtureDb()` as their knex.
 *
 * The schema is created or upgraded by the plugin itself (safe when several mocha workers start
 * at once); no separate migration step.
 *
 * Environment (read here, at the edge): DATABASE_URL (default: an in-memory embedded database),
 * WORKFLOW_SEEDER_TENANT (default: the development tenant), WORKFLOW_SEEDER_FIXTURES (default:
 * seeds/workflows), WORKFLOW_SEEDER_CATALOG (a catalog file extending or replacing Alga's
 * registrations, as `--catalog`; default: none).
 */
import { resolve } from "node:path";
import { openDatabase } from "./src/db/connection.js";
import { DEFAULT_DEV_TENANT } from "./src/db/tenant.js";
import { CLI_VOCABULARY, type MessageVocabulary } from "./src/errors.js";
import { createFixtureRootHooks } from "./src/seeder/fixture-hooks.js";

/** The plugin's wording of hints: it is configured by environment variables, not CLI options. */
const PLUGIN_VOCABULARY: MessageVocabulary = {
  ...CLI_VOCABULARY,
  tenant: "WORKFLOW_SEEDER_TENANT=<uuid>",
  catalog: "set WORKFLOW_SEEDER_CATALOG=<file> to a catalog file that declares them",
  unreachableDatabase: (source) =>
    source === "env"
      ? "Start the PostgreSQL server there or correct DATABASE_URL; or unset DATABASE_URL to use an in-memory embedded database."
      : "The embedded database could not be started; set DATABASE_URL to a PostgreSQL server instead.",
  busyEmbeddedDatabase: "Wait for it to finish, or set DATABASE_URL to a PostgreSQL server.",
};

const hooks = createFixtureRootHooks({
  open: () =>
    process.env.DATABASE_URL
      ? openDatabase({ kind: "postgres", connection: process.env.DATABASE_URL, source: "env" })
      : openDatabase({ kind: "embedded", dataDir: null, source: "default" }),
  tenant: process.env.WORKFLOW_SEEDER_TENANT ?? DEFAULT_DEV_TENANT,
  dir: resolve(process.cwd(), process.env.WORKFLOW_SEEDER_FIXTURES ?? "seeds/workflows"),
  ...(process.env.WORKFLOW_SEEDER_CATALOG
    ? { catalogFile: resolve(process.cwd(), process.env.WORKFLOW_SEEDER_CATALOG) }
    : {}),
  vocabulary: PLUGIN_VOCABULARY,
});

/** The root hooks mocha picks up from a `--require`d module. */
export const mochaHooks = hooks.mochaHooks;

/** The knex transaction every test must use (holds the fixtures; rolled back after each test). */
export const workflowFixtureDb = hooks.db;

/** The tenant the fixtures live in. */
export const workflowFixtureTenant = hooks.tenant;
