import {
  type CommandModule,
  EXIT_FAILURE,
  EXIT_OK,
  type GlobalArgs,
  keepStdinDash,
  listBundleFiles,
  loadCatalog,
  plural,
  printJson,
  printResult,
  readStdin,
  sayWarning,
  wire,
} from "../context.js";

interface ValidateArgs extends GlobalArgs {
  files: string[];
}

async function runValidate(args: ValidateArgs): Promise<number> {
  const { readTextFile } = await import("../../src/import/read-files.js");
  const { checkBundleText } = await import("../../src/catalog/check-bundle.js");
  const { isWorkflowSeederError } = await import("../../src/errors.js");
  const catalog = await loadCatalog(args);
  const files = await listBundleFiles(args.files, "files");
  const results = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === "-" ? await readStdin() : await readTextFile(file);
    } catch (error) {
      if (!isWorkflowSeederError(error)) throw error;
      results.push({ file, ok: false, workflows: 0, issues: error.issues.map(wire), warnings: [] });
      continue;
    }
    const r = checkBundleText(text, { file, catalog });
    results.push({
      file,
      ok: r.ok,
      workflows: r.ok ? r.bundle.workflows.length : 0,
      issues: r.ok ? [] : r.issues.map(wire),
      warnings: r.warnings.map(wire),
    });
  }
  const failed = results.filter((r) => !r.ok);
  if (args.json) {
    const first = failed[0]?.issues[0];
    printJson(first ? { error: first, files: results } : { ok: true, files: results });
  } else {
    // The verdicts are the result (stdout); a warning does not change one (stderr).
    for (const r of results) {
      if (r.ok) printResult(`ok    ${r.file} (${plural(r.workflows, "workflow")})`);
      else for (const i of r.issues) printResult(`FAIL  [${i.code}] ${i.message}`);
      for (const w of r.warnings) sayWarning(w, r.file);
    }
    printResult(`${results.length - failed.length} of ${plural(results.length, "file")} valid`);
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** `workflow-seeder validate <files..>` */
export const validateCommand: CommandModule = (argv, run) =>
  argv.command(
    "validate <files..>",
    "Check bundle files offline: JSON, format, schema, duplicates, definitions, dependencies",
    (y) =>
      y
        .positional("files", {
          type: "string",
          array: true,
          demandOption: true,
          describe: "Bundle files or directories; '-' reads stdin",
        })
        .middleware(keepStdinDash("files")),
    run(runValidate),
  );
