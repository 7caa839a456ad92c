/**
 * A child process of scenario 3: replays what a no-op `seed:workflows` does, in the CLI's order,
 * and prints the time of each stage as JSON: which modules a no-op `up` loads and what each costs.
 * Usage: node dist/bench/startup-probe.js <database-url> <seeds-dir> <tenant>
 */
import { createStageClock } from "./stage-clock.js";

const [databaseUrl, seedsDir, tenant] = process.argv.slice(2) as [string, string, string];
const { mark, stages } = createStageClock();
mark("node start-up until the first line of the script");
await import("../cli/yargs.js");
mark("import yargs, its CommonJS build (cli/yargs.ts)");
await import("../cli/context.js");
await Promise.all([
  import("../cli/commands/validate.js"),
  import("../cli/commands/fmt.js"),
  import("../cli/commands/migrate.js"),
  import("../cli/commands/import-export.js"),
  import("../cli/commands/seed.js"),
  import("../cli/commands/serve.js"),
]);
mark("import cli/ command modules (static imports of cli.ts)");
const { applySeeds } = await import("../src/seeder/seed-runner.js");
mark("import src/seeder/seed-runner.js and what it imports");
const { openDatabase } = await import("../src/db/connection.js");
mark("import src/db/connection.js");
await import("knex");
mark("import knex");
await import("pg");
mark("import pg");
const db = await openDatabase({ kind: "postgres", connection: databaseUrl, source: "flag" });
mark("connect + select 1");
const { migrateToLatest } = await import("../src/db/migrations.js");
await migrateToLatest(db.knex, { advisoryLock: true });
mark("migrateToLatest (nothing to migrate)");
await import("../src/db/tenant.js");
await import("../src/catalog/runtime-catalog.js");
mark("import the tenant and catalog modules (loadCatalog)");
const { selectSeedRecords } = await import("../src/db/seed-store.js");
await selectSeedRecords(db.knex, tenant, { withWorkflows: false });
mark("select the seed records, without their per-workflow history (one query)");
const { readSeedStatus } = await import("../src/seeder/seed-status.js");
const status = await readSeedStatus(db.knex, { dir: seedsDir, tenant });
mark(
  `drift check as up does it: ${status.seeds.length} seeds (read concurrently, bytes hashed, parsed only if changed)`,
);
const result = await applySeeds(db.knex, { dir: seedsDir, tenant });
if (result.applied.length > 0) throw new Error("the probe expects every seed to be applied");
mark("applySeeds, the whole no-op again (warm)");
await db.close();
mark("close the pool");
// Not a stage of `up`: ~0 ms when the no-op had already loaded zod, its import cost when not.
await import("zod");
mark("afterwards: import zod (~0 when the no-op loaded it)");
process.stdout.write(`${JSON.stringify(stages)}\n`);
