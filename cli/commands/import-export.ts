/**
 * `import` and `export`, against the project's database or, with `--server <url>`, through a
 * workflow-seeder API (remote mode): the same options, output and exit codes either way.
 */

import { isWorkflowSeederError, WorkflowSeederError } from "../../src/errors.js";
import type { ParsedExportOptions } from "../../src/export/export-options.js";
import type { RemoteServer } from "../../src/http/remote-client.js";
import type { ImportResult } from "../../src/import/import-bundle.js";
import type { ParsedImportOptions } from "../../src/import/import-options.js";
import {
  type CommandModule,
  DEFAULT_SEEDS_DIR,
  EXIT_FAILURE,
  EXIT_OK,
  exportOptionsOf,
  type GlobalArgs,
  importOptionsOf,
  invalidArgument,
  loadCatalog,
  openProjectDatabase,
  plural,
  printJson,
  printResult,
  readJsonFile,
  resolveTenant,
  say,
  sayWarning,
  tenantOf,
  UsageError,
  withDatabase,
  writeOut,
  writeTextFile,
} from "../context.js";
import { hideBin } from "../yargs.js";

/** The options of remote mode. */
interface RemoteArgs {
  server?: string;
  tokenFile?: string;
}

interface ImportArgs extends GlobalArgs, RemoteArgs {
  files: string[];
  onConflict: string;
  force: boolean;
  each: boolean;
  actor?: string;
}

interface ExportArgs extends GlobalArgs, RemoteArgs {
  seed?: string;
  dir: string;
  workflowId: string[];
  key: string[];
  all: boolean;
  withCalledWorkflows: boolean;
  out?: string;
  exportedAt?: string;
}

/**
 * The API of remote mode and its token (`--token-file`, its first token, else
 * `WORKFLOW_SEEDER_TOKEN`); undefined without `--server`. The options of a local database are
 * refused with it: the server has its own.
 */
async function remoteServerOf(args: GlobalArgs & RemoteArgs): Promise<RemoteServer | undefined> {
  if (args.server === undefined) return undefined;
  if (args.databaseUrl !== undefined)
    throw invalidArgument(
      "--database-url",
      args.databaseUrl,
      "no --database-url with --server (the server has its own)",
    );
  if (args.catalog !== undefined)
    throw invalidArgument("--catalog", args.catalog, "no --catalog with --server (the server checks its own catalog)");
  let token = process.env.WORKFLOW_SEEDER_TOKEN || undefined;
  if (args.tokenFile !== undefined) {
    const { readTextFile } = await import("../../src/import/read-files.js");
    const { parseTokenFileText } = await import("../../src/http/api-tokens.js");
    const parsed = parseTokenFileText(await readTextFile(args.tokenFile), { file: args.tokenFile });
    if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
    token = parsed.value[0]?.token;
    if (token === undefined) throw invalidArgument("--token-file", args.tokenFile, "a file holding a token");
  }
  return token === undefined ? { url: args.server } : { url: args.server, token };
}

/** Prints an import summary for humans: what was written on stdout, the warnings on stderr. */
function printImportSummary(result: ImportResult, tenant: string, file?: string): void {
  const lines = [`${file ? `${file}: ` : ""}import into tenant ${tenant}`];
  for (const w of result.deletedWorkflows) lines.push(`  deleted  ${w.key} (${w.workflowId})`);
  for (const w of result.createdWorkflows) lines.push(`  created  ${w.key} (${w.workflowId})`);
  for (const w of result.updatedWorkflows) lines.push(`  updated  ${w.key} (${w.workflowId})`);
  // A server of an earlier version answers without the list.
  for (const w of result.unchangedWorkflows ?? [])
    lines.push(`  unchanged  ${w.key} (${w.workflowId}, already has this content)`);
  for (const w of result.skippedWorkflows) lines.push(`  skipped  ${w.key} (${w.workflowId}, already exists)`);
  printResult(lines.join("\n"));
  for (const w of result.warnings) sayWarning(w, file);
}

/** Reports the one import of a command without `--each`. */
function reportImport(args: { json: boolean }, result: ImportResult, tenant: string): number {
  if (args.json) printJson(result);
  else printImportSummary(result, tenant);
  return EXIT_OK;
}

/**
 * `import --each`: one import per file, each reported; a file that fails (to read or to import)
 * fails alone. Errors for which `isFatal` holds (not an expected error, a lost server) end the
 * command instead. Exit 1 when any file failed.
 */
async function importEachFile(
  args: { files: string[]; json: boolean },
  tenant: string,
  importOne: (file: string) => Promise<ImportResult>,
  isFatal: (error: unknown) => boolean,
): Promise<number> {
  const files = [];
  for (const file of args.files) {
    try {
      const result = await importOne(file);
      files.push({ file, ok: true as const, result });
      if (!args.json) printImportSummary(result, tenant, file);
    } catch (error) {
      if (isFatal(error) || !isWorkflowSeederError(error)) throw error;
      files.push({ file, ok: false as const, error: error.toJSON().error });
      // A file's failure is its verdict, reported with the others (stdout); the command goes on.
      if (!args.json) printResult(`FAIL  [${error.code}] ${error.message}`);
    }
  }
  const failed = files.filter((f) => !f.ok);
  if (args.json) {
    const first = failed[0];
    printJson(first && !first.ok ? { error: first.error, files } : { ok: true, files });
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** The files of an import's command line, and the seeds folders among its paths. */
interface ImportPaths {
  files: string[];
  /** The seed files of each seeds folder given, in apply order (each also in `files`). */
  seedFolders: string[][];
}

/**
 * The bundle files of the command line: files as given, folders expanded to every `.json` file in
 * them (recursively, sorted, as `validate` does), `-` (stdin) kept. A folder that holds files
 * named like seeds is a seeds folder, read as `up` reads it: its seeds in name order, a misnamed
 * `.json` file `INVALID_SEED_NAME`. A folder without a bundle is an error: importing nothing
 * must not look like success.
 */
async function expandImportPaths(paths: readonly string[]): Promise<ImportPaths> {
  const { listJsonFiles } = await import("../../src/import/read-files.js");
  const { isSeedFolder, listSeedFiles } = await import("../../src/import/seed-folder.js");
  const files: string[] = [];
  const seedFolders: string[][] = [];
  for (const path of paths) {
    if (path === "-") {
      files.push(path);
      continue;
    }
    if (await isSeedFolder(path)) {
      const seeds = (await listSeedFiles(path, { mustExist: true })).seeds.map((s) => s.path);
      seedFolders.push(seeds);
      files.push(...seeds);
      continue;
    }
    const found = await listJsonFiles([path]);
    if (found.length === 0) throw invalidArgument("files", path, "a bundle file, or a folder holding .json bundles");
    files.push(...found);
  }
  return { files, seedFolders };
}

type Source = { bundle: unknown; file: string };
type Issue = import("../../src/errors.js").Issue;

/**
 * Every offline problem of sources read together. The seeds of a seeds folder are checked one by
 * one, each whole (as `up` checks a seed before applying it): a later seed may ship a key again.
 */
async function offlineIssues(
  sources: readonly Source[],
  seedFiles: ReadonlySet<string>,
  catalog: import("../../src/catalog/runtime-catalog.js").RuntimeCatalog,
): Promise<Issue[]> {
  const { checkSources } = await import("../../src/import/check-sources.js");
  const issues: Issue[] = [];
  const check = (list: readonly Source[]) => {
    if (list.length === 0) return;
    try {
      checkSources(list, catalog);
    } catch (error) {
      if (!isWorkflowSeederError(error)) throw error;
      issues.push(...error.issues);
    }
  };
  for (const source of sources) if (seedFiles.has(source.file)) check([source]);
  check(sources.filter((s) => !seedFiles.has(s.file)));
  return issues;
}

/** One error with every issue, in the order of the files they name. */
function issuesInFileOrder(issues: readonly Issue[], files: readonly string[]): WorkflowSeederError {
  const order = (i: Issue) => {
    const file = (i.details as { file?: unknown }).file;
    return typeof file === "string" ? files.indexOf(file) : files.length;
  };
  return new WorkflowSeederError([...issues].sort((a, b) => order(a) - order(b)));
}

/**
 * Reads every file; when any cannot be read or parsed, checks the others offline too and throws
 * one error with the problems of every bad file, in file order (nothing has been written).
 */
async function readAllSources(
  paths: ImportPaths,
  catalog: import("../../src/catalog/runtime-catalog.js").RuntimeCatalog,
): Promise<Source[]> {
  const sources: Source[] = [];
  const issues: Issue[] = [];
  for (const file of paths.files) {
    try {
      sources.push({ bundle: await readJsonFile(file), file });
    } catch (error) {
      if (!isWorkflowSeederError(error)) throw error;
      issues.push(...error.issues);
    }
  }
  const seedFiles = new Set(paths.seedFolders.flat());
  if (issues.length === 0) return seedFiles.size === 0 ? sources : finalSeedState(sources, paths, seedFiles, catalog);
  issues.push(...(await offlineIssues(sources, seedFiles, catalog)));
  throw issuesInFileOrder(issues, paths.files);
}

/**
 * The sources with each seeds folder read as `up` leaves the tenant (a later seed's version of a
 * key replaces the earlier one), once every seed passed its own checks; otherwise every problem.
 */
async function finalSeedState(
  sources: readonly Source[],
  paths: ImportPaths,
  seedFiles: ReadonlySet<string>,
  catalog: import("../../src/catalog/runtime-catalog.js").RuntimeCatalog,
): Promise<Source[]> {
  const issues = await offlineIssues(sources, seedFiles, catalog);
  if (issues.length > 0) throw issuesInFileOrder(issues, paths.files);
  const { collectFinalSeedState } = await import("../../src/import/seed-folder.js");
  const byFile = new Map(sources.map((s) => [s.file, s]));
  const result = sources.filter((s) => !seedFiles.has(s.file));
  for (const folder of paths.seedFolders) {
    // Every seed passed the structure checks: each is a workflow bundle.
    const seeds = folder.map((file) => byFile.get(file) as import("../../src/import/seed-folder.js").SeedBundle);
    result.push(...collectFinalSeedState(seeds));
  }
  const position = (s: Source) => paths.files.indexOf(s.file);
  return result.sort((a, b) => position(a) - position(b));
}

async function runImport(args: ImportArgs): Promise<number> {
  const tenant = await tenantOf(args);
  const server = await remoteServerOf(args);
  const options = { tenant, ...(await importOptionsOf(args)) };
  const paths = await expandImportPaths(args.files);
  const { files } = paths;
  if (server !== undefined) return importRemotely({ ...args, files }, server, options);
  const catalog = await loadCatalog(args);
  const { importBundles } = await import("../../src/import/import-bundle.js");
  if (args.each)
    return withDatabase(args, async (db) => {
      const local = { ...options, catalog, tenant: await resolveTenant(args, db.knex) };
      return importEachFile(
        { ...args, files },
        local.tenant,
        async (file) => importBundles(db.knex, [{ bundle: await readJsonFile(file), file }], local),
        (error) => !isWorkflowSeederError(error),
      );
    });
  // Without --each every file must be readable and valid before anything is written, and every
  // bad file is reported; with --each a file that cannot be read fails alone. The database opens
  // (and migrates, as every command does first) while the files are read and parsed; a bad file
  // is still the error reported, whatever the database does.
  const opening = openProjectDatabase(args);
  opening.catch(() => undefined);
  let sources: { bundle: unknown; file: string }[];
  try {
    sources = await readAllSources(paths, catalog);
  } catch (error) {
    await opening.then(
      (db) => db.close(),
      () => undefined,
    );
    throw error;
  }
  const db = await opening;
  try {
    const local = { ...options, catalog, tenant: await resolveTenant(args, db.knex) };
    return reportImport(args, await importBundles(db.knex, sources, local), local.tenant);
  } finally {
    await db.close();
  }
}

/** `import --server`: one request per file (one file, or `--each`). */
async function importRemotely(
  args: ImportArgs,
  server: RemoteServer,
  options: ParsedImportOptions & { tenant: string },
): Promise<number> {
  if (!args.each && args.files.length > 1)
    throw invalidArgument(
      "--server",
      server.url,
      "one bundle file per request: pass one file, or --each to import the files one by one",
    );
  const { importBundleOverHttp } = await import("../../src/http/remote-client.js");
  const importOne = async (file: string): Promise<ImportResult> =>
    importBundleOverHttp(server, await readJsonFile(file), { ...options, file });
  const first = args.files[0];
  if (!args.each && first !== undefined) return reportImport(args, await importOne(first), options.tenant);
  // An unreachable server fails the whole command, as a lost database connection does.
  return importEachFile(
    args,
    options.tenant,
    importOne,
    (error) => !(error instanceof WorkflowSeederError) || error.code === "REMOTE_UNAVAILABLE",
  );
}

async function runExport(args: ExportArgs): Promise<number> {
  if (!args.all && args.workflowId.length === 0 && args.key.length === 0)
    throw new UsageError("choose what to export: --workflow-id <uuid>..., --key <key>... or --all");
  const selection = await exportOptionsOf(args);
  if (args.server !== undefined && args.seed !== undefined)
    throw invalidArgument("--seed", args.seed, "no --seed with --server (seeds are written next to a database)");
  const tenant = await tenantOf(args);
  const server = await remoteServerOf(args);
  if (server !== undefined) {
    const { exportBundleOverHttp } = await import("../../src/http/remote-client.js");
    // The canonical bytes the server sends, written as a local export writes them.
    const text = await exportBundleOverHttp(server, { tenant, ...selection });
    return writeExport(args, text, () =>
      (JSON.parse(text) as { workflows: { key: string }[] }).workflows.map((w) => w.key),
    );
  }
  if (args.seed !== undefined) return runExportToSeed(args, args.seed, selection);
  const { exportBundle } = await import("../../src/export/export-bundle.js");
  const { canonicalizeJson } = await import("../../src/format/canonical-json.js");
  const bundle = await withDatabase(args, async (db) =>
    exportBundle(db.knex, { tenant: await resolveTenant(args, db.knex), ...selection }),
  );
  return writeExport(args, canonicalizeJson(bundle), () => bundle.workflows.map((w) => w.key));
}

/**
 * Writes an exported bundle on stdout, and nothing else there; or to `--out`, with a report of
 * what it holds on stdout.
 */
async function writeExport(args: ExportArgs, text: string, keysOf: () => string[]): Promise<number> {
  if (args.out === undefined) {
    writeOut(text);
    return EXIT_OK;
  }
  await writeTextFile(args.out, text);
  const keys = keysOf();
  if (args.json) printJson({ file: args.out, workflows: keys });
  else printResult(`wrote ${plural(keys.length, "workflow")} to ${args.out}`);
  return EXIT_OK;
}

async function runExportToSeed(args: ExportArgs, name: string, selection: ParsedExportOptions): Promise<number> {
  if (args.out !== undefined) throw new UsageError("--seed writes a seed file in --dir; do not combine it with --out");
  const { exportToSeed } = await import("../../src/seeder/seed-baseline.js");
  const { resolve } = await import("node:path");
  const { keys, workflowIds, all, withCalledWorkflows, exportedAt } = selection;
  const { tenant, result } = await withDatabase(args, async (db) => {
    const tenant = await resolveTenant(args, db.knex);
    const dir = resolve(process.cwd(), args.dir);
    return {
      tenant,
      result: await exportToSeed(db.knex, {
        tenant,
        dir,
        name,
        workflowIds,
        keys,
        all,
        withCalledWorkflows,
        ...(exportedAt === undefined ? {} : { exportedAt }),
      }),
    };
  });
  if (args.json) printJson(result);
  else {
    printResult(
      `wrote seed ${result.file} with ${plural(result.workflows.length, "workflow")}; recorded as applied for tenant ${tenant}`,
    );
    say("Commit it; other databases will see it as pending.");
  }
  return EXIT_OK;
}

const remoteOptions = {
  server: { type: "string", describe: "Go through this workflow-seeder API (URL), no database" },
  "token-file": { type: "string", describe: "With --server: token file (else WORKFLOW_SEEDER_TOKEN)" },
} as const;

/** `workflow-seeder import <files..>` and `workflow-seeder export` */
export const importExportCommand: CommandModule = (argv, run) =>
  argv
    .command(
      "import <files..>",
      "Import bundle files into a tenant, all or nothing",
      (y) =>
        y
          .positional("files", {
            type: "string",
            array: true,
            demandOption: true,
            describe:
              "Bundle files or folders (every .json file in them; a seeds folder as `up` leaves it); '-' reads stdin",
          })
          .option("on-conflict", {
            choices: ["fail", "replace", "update", "skip"],
            default: "fail",
            describe: "What to do when a key already exists in the tenant",
          })
          .option("force", { type: "boolean", default: false, describe: "Alias of --on-conflict replace" })
          .option("each", {
            type: "boolean",
            default: false,
            describe: "One transaction per file instead of one for all",
          })
          .option("actor", { type: "string", describe: "User UUID written to created_by / updated_by / published_by" })
          .options(remoteOptions)
          .middleware((argv) => {
            // yargs drops a lone "-" from a positional list; it means stdin, so put it back.
            const files = (argv.files ?? []) as string[];
            if (!files.includes("-") && hideBin(process.argv).includes("-")) argv.files = ["-", ...files];
          }),
      run(runImport),
    )
    .command(
      "export",
      "Export workflows of a tenant as a canonical bundle",
      (y) =>
        y
          .option("workflow-id", { type: "string", array: true, default: [], describe: "Workflow ids to export" })
          .option("key", { type: "string", array: true, default: [], describe: "Workflow keys to export" })
          .option("all", { type: "boolean", default: false, describe: "Export every workflow of the tenant" })
          .option("with-called-workflows", {
            type: "boolean",
            default: false,
            describe: "Also export every workflow reachable through control.callWorkflow",
          })
          .option("out", { type: "string", describe: "Write to this file instead of stdout" })
          .option("exported-at", { type: "string", describe: "Pin exportedAt (RFC 3339) for byte-stable output" })
          .option("seed", {
            type: "string",
            describe: "Write a new versioned seed file with this name (and record it as applied here)",
          })
          .option("dir", { type: "string", default: DEFAULT_SEEDS_DIR, describe: "Seeds folder for --seed" })
          .options(remoteOptions),
      run(runExport),
    );
