import { join } from "node:path";
import type { RuntimeCatalog } from "../../src/catalog/runtime-catalog.js";
import type { RunWorkflowResult } from "../../src/runtime/run-workflow.js";
import type { RuntimeError } from "../../src/runtime/runtime-error.js";
import type { VerifyBundlesResult } from "../../src/runtime/verify-bundles.js";
import {
  assertUuidOption,
  type CommandModule,
  DEFAULT_SEEDS_DIR,
  EXIT_FAILURE,
  EXIT_OK,
  errorOf,
  type GlobalArgs,
  invalidArgument,
  loadCatalog,
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
} from "../context.js";

interface WorkflowArgs extends GlobalArgs {
  key?: string;
  workflowId?: string;
}

interface PublishArgs extends WorkflowArgs {
  actor?: string;
}

interface RunArgs extends WorkflowArgs {
  version?: number;
  payload?: string;
  secret: string[];
}

interface ResumeArgs extends GlobalArgs {
  run: string;
  event?: string;
  payload?: string;
  correlationKey?: string;
  secret: string[];
}

interface VerifyArgs extends GlobalArgs {
  files: string[];
  dir?: string;
  payloadDir?: string;
  secret: string[];
}

async function workflowLocator(args: WorkflowArgs): Promise<{ key: string } | { workflowId: string }> {
  if ((args.key === undefined) === (args.workflowId === undefined))
    throw new UsageError("name the workflow: --key <key> or --workflow-id <uuid> (one of them)");
  if (args.key !== undefined) return { key: args.key };
  const workflowId = args.workflowId as string;
  await assertUuidOption("--workflow-id", workflowId, WORKFLOW_ID_EXPECTED);
  return { workflowId };
}

/** What a `--workflow-id` must be, and where to find one. */
const WORKFLOW_ID_EXPECTED = "a workflow UUID (`workflow-seeder list` shows each workflow's id)";

/** `--payload '<json>'`, `--payload @file.json` or `--payload -` (stdin); `{}` when absent. */
async function readPayload(value: string | undefined): Promise<unknown> {
  if (value === undefined) return {};
  let payload: unknown;
  if (value.startsWith("@") || value === "-") payload = await readJsonFile(value === "-" ? "-" : value.slice(1));
  else {
    const { parseJsonText } = await import("../../src/format/parse-bundle.js");
    const parsed = parseJsonText(value, { file: "--payload" });
    if (!parsed.ok) {
      // Where it breaks, not the whole INVALID_JSON message: its fix hint is for files.
      const issue = parsed.issues[0];
      const where =
        issue?.code === "INVALID_JSON"
          ? `not valid JSON at line ${issue.details.line}, column ${issue.details.column}: ${issue.details.reason}`
          : "not valid JSON";
      throw errorOf("INVALID_PAYLOAD", { source: "--payload", reason: where });
    }
    payload = parsed.value;
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw errorOf("INVALID_PAYLOAD", {
      source: value.startsWith("@") ? value.slice(1) : "--payload",
      reason: "it is not a JSON object",
    });
  return payload;
}

/** `--secret NAME=VALUE`, repeatable. */
function readSecrets(values: readonly string[]): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) throw invalidArgument("--secret", value, "NAME=VALUE");
    secrets[value.slice(0, at)] = value.slice(at + 1);
  }
  return secrets;
}

/** Causes printed before the chain is cut to its innermost one. */
const SHOWN_CAUSES = 2;

/**
 * An error's message without the cause's message that it ends with: a failed child run's error
 * reads `Child workflow execution failed: <the child's message>`, so a chain of N child runs
 * repeats the innermost message N times. The report prints each cause once, under its own line.
 */
function ownMessageOf(error: RuntimeError): string {
  const cause = causeOf(error);
  const suffix = cause === undefined ? undefined : `: ${cause.message}`;
  return suffix !== undefined && error.message.endsWith(suffix) && error.message.length > suffix.length
    ? error.message.slice(0, -suffix.length)
    : error.message;
}

function causeOf(error: RuntimeError): RuntimeError | undefined {
  const details = error.details as Record<string, unknown> | undefined;
  return typeof details === "object" && details !== null && isRuntimeError(details.cause) ? details.cause : undefined;
}

/**
 * The lines that explain a run's error beyond its message: the failing expression and the reason
 * (what `--json` carries in `error.details`), other details as JSON, and a child run's cause, each
 * cause once; a long chain (a workflow that calls itself) shows its first causes and its innermost.
 */
function formatErrorDetails(error: RuntimeError, indent: string, depth = 0): string[] {
  const lines: string[] = [];
  if (error.code !== undefined) lines.push(`${indent}code: ${error.code}`);
  const details = error.details;
  if (typeof details !== "object" || details === null || Array.isArray(details)) {
    if (details !== undefined) lines.push(`${indent}details: ${JSON.stringify(details)}`);
    return lines;
  }
  const { expression, reason, cause, ...rest } = details as Record<string, unknown>;
  if (typeof expression === "string") lines.push(`${indent}expression: ${expression}`);
  if (typeof reason === "string") lines.push(`${indent}reason: ${reason}`);
  for (const [key, value] of Object.entries(rest)) lines.push(`${indent}${key}: ${JSON.stringify(value)}`);
  if (isRuntimeError(cause)) {
    let next = cause;
    if (depth + 1 >= SHOWN_CAUSES) {
      let skipped = 0;
      for (let inner = causeOf(next); inner !== undefined; inner = causeOf(next)) {
        next = inner;
        skipped++;
      }
      if (skipped > 0) lines.push(`${indent}... ${skipped} more nested causes (--json has them all) ...`);
    }
    lines.push(`${indent}cause: ${next.category} at ${next.nodePath}: ${ownMessageOf(next)}`);
    lines.push(...formatErrorDetails(next, `${indent}  `, depth + 1));
  } else if (cause !== undefined) lines.push(`${indent}cause: ${JSON.stringify(cause)}`);
  return lines;
}

function isRuntimeError(value: unknown): value is RuntimeError {
  const v = value as Partial<RuntimeError> | null;
  return typeof v === "object" && v !== null && typeof v.category === "string" && typeof v.message === "string";
}

/** The run's report on stdout; for a WAITING run, how to continue it on stderr. */
function printRun(result: RunWorkflowResult): void {
  const lines = [
    `run ${result.runId}: ${result.workflowKey ?? result.workflowId} version ${result.version} ${result.status}`,
  ];
  // The run's own error is printed once, at the end; a step the run went on from says why here.
  const finalError = result.error === undefined ? undefined : JSON.stringify(result.error);
  for (const s of result.steps) {
    lines.push(`  ${s.status.padEnd(15)} ${s.stepPath} ${s.stepId ?? ""}${s.type ? ` (${s.type})` : ""}`);
    if (s.error !== undefined && JSON.stringify(s.error) !== finalError) {
      lines.push(`      error: ${s.error.category}: ${ownMessageOf(s.error)}`);
      lines.push(...formatErrorDetails(s.error, "        "));
    }
  }
  for (const i of result.invocations)
    lines.push(
      `  action ${i.actionId}@${i.version} at ${i.stepPath}: input ${JSON.stringify(i.input)} -> output ${JSON.stringify(i.output)}`,
    );
  if (result.error) {
    lines.push(`  error: ${result.error.category} at ${result.error.nodePath}: ${ownMessageOf(result.error)}`);
    lines.push(...formatErrorDetails(result.error, "    "));
  }
  printResult(lines.join("\n"));
  if (result.status === "WAITING")
    say(
      `continue it with \`workflow-seeder resume --run ${result.runId} --event <name> --payload '<json>'\` (for a timer: \`workflow-seeder resume --run ${result.runId}\`)`,
    );
}

function exitCodeOf(result: RunWorkflowResult): number {
  return result.status === "FAILED" ? EXIT_FAILURE : EXIT_OK;
}

async function runPublish(args: PublishArgs): Promise<number> {
  const locator = await workflowLocator(args);
  await tenantOf(args);
  const catalog = await loadCatalog(args);
  if (args.actor !== undefined) {
    const { isUuidString } = await import("../../src/format/portable-id.js");
    if (!isUuidString(args.actor)) throw invalidArgument("--actor", args.actor, "a UUID");
  }
  const { publishWorkflow } = await import("../../src/runtime/publish-workflow.js");
  const result = await withDatabase(args, async (db) =>
    publishWorkflow(db.knex, {
      tenant: await resolveTenant(args, db.knex),
      ...locator,
      catalog,
      actor: args.actor ?? null,
    }),
  );
  if (args.json) printJson(result);
  else {
    const workflow = result.workflowKey ?? result.workflowId;
    printResult(`published ${workflow} version ${result.version}`);
    for (const w of result.warnings) sayWarning(w, `${workflow} ${w.stepPath ?? "root"}`);
  }
  return EXIT_OK;
}

async function runRun(args: RunArgs): Promise<number> {
  const locator = await workflowLocator(args);
  if (args.version !== undefined && (!Number.isInteger(args.version) || args.version < 1))
    throw invalidArgument("--version", String(args.version), "a positive integer");
  const { runWorkflow } = await import("../../src/runtime/run-workflow.js");
  return executeRun(args, (knex, common) =>
    runWorkflow(knex, { ...common, ...locator, ...(args.version === undefined ? {} : { version: args.version }) }),
  );
}

/**
 * What `run` and `resume` share: tenant, catalog, payload and secrets from the options, the run in
 * the project's database, its report, and an exit code from its status.
 */
async function executeRun(
  args: GlobalArgs & { payload?: string; secret: string[] },
  start: (
    knex: import("knex").Knex,
    common: { tenant: string; payload: unknown; secrets: Record<string, string>; catalog: RuntimeCatalog },
  ) => Promise<RunWorkflowResult>,
): Promise<number> {
  await tenantOf(args);
  const common = {
    catalog: await loadCatalog(args),
    payload: await readPayload(args.payload),
    secrets: readSecrets(args.secret),
  };
  const result = await withDatabase(args, async (db) =>
    start(db.knex, { ...common, tenant: await resolveTenant(args, db.knex) }),
  );
  if (args.json) printJson(result);
  else printRun(result);
  return exitCodeOf(result);
}

async function runResume(args: ResumeArgs): Promise<number> {
  await assertUuidOption("--run", args.run, "a run UUID, as `workflow-seeder run` reports it (runId)");
  const { resumeRun } = await import("../../src/runtime/run-workflow.js");
  return executeRun(args, (knex, common) =>
    resumeRun(knex, {
      ...common,
      runId: args.run,
      ...(args.event === undefined ? {} : { eventName: args.event }),
      ...(args.correlationKey === undefined ? {} : { correlationKey: args.correlationKey }),
    }),
  );
}

/** Whether a verify run failed with the payload `{}` (no sample payload was found for it). */
function ranWithoutPayload(w: VerifyBundlesResult["workflows"][number]): boolean {
  return "runId" in w.run && w.run.status === "FAILED" && w.run.payloadFile === null;
}

/**
 * The verdict of every workflow and the summary on stdout; then, on stderr, the publish warnings
 * and how to give a sample payload to a run that failed without one.
 */
function printVerify(result: VerifyBundlesResult, payloadDir: string | undefined): void {
  const payloadFileOf = (key: string) => (payloadDir === undefined ? undefined : join(payloadDir, `${key}.json`));
  const lines: string[] = [];
  for (const w of result.workflows) {
    const published = w.publish.ok ? `published v${w.publish.version}` : "publish FAILED";
    const run =
      "runId" in w.run
        ? `run v${w.run.version} ${w.run.status}`
        : `run ${w.run.status} (${"reason" in w.run ? w.run.reason : w.run.code})`;
    lines.push(`${w.ok ? "ok  " : "FAIL"}  ${w.workflowKey}: ${published}, ${run}`);
    if (w.firstError) lines.push(`      ${w.firstError}`);
    if ("runId" in w.run && w.run.status === "FAILED" && w.run.error) {
      const error = w.run.error;
      // firstError named the publish problem when there was one; the run's error comes after it.
      if (!w.publish.ok) lines.push(`      run: ${error.category} at ${error.nodePath}: ${ownMessageOf(error)}`);
      lines.push(...formatErrorDetails(error, "        "));
    }
    // The usual cause of a failed verify run: the workflow needs a real payload, not {}.
    if (ranWithoutPayload(w)) {
      const file = payloadFileOf(w.workflowKey);
      lines.push(`      it ran with the payload {}${file === undefined ? "" : `: there is no ${file}`}`);
    }
  }
  const failed = result.workflows.filter((w) => !w.ok).length;
  lines.push(
    `${result.workflows.length - failed} of ${plural(result.workflows.length, "workflow")} verified (imported into throw-away tenant ${result.tenant}, rolled back)`,
  );
  printResult(lines.join("\n"));
  for (const w of result.workflows) {
    if (w.publish.ok)
      for (const warning of w.publish.warnings) sayWarning(warning, `${w.workflowKey} ${warning.stepPath ?? "root"}`);
    if (!ranWithoutPayload(w)) continue;
    const file = payloadFileOf(w.workflowKey);
    say(
      file === undefined
        ? `to give ${w.workflowKey} a sample payload, pass --payload-dir <folder> holding ${w.workflowKey}.json`
        : `to give ${w.workflowKey} a sample payload, add ${file}`,
    );
  }
}

async function runVerify(args: VerifyArgs): Promise<number> {
  if (args.dir !== undefined && args.files.length > 0) throw new UsageError("give either --dir or files, not both");
  // --dir (and the default) is a seeds folder; positional folders are one when they hold seeds.
  const paths = args.files.length > 0 ? { files: args.files } : { seedDirs: [args.dir ?? DEFAULT_SEEDS_DIR] };
  const catalog = await loadCatalog(args);
  const secrets = readSecrets(args.secret);
  // A throw-away tenant unless one is named: everything is rolled back anyway.
  const tenant = args.tenant === undefined ? undefined : await tenantOf(args);
  const { verifyBundles } = await import("../../src/runtime/verify-bundles.js");
  const result = await withDatabase(args, (db) =>
    verifyBundles(db.knex, {
      ...paths,
      catalog,
      secrets,
      ...(tenant === undefined ? {} : { tenant }),
      ...(args.payloadDir === undefined ? {} : { payloadDir: args.payloadDir }),
    }),
  );
  if (args.json) printJson(result);
  else printVerify(result, args.payloadDir);
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}

const secretOption = {
  type: "string",
  array: true,
  default: [],
  describe: "A secret for $secret references: NAME=VALUE",
} as const;

/** `workflow-seeder publish | run | resume | verify`: the reference runtime. */
export const runtimeCommand: CommandModule = (argv, run) =>
  argv
    .command(
      "publish",
      "Validate a workflow's draft and publish it as the next version",
      (y) =>
        y
          .option("key", { type: "string", describe: "Workflow key" })
          .option("workflow-id", { type: "string", describe: "Workflow id" })
          .option("actor", { type: "string", describe: "User UUID written to published_by / updated_by" }),
      run(runPublish),
    )
    .command(
      "run",
      "Run a published workflow in the reference runtime (no side effects: actions return {} unless registered)",
      (y) =>
        y
          .option("key", { type: "string", describe: "Workflow key" })
          .option("workflow-id", { type: "string", describe: "Workflow id" })
          .option("version", { type: "number", describe: "Published version (default: the latest)" })
          .option("payload", {
            type: "string",
            describe: "The payload: '<json>', @file.json, or - for stdin (default {})",
          })
          .option("secret", secretOption),
      run(runRun),
    )
    .command(
      "resume",
      "Deliver an event to a WAITING run and continue it",
      (y) =>
        y
          .option("run", { type: "string", demandOption: true, describe: "Run id" })
          .option("event", {
            type: "string",
            describe: "Event name (leave out to fire a time.wait or an event.wait timeout)",
          })
          .option("payload", { type: "string", describe: "The event payload: '<json>', @file.json, or - (default {})" })
          .option("correlation-key", {
            type: "string",
            describe: "The event's correlation key (must match the wait's)",
          })
          .option("secret", secretOption),
      run(runResume),
    )
    .command(
      "verify [files..]",
      `Import bundles into a throw-away tenant, publish every draft, run every workflow, report, roll back (default: ${DEFAULT_SEEDS_DIR})`,
      (y) =>
        y
          .positional("files", { type: "string", array: true, default: [], describe: "Bundle files or folders" })
          .option("dir", { type: "string", describe: `A folder of bundles (default ${DEFAULT_SEEDS_DIR})` })
          .option("payload-dir", {
            type: "string",
            describe:
              "A folder of <workflow key>.json sample payloads (default: every workflow runs with {}); a file naming no workflow verified is an error",
          })
          .option("secret", secretOption),
      run(runVerify),
    );
