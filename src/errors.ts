/**
 * The one error type of workflow-seeder and the union of issues it can carry.
 *
 * Every expected failure is an {@link Issue}: a stable UPPER_SNAKE `code` (part of the CLI and
 * HTTP contract, equal to Alga's code where Alga has one) and structured `details`. Messages are
 * rendered from the data by {@link renderIssueMessage}; they name the subject and say how to fix it.
 *
 * This module is a leaf: it imports nothing from `src/`.
 */

/** One problem found in a document, located by a JSON pointer (`/workflows/0/key`). */
export interface PathProblem {
  /** JSON pointer into the document ("" is the root). */
  path: string;
  message: string;
}

/** One problem found in a workflow definition, located by Alga's step path. */
export interface DefinitionProblem extends PathProblem {
  code: string;
  /** `root.steps[2].then.steps[0]` style, when the problem is inside a step. */
  stepPath?: string;
}

/** What one workflow of a bundle needs and the catalog does not provide. */
export interface MissingDependencies {
  workflowKey: string;
  missingActions: string[];
  missingNodeTypes: string[];
  missingSchemaRefs: string[];
}

/** Where connection settings came from: `--database-url`, `DATABASE_URL`, the knexfile, or the embedded default. */
export type DatabaseSource = "flag" | "env" | "knexfile" | "default";

/**
 * How messages tell their reader to set something. The CLI names its options (the default,
 * {@link CLI_VOCABULARY}); the HTTP API names its headers and query parameters; the mocha plugin
 * its environment variables. Each edge passes its own to {@link renderIssueMessage}, so every
 * message is written once, and no edge rewrites another's wording.
 */
export interface MessageVocabulary {
  /** How to name the tenant to act on. */
  tenant: string;
  /** How to choose a conflict policy (`<policy>` is replace, update or skip). */
  onConflict: string;
  /** How to force an import over a conflict. */
  force: string;
  /** How to extend the runtime catalog (a sentence ending without a period). */
  catalog: string;
  /** How to see what workflows exist. */
  listWorkflows: string;
  /** How to export a workflow with the workflows it calls. */
  withCalledWorkflows: string;
  /** What to do when a database cannot be reached (a sentence ending with a period). */
  unreachableDatabase: (source: DatabaseSource | undefined) => string;
  /** What to do when the embedded database is used by another process (a sentence ending with a period). */
  busyEmbeddedDatabase: string;
  /** How a body over the server's limit can get through (after "Split the bundle"). */
  bodyLimit: string;
  /** How to present a token (a sentence ending with a period). */
  credentials: string;
}

/** The CLI's wording: its options, named with their command unless every command has them. */
export const CLI_VOCABULARY: MessageVocabulary = {
  tenant: "--tenant <uuid> or WORKFLOW_SEEDER_TENANT=<uuid>",
  onConflict: "`workflow-seeder import|up|plan --on-conflict <policy>`",
  force: "`workflow-seeder import --force`",
  catalog: "pass a catalog that declares them (--catalog <file>, or WORKFLOW_SEEDER_CATALOG=<file>)",
  listWorkflows: "`workflow-seeder list` lists what exists",
  withCalledWorkflows:
    "`workflow-seeder export --with-called-workflows` exports a workflow with the workflows it calls",
  unreachableDatabase: (source) => {
    switch (source) {
      case "flag":
        return "Start the PostgreSQL server there or correct --database-url; or leave --database-url (and DATABASE_URL) out to use the embedded database.";
      case "env":
        return "Start the PostgreSQL server there or correct DATABASE_URL; or unset DATABASE_URL to use the embedded database.";
      case "knexfile":
        return "Start the PostgreSQL server there or correct the knexfile's connection; or pass --database-url to use another database.";
      case "default":
        return "The embedded database could not be started; pass a PostgreSQL server with --database-url (or DATABASE_URL) instead.";
      default:
        return "Check that the server is running and the connection settings (--database-url, DATABASE_URL), then retry.";
    }
  },
  busyEmbeddedDatabase: "Wait for it to finish, or use a PostgreSQL server (--database-url) for concurrent runs.",
  bodyLimit: "raise the server's limit (`workflow-seeder serve --body-limit <bytes>`)",
  credentials:
    "Pass the server's token with `workflow-seeder import|export --token-file <file>` or WORKFLOW_SEEDER_TOKEN=<token>.",
};

/** The details of each issue, by code. The code type is derived from this map. */
export interface IssueDetailsByCode {
  INVALID_JSON: { file?: string; line: number; column: number; position: number; reason: string };
  INVALID_BUNDLE: { file?: string; receivedType: string };
  UNSUPPORTED_FORMAT: { file?: string; received: unknown; expected: string };
  UNSUPPORTED_FORMAT_VERSION: { file?: string; received: unknown; supported: number[] };
  SCHEMA_VALIDATION_FAILED: { file?: string; errors: PathProblem[] };
  DUPLICATE_WORKFLOW_KEY: {
    file?: string;
    key: string;
    indexes: number[];
    /** The other bundle that has the key, when the two are different bundles (files) imported together. */
    duplicateOf?: { file?: string; bundle: number; index: number };
  };
  DUPLICATE_VERSION: { file?: string; key: string; version: number; indexes: number[] };
  VALUE_OUT_OF_RANGE: { file?: string; errors: PathProblem[] };
  INVALID_DEFINITION: {
    file?: string;
    workflowKey: string;
    version: number | null;
    errors: DefinitionProblem[];
  };
  INVALID_DRAFT_DEFINITION: { workflowKey: string; errors: DefinitionProblem[] };
  MISSING_DEPENDENCIES: {
    file?: string;
    missingByWorkflow: MissingDependencies[];
    missingActions: string[];
    missingNodeTypes: string[];
    missingSchemaRefs: string[];
  };
  UNRESOLVED_WORKFLOW_REFERENCE: {
    workflowKey: string;
    stepPath: string;
    targetWorkflowId: string;
    targetVersion: number | null;
  };
  WORKFLOW_KEY_CONFLICT: { key: string; existingWorkflowId: string; tenant: string };
  WORKFLOW_NOT_FOUND: { workflowIds: string[]; keys: string[]; tenant: string };
  WORKFLOW_WITHOUT_KEY: { workflowIds: string[]; tenant: string };
  DATABASE_CONSTRAINT_VIOLATION: {
    constraint: string | null;
    table: string | null;
    sqlState: string;
    workflowKey: string | null;
    detail: string | null;
  };
  DATABASE_UNAVAILABLE: {
    target: string;
    reason: string;
    /** Where the connection settings came from, when a connection could not be opened. */
    source?: DatabaseSource;
  };
  DATABASE_ERROR: { sqlState: string | null; reason: string };
  EMBEDDED_DATABASE_BUSY: { dataDir: string; waitedMs: number };
  INVALID_TENANT: {
    received: string;
    /** The tenants of the database's `tenants` table, when no tenant was named and the default is not one of them. */
    tenants?: { tenant: string; name: string | null }[];
  };
  INVALID_ARGUMENT: { option: string; received: string; expected: string };
  FILE_NOT_FOUND: { file: string };
  FILE_READ_ERROR: { file: string; reason: string };
  FILE_WRITE_ERROR: { file: string; reason: string };
  NOT_CANONICAL: { files: string[] };
  INVALID_CATALOG: { file?: string; errors: PathProblem[] };
  INVALID_KNEXFILE: { file: string; reason: string };
  // seeder
  INVALID_SEED_NAME: { dir: string; files: string[]; pattern: string };
  SEED_CHECKSUM_MISMATCH: {
    seeds: { name: string; recordedChecksum: string; currentChecksum: string }[];
  };
  SEED_NOT_FOUND: { name: string; dir: string };
  SEED_ALREADY_EXISTS: { name: string; file: string };
  SEED_LOCK_TIMEOUT: { tenant: string; waitedMs: number };
  SEED_REVERT_BLOCKED: { seed: string; changedWorkflows: string[] };
  SEED_BASELINE_MISMATCH: {
    tenant: string;
    seeds: { seed: string; missingKeys: string[]; differentKeys: string[] }[];
  };
  INVALID_SEED_BUNDLE: { seed: string; issue: Issue };
  // runtime
  PUBLISH_VALIDATION_FAILED: { workflowKey: string | null; workflowId: string; errors: DefinitionProblem[] };
  NO_PUBLISHED_VERSION: { workflowKey: string | null; workflowId: string; version: number | null };
  WORKFLOW_PAUSED: { workflowKey: string | null; workflowId: string };
  CONCURRENCY_LIMIT_REACHED: { workflowKey: string | null; workflowId: string; limit: number; active: number };
  RUN_NOT_FOUND: { runId: string; tenant: string };
  RUN_NOT_WAITING: { runId: string; status: string };
  NO_MATCHING_WAIT: {
    runId: string;
    /** The event delivered, or `null` for a timer (resume without an event name). */
    eventName: string | null;
    correlationKey: string | null;
    /** What the run waits for: its open wait, or `null` when it has none. */
    waiting: { waitType: string; eventName: string | null; correlationKey: string | null; stepPath: string } | null;
  };
  INVALID_PAYLOAD: { source: string; reason: string };
  UNKNOWN_PAYLOAD_KEY: { payloadDir: string; files: string[]; unknownKeys: string[]; knownKeys: string[] };
  // http
  UNAUTHORIZED: { reason: string };
  FORBIDDEN: { tenant: string };
  PAYLOAD_TOO_LARGE: { limitBytes: number };
  UNSUPPORTED_MEDIA_TYPE: { received: string | null; expected: string };
  ROUTE_NOT_FOUND: { method: string; path: string };
  SERVER_CONFIG_INVALID: { reason: string };
  REMOTE_UNAVAILABLE: { url: string; reason: string };
  REMOTE_ERROR: { url: string; status: number; code: string | null; message: string };
  INTERNAL_ERROR: { requestId?: string };
}

/** A stable error code. */
export type IssueCode = keyof IssueDetailsByCode;

/** One issue: a code and the details that belong to it (a discriminated union on `code`). */
export type Issue = { [C in IssueCode]: { code: C; details: IssueDetailsByCode[C] } }[IssueCode];

/** The issue with a given code. */
export type IssueOf<C extends IssueCode> = Extract<Issue, { code: C }>;

/** The result of a validator that can find several problems. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** Builds an issue; keeps call sites short and type-checked. */
export function issue<C extends IssueCode>(code: C, details: IssueDetailsByCode[C]): IssueOf<C> {
  return { code, details } as IssueOf<C>;
}

const MAX_LISTED = 10;

function listProblems(problems: readonly PathProblem[]): string {
  const shown = problems.slice(0, MAX_LISTED).map((p) => `  - ${p.path === "" ? "(root)" : p.path}: ${p.message}`);
  if (problems.length > MAX_LISTED) shown.push(`  - ... and ${problems.length - MAX_LISTED} more`);
  return shown.join("\n");
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(", ");
  return names.length > MAX_LISTED ? `${shown}, ... (${names.length} in all)` : shown;
}

function inFile(file: string | undefined): string {
  return file ? `${file}: ` : "";
}

type Renderers = { [C in IssueCode]: (details: IssueDetailsByCode[C], say: MessageVocabulary) => string };

const RENDERERS: Renderers = {
  INVALID_JSON: (d) =>
    `${inFile(d.file)}not valid JSON at line ${d.line}, column ${d.column}: ${d.reason}.${/UTF-8/.test(d.reason) ? "" : " Fix the syntax there (a stray or missing comma, bracket or quote)."}`,
  INVALID_BUNDLE: (d) =>
    `${inFile(d.file)}a workflow bundle must be a JSON object, got ${d.receivedType}. Wrap the content as {"format": "alga-psa.workflow-bundle", "formatVersion": 1, "exportedAt": ..., "workflows": [...]}.`,
  UNSUPPORTED_FORMAT: (d) =>
    `${inFile(d.file)}"format" is ${JSON.stringify(d.received) ?? "missing"}; expected "${d.expected}". This file is not a workflow bundle, or was written by another tool.`,
  UNSUPPORTED_FORMAT_VERSION: (d) =>
    `${inFile(d.file)}"formatVersion" is ${JSON.stringify(d.received) ?? "missing"}; this tool reads formatVersion ${d.supported.join(", ")} only. Re-export the bundle with a tool that writes formatVersion ${d.supported.join(", ")}.`,
  SCHEMA_VALIDATION_FAILED: (d) =>
    `${inFile(d.file)}the bundle does not match the workflow bundle v1 schema (${d.errors.length} problem${d.errors.length === 1 ? "" : "s"}); fix each path below (see docs/schemas/workflow-bundle.v1.schema.json):\n${listProblems(d.errors)}`,
  DUPLICATE_WORKFLOW_KEY: (d) =>
    d.duplicateOf === undefined
      ? `${inFile(d.file)}workflow key "${d.key}" appears more than once (workflows ${d.indexes.join(", ")}). Keys identify workflows: rename or remove the duplicates.`
      : `workflow key "${d.key}" is in two of the bundles read together: ${d.duplicateOf.file ?? `bundle ${d.duplicateOf.bundle}`} (workflow ${d.duplicateOf.index}) and ${d.file ?? "a later bundle"} (workflow ${d.indexes.join(", ")}). Keys identify workflows: rename or remove one of them; if both files are seeds where the later one ships a new version of the key, read them as a seeds folder (\`workflow-seeder up\`, \`workflow-seeder import <folder>\`, \`workflow-seeder verify --dir <folder>\`).`,
  DUPLICATE_VERSION: (d) =>
    `${inFile(d.file)}workflow "${d.key}" lists published version ${d.version} more than once (publishedVersions ${d.indexes.join(", ")}). Keep one entry per version number.`,
  VALUE_OUT_OF_RANGE: (d) =>
    `${inFile(d.file)}values do not fit the database columns they are stored in; change them to fit:\n${listProblems(d.errors)}`,
  INVALID_DEFINITION: (d) =>
    `${inFile(d.file)}workflow "${d.workflowKey}" ${d.version === null ? "draft" : `published version ${d.version}`} is not a valid workflow definition; a published version must be valid. Fix:\n${listProblems(d.errors)}`,
  INVALID_DRAFT_DEFINITION: (d) =>
    `workflow "${d.workflowKey}": the draft is not a valid workflow definition (imported as work in progress; it cannot be published until fixed):\n${listProblems(d.errors)}`,
  MISSING_DEPENDENCIES: (d, say) => {
    const lines = d.missingByWorkflow.map((m) => {
      const parts = [
        m.missingActions.length ? `actions ${m.missingActions.join(", ")}` : "",
        m.missingNodeTypes.length ? `node types ${m.missingNodeTypes.join(", ")}` : "",
        m.missingSchemaRefs.length ? `schema refs ${m.missingSchemaRefs.join(", ")}` : "",
      ].filter(Boolean);
      return `  - ${m.workflowKey}: ${parts.join("; ")}`;
    });
    return `${inFile(d.file)}the runtime catalog does not provide what these workflows use:\n${lines.join("\n")}\nRegister them in the target runtime, or ${say.catalog}.`;
  },
  UNRESOLVED_WORKFLOW_REFERENCE: (d, say) =>
    `workflow "${d.workflowKey}" step ${d.stepPath} calls workflow ${d.targetWorkflowId}${d.targetVersion === null ? "" : ` version ${d.targetVersion}`}, which is neither in the bundle nor in the tenant. Import the called workflow too (${say.withCalledWorkflows}); publishing will fail until it exists.`,
  WORKFLOW_KEY_CONFLICT: (d, say) =>
    `workflow key "${d.key}" already exists in tenant ${d.tenant} (workflow ${d.existingWorkflowId}). Choose a conflict policy: replace, update or skip (${say.onConflict}), or force (${say.force}).`,
  WORKFLOW_NOT_FOUND: (d, say) => {
    const what = [
      d.workflowIds.length ? `workflow ids ${listNames(d.workflowIds)}` : "",
      d.keys.length ? `keys ${listNames(d.keys)}` : "",
    ].filter(Boolean);
    if (what.length === 0)
      return `tenant ${d.tenant} has no workflows to export. Check the tenant (${say.tenant}) and the database.`;
    return `no workflow in tenant ${d.tenant} has ${what.join(" or ")}. Check the tenant (${say.tenant}) and the ids or keys (${say.listWorkflows}).`;
  },
  WORKFLOW_WITHOUT_KEY: (d) =>
    `workflows ${listNames(d.workflowIds)} in tenant ${d.tenant} have no key, and a bundle identifies workflows by key. Give each one a key (UPDATE workflow_definitions SET key = '<key>' WHERE workflow_id = ...), then export again.`,
  DATABASE_CONSTRAINT_VIOLATION: (d) =>
    `the database rejected the import${d.workflowKey ? ` of workflow "${d.workflowKey}"` : ""}: constraint ${d.constraint ?? "(unnamed)"} on table ${d.table ?? "(unknown)"} (SQLSTATE ${d.sqlState})${d.detail ? `: ${d.detail}` : ""}. Nothing was written; fix the data or the conflicting rows and retry.`,
  DATABASE_UNAVAILABLE: (d, say) =>
    `cannot connect to the database ${d.target}: ${d.reason}. ${say.unreachableDatabase(d.source)}`,
  DATABASE_ERROR: (d) =>
    `the database reported an error${d.sqlState ? ` (SQLSTATE ${d.sqlState})` : ""}: ${d.reason}. Nothing was written.`,
  EMBEDDED_DATABASE_BUSY: (d, say) =>
    `the embedded database in ${d.dataDir} is used by another workflow-seeder process (waited ${d.waitedMs} ms). ${say.busyEmbeddedDatabase}`,
  INVALID_TENANT: (d, say) => {
    if (d.tenants === undefined)
      return `${d.received === "" ? "no tenant was named" : `tenant ${JSON.stringify(d.received)} is not a UUID`}. Name the tenant with ${say.tenant}.`;
    const which =
      d.tenants.length === 0
        ? "its tenants table is empty"
        : `it has ${d.tenants.length} tenants: ${listNames(d.tenants.map((t) => (t.name === null ? t.tenant : `${t.tenant} (${t.name})`)))}`;
    return `no tenant was named, and the development tenant ${d.received} is not a tenant of this database (${which}). Name the tenant to use: ${say.tenant}.`;
  },
  INVALID_ARGUMENT: (d) => `${d.option} is ${JSON.stringify(d.received)}; expected ${d.expected}.`,
  FILE_NOT_FOUND: (d) => `${d.file}: no such file or directory. Check the path.`,
  FILE_READ_ERROR: (d) => `${d.file}: cannot read: ${d.reason}.`,
  FILE_WRITE_ERROR: (d) => `${d.file}: cannot write: ${d.reason}.`,
  NOT_CANONICAL: (d) =>
    `${d.files.length} file${d.files.length === 1 ? " is" : "s are"} not in canonical form: ${listNames(d.files)}. Run \`workflow-seeder fmt <file...>\` to rewrite them.`,
  INVALID_CATALOG: (d) =>
    `${inFile(d.file)}not a valid runtime catalog (see docs/guides/workflow-import-export.md#catalog):\n${listProblems(d.errors)}`,
  INVALID_KNEXFILE: (d) => `${d.file}: cannot load connection settings: ${d.reason}.`,
  INVALID_SEED_NAME: (d) =>
    `${d.files.length} file${d.files.length === 1 ? "" : "s"} in ${d.dir} do not follow the seed naming pattern ${d.pattern}: ${listNames(d.files)}. Rename them (\`workflow-seeder new <name>\` shows the pattern) or move them out of the seeds folder.`,
  SEED_CHECKSUM_MISMATCH: (d) =>
    `applied seeds were modified after they were applied: ${d.seeds.map((s) => `${s.name} (recorded ${s.recordedChecksum}, now ${s.currentChecksum})`).join("; ")}. Ship the change as a new seed, or re-run with \`workflow-seeder up|plan --on-change reapply\` (re-import) or \`workflow-seeder up|plan --on-change warn\`.`,
  SEED_NOT_FOUND: (d) => `no seed named "${d.name}" in ${d.dir}. Run \`workflow-seeder status\` to list seeds.`,
  SEED_ALREADY_EXISTS: (d) => `seed "${d.name}" already exists (${d.file}). Choose another name.`,
  SEED_LOCK_TIMEOUT: (d) =>
    `another seeder holds the seed lock for tenant ${d.tenant} (waited ${d.waitedMs} ms). Retry when it finishes; the lock is released automatically if that process dies.`,
  SEED_REVERT_BLOCKED: (d) =>
    `cannot revert seed ${d.seed}: workflows ${listNames(d.changedWorkflows)} were changed in the database after seeding. Re-run with \`workflow-seeder down --force\` to revert them anyway.`,
  SEED_BASELINE_MISMATCH: (d) =>
    `cannot record ${d.seeds.length === 1 ? "a seed" : `${d.seeds.length} seeds`} as applied in tenant ${d.tenant}: the tenant does not hold their workflows as the seeds have them (nothing was recorded): ${d.seeds
      .map(
        (s) =>
          `${s.seed} (${[s.missingKeys.length ? `missing ${listNames(s.missingKeys)}` : "", s.differentKeys.length ? `different ${listNames(s.differentKeys)}` : ""].filter(Boolean).join("; ")})`,
      )
      .join(
        "; ",
      )}. Apply them instead (\`workflow-seeder plan --on-conflict update --diff\` shows what would change, \`workflow-seeder up --on-conflict update\` writes the seeds' versions over the workflows that exist), baseline only the seeds before them (\`workflow-seeder baseline --to <seed>\`), or record them anyway (\`workflow-seeder baseline --force\`).`,
  INVALID_SEED_BUNDLE: (d, say) => `seed ${d.seed}: ${renderIssueMessage(d.issue, say)}`,
  PUBLISH_VALIDATION_FAILED: (d) =>
    `workflow ${d.workflowKey ?? d.workflowId}: the draft cannot be published (${d.errors.length} error${d.errors.length === 1 ? "" : "s"}); fix:\n${d.errors
      .slice(0, MAX_LISTED)
      .map((e) => `  - [${e.code}] ${e.stepPath ?? (e.path || "(root)")}: ${e.message}`)
      .join("\n")}`,
  NO_PUBLISHED_VERSION: (d) =>
    `workflow ${d.workflowKey ?? d.workflowId} has no published version${d.version === null ? "" : ` ${d.version}`}. Publish it first (\`workflow-seeder publish --key ...\`).`,
  WORKFLOW_PAUSED: (d) =>
    `workflow ${d.workflowKey ?? d.workflowId} is paused (metadata.isPaused); no run starts while it is. To unpause it, set "isPaused": false in its bundle and import it again with \`workflow-seeder import --on-conflict update\` (it keeps its id and runs).`,
  CONCURRENCY_LIMIT_REACHED: (d) =>
    `workflow ${d.workflowKey ?? d.workflowId} already has ${d.active} active run(s), its concurrency limit is ${d.limit}. Wait for runs to finish (resume or finish the WAITING ones), or raise metadata.concurrencyLimit in its bundle and import it again with \`workflow-seeder import --on-conflict update\`.`,
  RUN_NOT_FOUND: (d) => `no run ${d.runId} in tenant ${d.tenant}.`,
  RUN_NOT_WAITING: (d) => `run ${d.runId} is ${d.status}, not WAITING; only a waiting run can be resumed.`,
  NO_MATCHING_WAIT: (d) => {
    const asked =
      d.eventName === null
        ? "a timer"
        : `event "${d.eventName}"${d.correlationKey === null ? "" : ` with correlation key "${d.correlationKey}"`}`;
    const w = d.waiting;
    if (w === null) return `run ${d.runId} is not waiting for ${asked}: it has no open wait.`;
    if (w.eventName === null || w.waitType === "time")
      return `run ${d.runId} is not waiting for ${asked}: it waits at ${w.stepPath} for a timer. Fire it with \`workflow-seeder resume --run ${d.runId}\`.`;
    const key = w.correlationKey === null ? "" : ` with correlation key "${w.correlationKey}"`;
    const command =
      w.correlationKey === null
        ? `workflow-seeder resume --run ${d.runId} --event ${w.eventName} --payload '<json>'`
        : `workflow-seeder resume --run ${d.runId} --event ${w.eventName} --correlation-key ${w.correlationKey} --payload '<json>'`;
    return `run ${d.runId} is not waiting for ${asked}${d.eventName === null ? "" : " (or the event's filters do not match its payload)"}: it waits at ${w.stepPath} for event "${w.eventName}"${key}. Deliver that event with \`${command}\`${w.waitType === "event" ? ", a payload its filters accept" : ""}.`;
  },
  INVALID_PAYLOAD: (d) =>
    `payload from ${d.source} is not usable: ${d.reason}. Pass a JSON object (\`workflow-seeder run|resume --payload '{...}'\` or \`workflow-seeder run|resume --payload @file.json\`).`,
  UNKNOWN_PAYLOAD_KEY: (d) =>
    `${d.payloadDir}: ${d.files.length === 1 ? "payload file" : "payload files"} ${listNames(d.files)} ${d.files.length === 1 ? "names no workflow" : "name no workflow"} being verified (${listNames(d.unknownKeys.map((k) => JSON.stringify(k)))}). A payload file is <workflow key>.json for a workflow of the bundles verified${d.knownKeys.length > 0 ? ` (${listNames(d.knownKeys)})` : ""}: rename it to match its workflow's key, or remove it.`,
  UNAUTHORIZED: (d, say) => `authentication required: ${d.reason}. ${say.credentials}`,
  FORBIDDEN: (d) => `this token is not allowed to act on tenant ${d.tenant}.`,
  PAYLOAD_TOO_LARGE: (d, say) =>
    `the request body is larger than the limit of ${d.limitBytes} bytes. Split the bundle, or ${say.bodyLimit}.`,
  UNSUPPORTED_MEDIA_TYPE: (d) =>
    `content type ${d.received ?? "(none)"} is not supported; send the bundle as ${d.expected}.`,
  ROUTE_NOT_FOUND: (d) => `no route ${d.method} ${d.path}. See docs/guides/http-api.md.`,
  SERVER_CONFIG_INVALID: (d) => `cannot start the server: ${d.reason}.`,
  REMOTE_UNAVAILABLE: (d) =>
    `cannot reach ${d.url}: ${d.reason}. Check the URL given to \`workflow-seeder import|export --server\` and that the server is running.`,
  REMOTE_ERROR: (d) =>
    `${d.url} answered HTTP ${d.status}${d.code === null ? "" : ` [${d.code}]`}: ${d.message}. Check that the URL given to \`workflow-seeder import|export --server\` is a workflow-seeder API of the same version.`,
  INTERNAL_ERROR: (d) =>
    `an internal error occurred${d.requestId ? ` (request ${d.requestId})` : ""}; it was logged. Please report it.`,
};

/** True when `value` is an error code this version knows (e.g. one received from a server). */
export function isIssueCode(value: unknown): value is IssueCode {
  return typeof value === "string" && Object.hasOwn(RENDERERS, value);
}

/**
 * Renders the human message of an issue from its data, with the wording of the edge it is shown
 * at (default: the CLI's).
 */
export function renderIssueMessage(value: Issue, vocabulary: MessageVocabulary = CLI_VOCABULARY): string {
  const render = RENDERERS[value.code] as (details: Issue["details"], say: MessageVocabulary) => string;
  return render(value.details, vocabulary);
}

/**
 * The one error type: an expected failure carrying one or more {@link Issue}s. `issue` is the
 * first (its code is the error's code); `issues` holds all of them, for validators that find
 * several problems at once.
 */
export class WorkflowSeederError extends Error {
  readonly issue: Issue;
  readonly issues: readonly Issue[];

  constructor(value: Issue | readonly Issue[], options?: { cause?: unknown }) {
    const issues = Array.isArray(value) ? (value as readonly Issue[]) : [value as Issue];
    if (issues.length === 0) throw new RangeError("WorkflowSeederError needs at least one issue");
    super(issues.map((i) => renderIssueMessage(i)).join("\n"), options);
    this.name = "WorkflowSeederError";
    this.issue = issues[0] as Issue;
    this.issues = issues;
  }

  get code(): IssueCode {
    return this.issue.code;
  }

  get details(): Issue["details"] {
    return this.issue.details;
  }

  /**
   * The wire form used by `--json` and the HTTP API: `{error: {code, message, details}}`, plus
   * `issues` (each with its own code, message and details) when there is more than one.
   */
  toJSON(): { error: ErrorBody } {
    const body: ErrorBody = { code: this.issue.code, message: this.message, details: this.issue.details };
    if (this.issues.length > 1)
      body.issues = this.issues.map((i) => ({ code: i.code, message: renderIssueMessage(i), details: i.details }));
    return { error: body };
  }
}

/** The body of an error on the wire. */
export interface ErrorBody {
  code: IssueCode;
  message: string;
  details: Issue["details"];
  issues?: { code: IssueCode; message: string; details: Issue["details"] }[];
}

/** The wire form of one issue (`{code, message, details}`), as warnings are reported. */
export function toIssueBody(value: Issue): { code: IssueCode; message: string; details: Issue["details"] } {
  return { code: value.code, message: renderIssueMessage(value), details: value.details };
}

/** Throws a {@link WorkflowSeederError} for an issue. */
export function fail<C extends IssueCode>(code: C, details: IssueDetailsByCode[C], cause?: unknown): never {
  throw new WorkflowSeederError(issue(code, details), cause === undefined ? undefined : { cause });
}

/** True when `error` is a {@link WorkflowSeederError}, optionally with the given code. */
export function isWorkflowSeederError(error: unknown, code?: IssueCode): error is WorkflowSeederError {
  return error instanceof WorkflowSeederError && (code === undefined || error.issue.code === code);
}
