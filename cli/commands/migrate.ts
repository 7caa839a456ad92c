import { type CommandModule, EXIT_OK, type GlobalArgs, printJson, printResult, withDatabase } from "../context.js";

async function runMigrate(args: GlobalArgs): Promise<number> {
  await withDatabase(args, async (db) => {
    const { describeDatabaseTarget } = await import("../../src/db/connection.js");
    if (args.json) printJson({ database: describeDatabaseTarget(db.target), upToDate: true });
    else printResult(`schema is up to date (${describeDatabaseTarget(db.target)})`);
  });
  return EXIT_OK;
}

/** `workflow-seeder migrate` */
export const migrateCommand: CommandModule = (argv, run) =>
  argv.command(
    "migrate",
    "Bring the database schema up to date (every command does this first)",
    (y) => y,
    run(runMigrate),
  );
