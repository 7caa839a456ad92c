import { hideBin } from "yargs/helpers";
import { isWorkflowSeederError } from "../../src/errors.js";
import type { ImportResult } from "../../src/import/import-bundle.js";
import {
  type CommandModule,
  EXIT_FAILURE,
  EXIT_OK,
  errorOf,
  type GlobalArgs,
  invalidArgument,
  loadCatalog,
  plural,
  printJson,
  readJsonFile,
  say,
  tenantOf,
  UsageError,
  withDatabase,
  writeOut,
} from "../context.js";

interface ImportArgs extends GlobalArgs {
  files: string[];
  onConflict: string;
  force: boolean;
  each: boolean;
  actor?: string;
}

/** Prints an import summary for humans (stderr). */
export function printImportSummary(result: ImportResult, tenant: string, file?: string): void {
  const lines = [`${file ? `${file}: ` : ""}import into tenant ${tenant}`];
  for (const w of result.deletedWorkflows) lines.push(`  deleted  ${w.key} (${w.workflowId})`);
  for (const w of result.createdWorkflows) lines.push(`  created  ${w.key} (${w.workflowId})`);
  for (const w of result.updatedWorkflows) lines.push(`  updated  ${w.key} (${w.workflowId})`);
  for (const w of result.skippedWorkflows) lines.push(`  skipped  ${w.key} (${w.workflowId}, already exists)`);
  for (const w of result.warnings) lines.push(`  warning  [${w.code}] ${w.message}`);
  say(lines.join("\n"));
}

async function runImport(args: ImportArgs): Promise<number> {
  const remote = await import("./remote-import-export.js");
  if (remote.isRemote(args)) return remote.runRemoteImport(args);
  const { importBundles } = await import("../../src/import/import-bundle.js");
  const tenant = await tenantOf(args);
  const catalog = await loadCatalog(args);
  const onConflict = (args.force ? "replace" : args.onConflict) as "fail" | "replace" | "update" | "skip";
  if (args.actor !== undefined) {
    const { isUuidString } = await import("../../src/format/portable-id.js");
    if (!isUuidString(args.actor)) throw invalidArgument("--actor", args.actor, "a UUID");
  }
  const options = { tenant, onConflict, catalog, actor: args.actor ?? null };
  // Without --each every file must be readable before anything is written; with --each a file
  // that cannot be read fails alone, like one that cannot be imported.
  const sources: { bundle: unknown; file: string }[] = [];
  if (!args.each) for (const file of args.files) sources.push({ bundle: await readJsonFile(file), file });
  return withDatabase(args, async (db) => {
    if (!args.each) {
      const result = await importBundles(db.knex, sources, options);
      if (args.json) printJson(result);
      else printImportSummary(result, tenant);
      return EXIT_OK;
    }
    return importEachFile(args, tenant, async (file) =>
      importBundles(db.knex, [{ bundle: await readJsonFile(file), file }], options),
    );
  });
}

/**
 * `import --each`: one import per file, each reported; a file that fails (to read or to import)
 * fails alone. Errors for which `isFatal` holds (not an expected error, a lost server) end the
 * command instead. Exit 1 when any file failed.
 */
export async function importEachFile(
  args: { files: string[]; json: boolean },
  tenant: string,
  importOne: (file: string) => Promise<ImportResult>,
  isFatal: (error: unknown) => boolean = (error) => !isWorkflowSeederError(error),
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
      if (!args.json) say(`FAIL  [${error.code}] ${error.message}`);
    }
  }
  const failed = files.filter((f) => !f.ok);
  if (args.json) {
    const first = failed[0];
    printJson(first && !first.ok ? { error: first.error, files } : { ok: true, files });
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

interface ExportArgs extends GlobalArgs {
  seed?: string;
  dir: string;
  workflowId: string[];
  key: string[];
  all: boolean;
  withCalledWorkflows: boolean;
  out?: string;
  exportedAt?: string;
}

async function runExport(args: ExportArgs): Promise<number> {
  if (!args.all && args.workflowId.length === 0 && args.key.length === 0)
    throw new UsageError("choose what to export: --workflow-id <uuid>..., --key <key>... or --all");
  if (args.exportedAt !== undefined) {
    const { isRfc3339DateTime } = await import("../../src/format/date-time.js");
    if (!isRfc3339DateTime(args.exportedAt))
      throw invalidArgument("--exported-at", args.exportedAt, "an RFC 3339 date-time such as 2026-01-01T00:00:00.000Z");
  }
  const remote = await import("./remote-import-export.js");
  if (remote.isRemote(args)) return remote.runRemoteExport(args);
  const tenant = await tenantOf(args);
  if (args.seed !== undefined) return runExportToSeed(args, tenant);
  const { exportBundle } = await import("../../src/export/export-bundle.js");
  const { canonicalizeJson } = await import("../../src/format/canonical-json.js");
  const bundle = await withDatabase(args, (db) =>
    exportBundle(db.knex, {
      tenant,
      workflowIds: args.workflowId,
      keys: args.key,
      all: args.all,
      withCalledWorkflows: args.withCalledWorkflows,
      ...(args.exportedAt === undefined ? {} : { exportedAt: args.exportedAt }),
    }),
  );
  const text = canonicalizeJson(bundle);
  if (args.out === undefined) {
    writeOut(text);
    return EXIT_OK;
  }
  const { writeFile } = await import("node:fs/promises");
  try {
    await writeFile(args.out, text);
  } catch (error) {
    throw errorOf("FILE_WRITE_ERROR", { file: args.out, reason: (error as Error).message });
  }
  const keys = bundle.workflows.map((w) => w.key);
  if (args.json) printJson({ file: args.out, workflows: keys });
  else say(`wrote ${plural(keys.length, "workflow")} to ${args.out}`);
  return EXIT_OK;
}

async function runExportToSeed(args: ExportArgs, tenant: string): Promise<number> {
  if (args.out !== undefined) throw new UsageError("--seed writes a seed file in --dir; do not combine it with --out");
  const { exportToSeed } = await import("../../src/seeder/seed-baseline.js");
  const { resolve } = await import("node:path");
  const result = await withDatabase(args, (db) =>
    exportToSeed(db.knex, {
      tenant,
      dir: resolve(process.cwd(), args.dir),
      name: args.seed as string,
      workflowIds: args.workflowId,
      keys: args.key,
      all: args.all,
      withCalledWorkflows: args.withCalledWorkflows,
    }),
  );
  if (args.json) printJson(result);
  else
    say(
      `wrote seed ${result.file} with ${plural(result.workflows.length, "workflow")}; recorded as applied for tenant ${tenant}\nCommit it; other databases will see it as pending.`,
    );
  return EXIT_OK;
}

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
            describe: "Bundle files ('-' reads stdin)",
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
          .option("server", { type: "string", describe: "Go through this workflow-seeder API (URL), no database" })
          .option("token-file", { type: "string", describe: "With --server: token file (else WORKFLOW_SEEDER_TOKEN)" })
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
          .option("dir", { type: "string", default: "seeds/workflows", describe: "Seeds folder for --seed" })
          .option("server", { type: "string", describe: "Go through this workflow-seeder API (URL), no database" })
          .option("token-file", { type: "string", describe: "With --server: token file (else WORKFLOW_SEEDER_TOKEN)" }),
      run(runExport),
    );
