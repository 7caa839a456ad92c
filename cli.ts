#!/usr/bin/env node
/**
 * The workflow-seeder command line. With cli/, the only code that reads argv or the environment,
 * prints, or sets the exit code. Commands load what they need lazily, so a command that needs no
 * database starts fast.
 */
import type { Argv } from "yargs";
import { fmtCommand } from "./cli/commands/fmt.js";
import { importExportCommand } from "./cli/commands/import-export.js";
import { listCommand } from "./cli/commands/list.js";
import { migrateCommand } from "./cli/commands/migrate.js";
import { runtimeCommand } from "./cli/commands/runtime.js";
import { seedCommands } from "./cli/commands/seed.js";
import { serveCommand } from "./cli/commands/serve.js";
import { validateCommand } from "./cli/commands/validate.js";
import {
  type CommandModule,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type GlobalArgs,
  printJson,
  say,
  UsageError,
  writeOut,
} from "./cli/context.js";
import { hideBin, yargs } from "./cli/yargs.js";
import { isWorkflowSeederError, renderIssueMessage } from "./src/errors.js";
import { TOOL_VERSION } from "./src/version.js";

const COMMANDS: readonly CommandModule[] = [
  validateCommand,
  fmtCommand,
  migrateCommand,
  importExportCommand,
  listCommand,
  seedCommands,
  serveCommand,
  runtimeCommand,
];

function globalOptions(argv: Argv): Argv<GlobalArgs> {
  return argv
    .option("database-url", {
      type: "string",
      describe: "PostgreSQL connection string (default: DATABASE_URL, then knexfile.ts, then the embedded database)",
    })
    .option("tenant", {
      type: "string",
      describe:
        "Tenant UUID (default: WORKFLOW_SEEDER_TENANT, then the development tenant 00000000-0000-0000-0000-000000000001)",
    })
    .option("json", { type: "boolean", default: false, describe: "Print one JSON document on stdout" })
    .option("env", { type: "string", describe: "knexfile environment (default: NODE_ENV, then development)" })
    .option("catalog", {
      type: "string",
      describe:
        "Runtime catalog file that extends or replaces the default (Alga's registrations) (default: WORKFLOW_SEEDER_CATALOG)",
    }) as Argv<GlobalArgs>;
}

function printError(error: unknown, json: boolean): number {
  if (error instanceof UsageError) {
    if (json) printJson({ error: { code: "USAGE_ERROR", message: error.message, details: {} } });
    else say(`${error.message}\nRun "workflow-seeder --help" for usage.`);
    return EXIT_USAGE;
  }
  if (isWorkflowSeederError(error)) {
    if (json) printJson(error.toJSON());
    // One line (block) per problem, each with its own code: an import of a folder reports every bad file.
    else say(error.issues.map((i) => `error [${i.code}]: ${renderIssueMessage(i)}`).join("\n"));
    return error.code === "INVALID_ARGUMENT" || error.code === "INVALID_TENANT" ? EXIT_USAGE : EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) printJson({ error: { code: "INTERNAL_ERROR", message: `unexpected error: ${message}`, details: {} } });
  else
    say(
      `unexpected error: ${message}\n${process.env.WORKFLOW_SEEDER_DEBUG ? (error as Error).stack : "(set WORKFLOW_SEEDER_DEBUG=1 for a stack trace, and please report it)"}`,
    );
  return EXIT_FAILURE;
}

async function main(): Promise<void> {
  endQuietlyWhenReaderGoes(process.stdout);
  endQuietlyWhenReaderGoes(process.stderr);
  const argv = hideBin(process.argv);
  const json = argv.includes("--json");
  // `workflow-seeder --version` (no command: `run --version <n>` is the run's own option),
  // answered before parsing so that `--version --json` gives a JSON document like every command.
  if (argv.includes("--version") && argv.every((a) => a.startsWith("-"))) {
    if (json) printJson({ version: TOOL_VERSION });
    else writeOut(`${TOOL_VERSION}\n`);
    exitWhenFlushed(EXIT_OK);
    return;
  }
  let exitCode = EXIT_OK;
  const run = (fn: (args: never) => Promise<number>) => async (args: unknown) => {
    exitCode = await fn(args as never);
  };
  let parser = globalOptions(yargs(argv))
    .scriptName("workflow-seeder")
    .usage(
      "$0 <command> [options]\n\nSeeds, imports, exports and validates Alga PSA workflow bundles.\n`workflow-seeder --version` prints the version.",
    );
  for (const command of COMMANDS) parser = command(parser, run);
  parser = parser
    .demandCommand(1, "Name a command; see --help.")
    .strict()
    .recommendCommands()
    .help()
    .version(false)
    .wrap(null)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message);
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    exitCode = printError(error, json);
    // `status --detailed-exitcode` reserves 2 for "pending": every error is 1 there.
    if (exitCode === EXIT_USAGE && argv.includes("--detailed-exitcode")) exitCode = EXIT_FAILURE;
  }
  exitWhenFlushed(exitCode);
}

/** The exit code of the finished command, once {@link exitWhenFlushed} has it. */
let finishedCode: number | undefined;

/**
 * When the reader of stdout or stderr goes away (`workflow-seeder import big.json --json | head`),
 * the process ends quietly, as Unix tools end on SIGPIPE, instead of dying on an unhandled EPIPE
 * with a stack trace. The exit code is not 0, since output was lost: the command's own failure
 * code when it had failed, else 1. Work already committed stays committed; a seeder transaction
 * not yet committed is rolled back by the server when the connection goes.
 */
function endQuietlyWhenReaderGoes(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(codeWhenOutputLost(finishedCode));
    throw error;
  });
}

/** The exit code when output was lost: the command's own failure code, else 1 (never 0). */
function codeWhenOutputLost(code: number | undefined): number {
  return code !== undefined && code !== EXIT_OK ? code : EXIT_FAILURE;
}

/**
 * Ends the process once stdout and stderr are flushed. A finished command must not wait for a
 * socket or timer that a library failed to release (seen with knex after a failed connection
 * probe): the command's work, and its output, are complete here. A flush that fails (the reader
 * went while earlier output was still queued: the stream then hands its queued callbacks the
 * error before it emits `error`) means output was lost, as in {@link endQuietlyWhenReaderGoes}.
 */
function exitWhenFlushed(code: number): void {
  finishedCode = code;
  process.exitCode = code;
  let pending = 2;
  let lost = false;
  const flushed = (error?: Error | null) => {
    if (error) lost = true;
    pending -= 1;
    if (pending === 0) process.exit(lost ? codeWhenOutputLost(code) : code);
  };
  process.stdout.write("", flushed);
  process.stderr.write("", flushed);
}

await main();
