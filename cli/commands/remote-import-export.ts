/**
 * Remote mode of `import` and `export` (`--server <url>`): the same output and exit codes as the
 * local commands, through the HTTP API instead of a database connection.
 */

import { WorkflowSeederError } from "../../src/errors.js";
import type { RemoteServer } from "../../src/http/remote-client.js";
import type { ConflictPolicy, ImportResult } from "../../src/import/import-bundle.js";
import {
  EXIT_OK,
  errorOf,
  type GlobalArgs,
  invalidArgument,
  plural,
  printJson,
  readJsonFile,
  say,
  tenantOf,
  writeOut,
} from "../context.js";
import { importEachFile, printImportSummary } from "./import-export.js";

/** The options that select remote mode. */
export interface RemoteArgs {
  server?: string;
  tokenFile?: string;
}

interface RemoteImportArgs extends GlobalArgs, RemoteArgs {
  files: string[];
  onConflict: string;
  force: boolean;
  each: boolean;
  actor?: string;
}

interface RemoteExportArgs extends GlobalArgs, RemoteArgs {
  workflowId: string[];
  key: string[];
  all: boolean;
  withCalledWorkflows: boolean;
  out?: string;
  exportedAt?: string;
  seed?: string;
}

/** True when `--server` was given. */
export function isRemote<T extends object>(args: T): args is T & { server: string } {
  return typeof (args as RemoteArgs).server === "string";
}

/** The server and its token: `--token-file` (its first token), else `WORKFLOW_SEEDER_TOKEN`. */
async function remoteServerOf(args: GlobalArgs & RemoteArgs & { server: string }): Promise<RemoteServer> {
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

/** `import --server`: one request per file (one file, or `--each`). */
export async function runRemoteImport(args: RemoteImportArgs & { server: string }): Promise<number> {
  const { importBundleOverHttp } = await import("../../src/http/remote-client.js");
  const tenant = await tenantOf(args);
  const server = await remoteServerOf(args);
  const onConflict = (args.force ? "replace" : args.onConflict) as ConflictPolicy;
  if (args.actor !== undefined) {
    const { isUuidString } = await import("../../src/format/portable-id.js");
    if (!isUuidString(args.actor)) throw invalidArgument("--actor", args.actor, "a UUID");
  }
  if (!args.each && args.files.length > 1)
    throw invalidArgument(
      "--server",
      args.server,
      "one bundle file per request: pass one file, or --each to import the files one by one",
    );
  const importOne = async (file: string): Promise<ImportResult> =>
    importBundleOverHttp(server, await readJsonFile(file), { tenant, onConflict, actor: args.actor ?? null, file });
  const first = args.files[0];
  if (!args.each && first !== undefined) {
    const result = await importOne(first);
    if (args.json) printJson(result);
    else printImportSummary(result, tenant);
    return EXIT_OK;
  }
  // An unreachable server fails the whole command, as a lost database connection does.
  return importEachFile(
    args,
    tenant,
    importOne,
    (error) => !(error instanceof WorkflowSeederError) || error.code === "REMOTE_UNAVAILABLE",
  );
}

/** `export --server`: the canonical bytes the server sends, written as a local export writes them. */
export async function runRemoteExport(args: RemoteExportArgs & { server: string }): Promise<number> {
  const { exportBundleOverHttp } = await import("../../src/http/remote-client.js");
  if (args.seed !== undefined)
    throw invalidArgument("--seed", args.seed, "no --seed with --server (seeds are written next to a database)");
  const tenant = await tenantOf(args);
  const server = await remoteServerOf(args);
  const text = await exportBundleOverHttp(server, {
    tenant,
    workflowIds: args.workflowId,
    keys: args.key,
    all: args.all,
    withCalledWorkflows: args.withCalledWorkflows,
    ...(args.exportedAt === undefined ? {} : { exportedAt: args.exportedAt }),
  });
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
  const keys = (JSON.parse(text) as { workflows: { key: string }[] }).workflows.map((w) => w.key);
  if (args.json) printJson({ file: args.out, workflows: keys });
  else say(`wrote ${plural(keys.length, "workflow")} to ${args.out}`);
  return EXIT_OK;
}
