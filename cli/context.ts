/**
 * What every command of the CLI layer shares: output, options read from the environment, and
 * opening the project's database. The CLI layer (cli.ts and cli/) is the only code that reads
 * argv or the environment, prints, or sets the exit code.
 */
import { resolve } from "node:path";
import type { Argv } from "yargs";
import type { RuntimeCatalog } from "../src/catalog/runtime-catalog.js";
import type { Database } from "../src/db/connection.js";
import { DEFAULT_DEV_TENANT } from "../src/db/tenant.js";
import {
  type ErrorBody,
  type Issue,
  type IssueCode,
  type IssueDetailsByCode,
  WorkflowSeederError,
} from "../src/errors.js";
import type { ExportOptionSource, ParsedExportOptions } from "../src/export/export-options.js";
import type { ImportOptionSource, ParsedImportOptions } from "../src/import/import-options.js";
import { hideBin } from "./yargs.js";

/** Exit code of a command that did what it was asked. */
export const EXIT_OK = 0;
/** Exit code of a command that failed (an expected error, or a failure it reports). */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error: an unknown option, a bad value, a missing argument. */
export const EXIT_USAGE = 2;

/**
 * The seeds folder when no `--dir` is given (the seeder's own default, named here so that
 * starting the CLI loads no seeder code).
 */
export const DEFAULT_SEEDS_DIR = "seeds/workflows";

/** Options every command accepts. */
export interface GlobalArgs {
  databaseUrl?: string;
  tenant?: string;
  json: boolean;
  env?: string;
  catalog?: string;
}

/** A usage error detected after parsing (exit code 2). */
export class UsageError extends Error {}

/** A command module: registers itself on the parser. */
export type CommandModule = (argv: Argv<GlobalArgs>, run: RunWrapper) => Argv<GlobalArgs>;

/** Wraps a handler so its exit code reaches `main`. */
export type RunWrapper = (fn: (args: never) => Promise<number>) => (args: unknown) => Promise<void>;

/*
 * Where output goes (the rule README.md's "Output" states for users):
 * - stdout carries what the command was asked for, the thing a user pipes, greps or saves: data
 *   written as is (a bundle, `--json`'s one document, `fmt --stdout`) through writeOut, and the
 *   human result (a table, a plan, per-item verdicts and the summary) through printResult. It is
 *   the same information `--json` carries.
 * - stderr carries what is said to the person at the terminal while the command works, through
 *   say: progress, notes, warnings (sayWarning), hints on what to do next, and the error that ends
 *   the command (cli.ts).
 */

/** Writes data as it is (a bundle, a JSON document) on stdout. */
export function writeOut(text: string): void {
  process.stdout.write(text);
}

/**
 * Writes the command's human result on stdout, one line or block, ending in a newline: what a
 * user pipes or saves (`workflow-seeder list | grep key`, `workflow-seeder status > status.txt`).
 */
export function printResult(text: string): void {
  writeOut(text.endsWith("\n") ? text : `${text}\n`);
}

/** Writes a message to the person at the terminal on stderr: progress, a note, a hint, an error. */
export function say(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/**
 * Writes a warning on stderr as `warning [CODE] subject: message` (the subject, e.g. the seed it
 * concerns, when the message alone would not say).
 */
export function sayWarning(warning: { code: string; message: string }, subject?: string): void {
  say(`warning [${warning.code}] ${subject === undefined ? "" : `${subject}: `}${warning.message}`);
}

/** Writes a text file; `FILE_WRITE_ERROR` when it cannot. */
export async function writeTextFile(file: string, text: string): Promise<void> {
  const { writeFile } = await import("node:fs/promises");
  try {
    await writeFile(file, text);
  } catch (error) {
    throw errorOf("FILE_WRITE_ERROR", { file, reason: (error as Error).message });
  }
}

/** Prints the one JSON document of `--json`. */
export function printJson(value: unknown): void {
  writeOut(`${JSON.stringify(value, null, 2)}\n`);
}

/** "1 workflow", "2 workflows". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Builds a {@link WorkflowSeederError} for a bad option value (exit code 2). */
export function invalidArgument(option: string, received: string, expected: string): WorkflowSeederError {
  return new WorkflowSeederError({ code: "INVALID_ARGUMENT", details: { option, received, expected } });
}

/**
 * Refuses an option value that is not a UUID (a workflow id, a run id) as `INVALID_ARGUMENT`
 * (exit 2) before any database is opened: an empty or malformed id can name nothing, and a
 * "not found" would send the user looking in the wrong tenant. The HTTP API refuses them the same way.
 */
export async function assertUuidOption(option: string, value: string, expected: string): Promise<void> {
  const { isUuidString } = await import("../src/format/portable-id.js");
  if (!isUuidString(value)) throw invalidArgument(option, value, expected);
}

/** Builds a {@link WorkflowSeederError} from a code and its details. */
export function errorOf<C extends IssueCode>(code: C, details: IssueDetailsByCode[C]): WorkflowSeederError {
  return new WorkflowSeederError({ code, details } as Issue);
}

/** The wire form of an issue. */
export function wire(issue: Issue): ErrorBody {
  return new WorkflowSeederError(issue).toJSON().error;
}

/** The tenant when no `--tenant` is given: `WORKFLOW_SEEDER_TENANT`, else the development tenant. Not checked. */
export function defaultTenant(): string {
  return process.env.WORKFLOW_SEEDER_TENANT ?? DEFAULT_DEV_TENANT;
}

/** The tenant: `--tenant`, else {@link defaultTenant}; `INVALID_TENANT` when it is not a UUID. */
export async function tenantOf(args: GlobalArgs): Promise<string> {
  const { assertTenant } = await import("../src/db/tenant.js");
  const tenant = args.tenant ?? defaultTenant();
  assertTenant(tenant);
  return tenant;
}

/**
 * The tenant of a command that works on a database: `--tenant` or `WORKFLOW_SEEDER_TENANT` as
 * given; else the development tenant, unless the database has Alga's `tenants` table without it
 * (then its only tenant, or `INVALID_TENANT` listing them: see resolveDefaultTenant).
 */
export async function resolveTenant(args: GlobalArgs, knex: import("knex").Knex): Promise<string> {
  if (args.tenant !== undefined || process.env.WORKFLOW_SEEDER_TENANT !== undefined) return tenantOf(args);
  const { resolveDefaultTenant } = await import("../src/db/tenant.js");
  return resolveDefaultTenant(knex);
}

/** The CLI's names of the import and export options, for errors. */
const OPTION_FLAGS: ImportOptionSource & ExportOptionSource = {
  names: {
    onConflict: "--on-conflict",
    force: "--force",
    actor: "--actor",
    keys: "--key",
    workflowIds: "--workflow-id",
    all: "--all",
    withCalledWorkflows: "--with-called-workflows",
    exportedAt: "--exported-at",
  },
};

/**
 * The import options of a command (`--on-conflict`, `--force`, `--actor`), checked and defaulted.
 * `--force` wins over `--on-conflict` (yargs always fills in the latter's default).
 */
export async function importOptionsOf(args: {
  onConflict?: string;
  force?: boolean;
  actor?: string;
}): Promise<ParsedImportOptions> {
  const { parseImportOptions } = await import("../src/import/import-options.js");
  const parsed = parseImportOptions(
    { onConflict: args.force ? "replace" : args.onConflict, actor: args.actor },
    OPTION_FLAGS,
  );
  if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
  return parsed.value;
}

/** The export options of a command (`--key`, `--workflow-id`, `--all`, ...), checked and defaulted. */
export async function exportOptionsOf(args: {
  key?: string[];
  workflowId?: string[];
  all?: boolean;
  withCalledWorkflows?: boolean;
  exportedAt?: string;
}): Promise<ParsedExportOptions> {
  const { parseExportOptions } = await import("../src/export/export-options.js");
  const parsed = parseExportOptions(
    {
      keys: args.key,
      workflowIds: args.workflowId,
      all: args.all,
      withCalledWorkflows: args.withCalledWorkflows,
      exportedAt: args.exportedAt,
    },
    OPTION_FLAGS,
  );
  if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
  return parsed.value;
}

/** Opens the database chosen by flag > env > knexfile > embedded default, and migrates it. */
export async function openProjectDatabase(args: GlobalArgs): Promise<Database> {
  const cwd = process.cwd();
  const { openDatabase, resolveDatabaseTarget, DEFAULT_EMBEDDED_DATA_DIR } = await import("../src/db/connection.js");
  const envUrl = process.env.DATABASE_URL;
  let knexfileEnvironment: import("../src/db/connection.js").KnexfileEnvironment | undefined;
  if (!args.databaseUrl && !envUrl) {
    const { findKnexfile, loadKnexfileEnvironment } = await import("../src/db/knexfile.js");
    const knexfile = await findKnexfile(cwd);
    if (knexfile)
      knexfileEnvironment = await loadKnexfileEnvironment(
        knexfile,
        cwd,
        args.env ?? process.env.NODE_ENV ?? "development",
      );
  }
  const target = resolveDatabaseTarget({
    flagUrl: args.databaseUrl,
    envUrl,
    knexfileEnvironment,
    defaultDataDir: resolve(cwd, DEFAULT_EMBEDDED_DATA_DIR),
  });
  if (target.kind === "embedded" && target.dataDir !== null) target.dataDir = resolve(cwd, target.dataDir);
  const db = await openDatabase(target, { onNote: say });
  try {
    const { migrateToLatest } = await import("../src/db/migrations.js");
    await migrateToLatest(db.knex, { advisoryLock: target.kind === "postgres" });
  } catch (error) {
    await db.close();
    const { rethrowAsDatabaseError } = await import("../src/db/database-errors.js");
    rethrowAsDatabaseError(error);
  }
  return db;
}

/** Runs `fn` with the project's database open, and closes it afterwards. */
export async function withDatabase<T>(args: GlobalArgs, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openProjectDatabase(args);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * A middleware that puts back a lone "-" (stdin) that yargs drops from the positional list `name`:
 * without it, `validate -` checked nothing and said so with exit 0.
 */
export function keepStdinDash(name: string): (argv: Record<string, unknown>) => void {
  return (argv) => {
    const paths = (argv[name] ?? []) as string[];
    if (!paths.includes("-") && hideBin(process.argv).includes("-")) argv[name] = ["-", ...paths];
  };
}

/**
 * The bundle files of a command line: files as given, folders expanded to every `.json` file in
 * them (recursively, sorted), `-` (stdin) kept. A folder without one is `INVALID_ARGUMENT`
 * (`option`): checking nothing must not look like success.
 */
export async function listBundleFiles(paths: readonly string[], option: string): Promise<string[]> {
  const { listJsonFiles } = await import("../src/import/read-files.js");
  const files: string[] = [];
  for (const path of paths) {
    if (path === "-") {
      files.push(path);
      continue;
    }
    const found = await listJsonFiles([path]);
    if (found.length === 0) throw invalidArgument(option, path, "a bundle file, or a folder holding .json bundles");
    files.push(...found);
  }
  return files;
}

/** Reads a JSON file (or stdin for "-"); `INVALID_JSON` / `FILE_NOT_FOUND` as errors. */
export async function readJsonFile(file: string): Promise<unknown> {
  const { readTextFile } = await import("../src/import/read-files.js");
  const { parseJsonText } = await import("../src/format/parse-json.js");
  const text = file === "-" ? await readStdin() : await readTextFile(file);
  const json = parseJsonText(text, { file });
  if (!json.ok) throw new WorkflowSeederError(json.issues);
  return json.value;
}

/** Reads all of stdin as UTF-8 (malformed bytes are INVALID_JSON, not replaced). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { decodeUtf8 } = await import("../src/format/parse-json.js");
  const decoded = decodeUtf8(Buffer.concat(chunks), { file: "-" });
  if (!decoded.ok) throw new WorkflowSeederError(decoded.issues);
  return decoded.value;
}

/**
 * The runtime catalog: the default, extended or replaced by `--catalog <file>`, else by the file
 * `WORKFLOW_SEEDER_CATALOG` names (as the mocha plugin reads it).
 */
export async function loadCatalog(args: GlobalArgs): Promise<RuntimeCatalog> {
  const { DEFAULT_CATALOG, mergeCatalog } = await import("../src/catalog/runtime-catalog.js");
  const file = args.catalog ?? (process.env.WORKFLOW_SEEDER_CATALOG || undefined);
  if (!file) return DEFAULT_CATALOG;
  const { parseCatalog } = await import("../src/catalog/catalog-file.js");
  const value = await readJsonFile(file);
  const parsed = parseCatalog(value, { file });
  if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
  return mergeCatalog(DEFAULT_CATALOG, parsed.value);
}
