import { resolve } from "node:path";
import type { Issue } from "../../src/errors.js";
import {
  type CommandModule,
  EXIT_OK,
  errorOf,
  type GlobalArgs,
  invalidArgument,
  keepStdinDash,
  listBundleFiles,
  plural,
  printJson,
  printResult,
  readJsonFile,
  UsageError,
  writeOut,
  writeTextFile,
} from "../context.js";

interface FmtArgs extends GlobalArgs {
  paths: string[];
  check: boolean;
  stdout: boolean;
}

async function runFmt(args: FmtArgs): Promise<number> {
  const { readTextFile } = await import("../../src/import/read-files.js");
  const { parseJsonText, validateBundleHeader } = await import("../../src/format/parse-bundle.js");
  const { canonicalizeJson } = await import("../../src/format/canonical-json.js");
  const { WorkflowSeederError, isWorkflowSeederError, issue } = await import("../../src/errors.js");
  const { collectJsonLimitProblems } = await import("../../src/format/json-limits.js");
  // Values JSON text can hold but no serializer can write back (1e309, thousands of levels).
  const canonicalOf = (value: unknown, file: string): string => {
    const limits = collectJsonLimitProblems(value);
    if (limits.length > 0) throw errorOf("VALUE_OUT_OF_RANGE", { file, errors: limits });
    return canonicalizeJson(value);
  };
  const files = await listBundleFiles(args.paths, "paths");
  if (args.stdout) {
    // Prints any JSON (a payload, a catalog): it writes no file, so nothing is at stake.
    if (files.length !== 1) throw new UsageError("--stdout takes exactly one file");
    const file = files[0] as string;
    writeOut(canonicalOf(await readJsonFile(file), file));
    return EXIT_OK;
  }
  if (files.includes("-"))
    throw invalidArgument("paths", "-", "files or folders to rewrite (stdin only with --stdout: fmt --stdout -)");
  // Every file is read and checked before any is written, and every bad one reported: a folder
  // holding a file that is not a workflow bundle (a payload, package.json) is an error that
  // rewrites nothing, in the codes validate gives such a file, never a silent reformat.
  const issues: Issue[] = [];
  const changed: { file: string; canonical: string }[] = [];
  for (const file of files) {
    try {
      // With its byte order mark, if any: the canonical form has none, so such a file is rewritten.
      const text = await readTextFile(file, undefined, { keepBom: true });
      const json = parseJsonText(text, { file });
      if (!json.ok) throw new WorkflowSeederError(json.issues);
      const canonical = canonicalOf(json.value, file);
      const header = validateBundleHeader(json.value, { file });
      if (header !== null) throw new WorkflowSeederError(header);
      if (canonical !== text) changed.push({ file, canonical });
    } catch (error) {
      if (!isWorkflowSeederError(error)) throw error;
      issues.push(...error.issues);
    }
  }
  const changedFiles = changed.map((c) => c.file);
  if (issues.length > 0) {
    if (args.check && changed.length > 0) issues.push(issue("NOT_CANONICAL", { files: changedFiles }));
    throw new WorkflowSeederError(issues);
  }
  if (args.check && changed.length > 0) {
    // The list is the result, one file a line (`fmt --check seeds | xargs ...`); the error says why.
    if (!args.json) printResult(changedFiles.join("\n"));
    throw errorOf("NOT_CANONICAL", { files: changedFiles });
  }
  if (!args.check) for (const { file, canonical } of changed) await writeTextFile(file, canonical);
  if (args.json) printJson({ files: files.length, [args.check ? "notCanonical" : "rewritten"]: changedFiles });
  else if (args.check) printResult(`${plural(files.length, "file")} in canonical form`);
  else printResult(`${changed.length} of ${plural(files.length, "file")} rewritten in canonical form`);
  return EXIT_OK;
}

interface SchemaArgs extends GlobalArgs {
  write: boolean;
  check: boolean;
}

async function runSchema(args: SchemaArgs): Promise<number> {
  const { generateBundleJsonSchema, BUNDLE_JSON_SCHEMA_PATH } = await import("../../src/format/bundle-json-schema.js");
  const { canonicalizeJson } = await import("../../src/format/canonical-json.js");
  const text = canonicalizeJson(generateBundleJsonSchema());
  const path = resolve(process.cwd(), BUNDLE_JSON_SCHEMA_PATH);
  if (args.write) {
    await writeTextFile(path, text);
    printResult(`wrote ${BUNDLE_JSON_SCHEMA_PATH}`);
  } else if (args.check) {
    const { readTextFile } = await import("../../src/import/read-files.js");
    if ((await readTextFile(path, undefined, { keepBom: true })) !== text)
      throw errorOf("NOT_CANONICAL", { files: [BUNDLE_JSON_SCHEMA_PATH] });
    printResult(`${BUNDLE_JSON_SCHEMA_PATH} is up to date`);
  } else writeOut(text);
  return EXIT_OK;
}

/** `workflow-seeder fmt <paths..>` and `workflow-seeder schema` */
export const fmtCommand: CommandModule = (argv, run) =>
  argv
    .command(
      "fmt <paths..>",
      "Rewrite bundle files in canonical form",
      (y) =>
        y
          .positional("paths", { type: "string", array: true, demandOption: true, describe: "Files or directories" })
          .option("check", {
            type: "boolean",
            default: false,
            describe: "List files that are not canonical and exit 1; write nothing",
          })
          .option("stdout", {
            type: "boolean",
            default: false,
            describe: "Print the canonical form of one file ('-' reads stdin)",
          })
          .middleware(keepStdinDash("paths")),
      run(runFmt),
    )
    .command(
      "schema",
      "Print the JSON Schema of bundle v1 generated from the zod schema",
      (y) =>
        y
          .option("write", {
            type: "boolean",
            default: false,
            describe: "Write docs/schemas/workflow-bundle.v1.schema.json",
          })
          .option("check", {
            type: "boolean",
            default: false,
            describe: "Exit 1 when the committed file is out of date",
          }),
      run(runSchema),
    );
