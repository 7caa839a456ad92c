import { WorkflowSeederError } from "../../src/errors.js";
import type { ApiToken } from "../../src/http/api-tokens.js";
import {
  type CommandModule,
  EXIT_OK,
  type GlobalArgs,
  invalidArgument,
  loadCatalog,
  openProjectDatabase,
  printJson,
} from "../context.js";

interface ServeArgs extends GlobalArgs {
  host: string;
  port: number;
  tokenFile?: string;
  insecureLocal: boolean;
  bodyLimit?: string;
}

/** The API tokens: `--token-file`, else `WORKFLOW_SEEDER_API_TOKENS` (comma-separated). */
async function loadApiTokens(args: ServeArgs): Promise<ApiToken[]> {
  const { parseTokenFileText, parseTokenList } = await import("../../src/http/api-tokens.js");
  let parsed: ReturnType<typeof parseTokenList>;
  if (args.tokenFile !== undefined) {
    const { readTextFile } = await import("../../src/import/read-files.js");
    parsed = parseTokenFileText(await readTextFile(args.tokenFile), { file: args.tokenFile });
  } else parsed = parseTokenList(process.env.WORKFLOW_SEEDER_API_TOKENS ?? "");
  if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
  return parsed.value;
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function runServe(args: ServeArgs): Promise<number> {
  const { DEFAULT_BODY_LIMIT, parseByteSize, startServer, validateServerConfig } = await import(
    "../../src/http/index.js"
  );
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
    throw invalidArgument("--port", String(args.port), "a port number between 0 and 65535");
  const bodyLimit = args.bodyLimit === undefined ? DEFAULT_BODY_LIMIT : parseByteSize(args.bodyLimit);
  if (bodyLimit === null)
    throw invalidArgument("--body-limit", args.bodyLimit ?? "", "a size in bytes such as 1048576, 512KiB or 10MiB");
  const tokens = await loadApiTokens(args);
  const settings = { tokens, insecureLocal: args.insecureLocal, host: args.host, port: args.port, bodyLimit };
  // Refuse a bad configuration before touching the database.
  const checked = validateServerConfig(settings);
  if (!checked.ok) throw new WorkflowSeederError(checked.issues);
  const catalog = await loadCatalog(args);
  const db = await openProjectDatabase(args);
  try {
    const running = await startServer({ ...settings, knex: db.knex, catalog, logStream: process.stderr });
    if (args.json) printJson({ url: running.url });
    await waitForStopSignal();
    await running.close();
  } finally {
    await db.close();
  }
  return EXIT_OK;
}

/** `workflow-seeder serve` */
export const serveCommand: CommandModule = (argv, run) =>
  argv.command(
    "serve",
    "Serve the HTTP API (export, import, health) until stopped with Ctrl-C or SIGTERM",
    (y) =>
      y
        .option("host", { type: "string", default: "127.0.0.1", describe: "Interface to bind (loopback by default)" })
        .option("port", { type: "number", default: 3000, describe: "Port to listen on (0 picks a free one)" })
        .option("token-file", {
          type: "string",
          describe:
            "File of API tokens, one per line, optionally followed by the tenants it may use (default: WORKFLOW_SEEDER_API_TOKENS, comma-separated)",
        })
        .option("insecure-local", {
          type: "boolean",
          default: false,
          describe: "Allow starting without tokens; only on a loopback host (local development)",
        })
        .option("body-limit", { type: "string", describe: "Largest request body, e.g. 10MiB (default 10MiB)" }),
    run(runServe),
  );
