/**
 * A child process of scenario 8: replays what `workflow-seeder import <file>` does, in the CLI's
 * order, and prints the time of each stage as JSON: start-up, module loading, reading and parsing
 * the file, opening and migrating the database, the import itself.
 * Usage: node dist/bench/import-probe.js <bundle-file> <database-url> <tenant>
 */
import { createStageClock } from "./stage-clock.js";

const [file, databaseUrl, tenant] = process.argv.slice(2) as [string, string, string];
const { mark, stages } = createStageClock();
mark("node start-up until the first line of the script");
await import("../cli/yargs.js");
mark("import yargs, its CommonJS build (cli/yargs.ts)");
await import("../cli/context.js");
await import("../cli/commands/import-export.js");
mark("import cli/ modules");
const { readTextFile } = await import("../src/import/read-files.js");
const { parseJsonText } = await import("../src/format/parse-json.js");
mark("import the file readers and the JSON parser");
const text = await readTextFile(file);
mark("read and decode the file (UTF-8 checked)");
const json = parseJsonText(text, { file });
if (!json.ok) throw new Error("the probe expects valid JSON");
mark("JSON.parse");
const { importBundles } = await import("../src/import/import-bundle.js");
mark("import src/import/import-bundle.js and what it imports");
const { openDatabase } = await import("../src/db/connection.js");
const db = await openDatabase({ kind: "postgres", connection: databaseUrl, source: "flag" });
mark("import knex + pg, connect, select 1");
const { migrateToLatest } = await import("../src/db/migrations.js");
await migrateToLatest(db.knex, { advisoryLock: true });
mark("migrateToLatest (nothing to migrate)");
await importBundles(db.knex, [{ bundle: json.value, file }], { tenant });
mark("importBundles");
await db.close();
mark("close the pool");
process.stdout.write(`${JSON.stringify(stages)}\n`);
