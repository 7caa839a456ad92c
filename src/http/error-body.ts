import {
  type Issue,
  type IssueCode,
  type IssueDetailsByCode,
  isIssueCode,
  type MessageVocabulary,
  renderIssueMessage,
  type WorkflowSeederError,
} from "../errors.js";

/**
 * The HTTP API's wording of hints: a client sets the tenant with a header and the options with
 * query parameters; what only the server's operator can change (catalog, body limit, database) is
 * said to be theirs. No CLI option is named to a client.
 */
export const HTTP_VOCABULARY: MessageVocabulary = {
  tenant: "the x-tenant-id header",
  onConflict: "query parameter onConflict=<policy>",
  force: "query parameter force=true",
  catalog: "have the server started with a runtime catalog that declares them",
  listWorkflows: "GET /api/workflow-definitions/export?all=true exports what exists",
  withCalledWorkflows: "export it with the query parameter withCalledWorkflows=true",
  unreachableDatabase: () => "Retry later; if it persists, the server's operator must check its database.",
  busyEmbeddedDatabase: "Retry later; the server's operator can give it a PostgreSQL server for concurrent use.",
  bodyLimit: "have the server's body limit raised",
  credentials: 'Send "Authorization: Bearer <token>" or the cookie "workflow_seeder_token=<token>".',
};

/** The message of an issue as the HTTP API words it (see {@link HTTP_VOCABULARY}). */
export function renderHttpIssueMessage(value: Issue): string {
  return renderIssueMessage(value, HTTP_VOCABULARY);
}

/** One issue as the HTTP API sends it: code, rendered message, and details under both sets of names. */
export interface HttpIssueBody {
  code: IssueCode;
  message: string;
  /** The details of the issue, plus Alga's names for the fields Alga names differently. */
  details: Record<string, unknown>;
}

/**
 * The body of every error answer of the HTTP API:
 *
 * ```json
 * {"error": "<message>", "code": "WORKFLOW_KEY_CONFLICT", "message": "<message>", "details": {...}}
 * ```
 *
 * `error` is the message again, as a string, because Alga's server answers `{"error": "<message>",
 * "details"?}` and Alga's workflow-bundle CLI prints that field: an object there would print as
 * `[object Object]`. `issues` lists every issue when there are several (`code` and `details` are
 * those of the first; `message` and `error` join all the messages, one per line).
 */
export interface HttpErrorBody extends HttpIssueBody {
  error: string;
  issues?: HttpIssueBody[];
}

/** How one code's details gain Alga's names on the way out, and lose them again on the way in. */
interface AlgaDetailNames<C extends IssueCode> {
  add(details: IssueDetailsByCode[C]): Record<string, unknown>;
  /** The exact details the server raised (same keys, same order), from the sent ones. */
  remove(details: Record<string, unknown>): IssueDetailsByCode[C];
}

type ActionRef = { actionId: string; version: number };
type MissingEntry = Record<string, unknown> & { missingActions?: unknown; missingActionRefs?: unknown };

/** `"email.send@1"` as Alga lists a missing action. */
function toActionObject(ref: string): ActionRef {
  const at = ref.lastIndexOf("@");
  // Refs are written as `${actionId}@${version}` from schema-checked dependencies, so `@` is there.
  return at === -1
    ? { actionId: ref, version: Number.NaN }
    : { actionId: ref.slice(0, at), version: Number(ref.slice(at + 1)) };
}

function toActionRef(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const { actionId, version } = value as Partial<ActionRef>;
  return `${actionId}@${version}`;
}

/**
 * Alga lists missing actions as `{actionId, version}` objects under the name ours uses for
 * `actionId@version` strings: the objects take the name, the strings move to `missingActionRefs`.
 */
function addActionObjects<T extends { missingActions: string[] }>(entry: T): Record<string, unknown> {
  return {
    ...entry,
    missingActions: entry.missingActions.map(toActionObject),
    missingActionRefs: entry.missingActions,
  };
}

function removeActionObjects(entry: MissingEntry): Record<string, unknown> {
  const { missingActionRefs, ...rest } = entry;
  const refs = Array.isArray(missingActionRefs)
    ? missingActionRefs
    : Array.isArray(rest.missingActions)
      ? rest.missingActions.map(toActionRef)
      : rest.missingActions;
  // Assigning an existing key keeps its position, so the details come back in the server's order.
  return { ...rest, missingActions: refs };
}

function omit(details: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).filter(([name]) => !names.includes(name)));
}

const ALGA_DETAIL_NAMES: { readonly [C in IssueCode]?: AlgaDetailNames<C> } = {
  WORKFLOW_KEY_CONFLICT: {
    add: (d) => ({ ...d, workflowKey: d.key }),
    remove: (d) => omit(d, ["workflowKey"]) as IssueDetailsByCode["WORKFLOW_KEY_CONFLICT"],
  },
  UNSUPPORTED_FORMAT: {
    add: (d) => ({ ...d, expectedFormat: d.expected, receivedFormat: d.received }),
    remove: (d) => omit(d, ["expectedFormat", "receivedFormat"]) as IssueDetailsByCode["UNSUPPORTED_FORMAT"],
  },
  UNSUPPORTED_FORMAT_VERSION: {
    // Alga names one expected version; ours lists the versions read (one today): the newest is named.
    add: (d) => ({
      ...d,
      expectedFormatVersion: d.supported.length > 0 ? Math.max(...d.supported) : null,
      receivedFormatVersion: d.received,
    }),
    remove: (d) =>
      omit(d, ["expectedFormatVersion", "receivedFormatVersion"]) as IssueDetailsByCode["UNSUPPORTED_FORMAT_VERSION"],
  },
  SCHEMA_VALIDATION_FAILED: {
    // Alga's errors are Ajv's, located by `instancePath`: the same JSON pointer as our `path`.
    add: (d) => ({ ...d, errors: d.errors.map((e) => ({ ...e, instancePath: e.path })) }),
    remove: (d) =>
      ({
        ...d,
        errors: Array.isArray(d.errors)
          ? d.errors.map((e) => omit(e as Record<string, unknown>, ["instancePath"]))
          : d.errors,
      }) as IssueDetailsByCode["SCHEMA_VALIDATION_FAILED"],
  },
  MISSING_DEPENDENCIES: {
    add: (d) => ({ ...addActionObjects(d), missingByWorkflow: d.missingByWorkflow.map(addActionObjects) }),
    remove: (d) =>
      ({
        ...removeActionObjects(d),
        missingByWorkflow: Array.isArray(d.missingByWorkflow)
          ? d.missingByWorkflow.map((m) => removeActionObjects(m as MissingEntry))
          : d.missingByWorkflow,
      }) as IssueDetailsByCode["MISSING_DEPENDENCIES"],
  },
  WORKFLOW_NOT_FOUND: {
    add: (d) => ({ ...d, missingWorkflowIds: d.workflowIds }),
    remove: (d) => omit(d, ["missingWorkflowIds"]) as IssueDetailsByCode["WORKFLOW_NOT_FOUND"],
  },
};

function namesOf(code: IssueCode): AlgaDetailNames<IssueCode> | undefined {
  return ALGA_DETAIL_NAMES[code] as AlgaDetailNames<IssueCode> | undefined;
}

function toHttpIssueBody(value: Issue): HttpIssueBody {
  const names = namesOf(value.code);
  const details = names ? names.add(value.details as never) : (value.details as Record<string, unknown>);
  return { code: value.code, message: renderHttpIssueMessage(value), details };
}

/**
 * The HTTP body of an error (see {@link HttpErrorBody}); pure. Details keep every field of the
 * CLI's `--json` output and add Alga's names where Alga names a field differently:
 * `workflowKey` (conflicts), `expectedFormat`/`receivedFormat`, `expectedFormatVersion`/
 * `receivedFormatVersion`, `instancePath` in schema errors, `missingWorkflowIds`, and
 * `missingActions` as `{actionId, version}` objects (our `actionId@version` strings are then under
 * `missingActionRefs`).
 *
 * @example toHttpErrorBody(new WorkflowSeederError(issue("FORBIDDEN", { tenant })))
 * // { error: "this token is not allowed ...", code: "FORBIDDEN", message: "this token ...", details: { tenant } }
 */
export function toHttpErrorBody(error: WorkflowSeederError): HttpErrorBody {
  const first = toHttpIssueBody(error.issue);
  // Not error.message: that is the CLI's wording.
  const message = error.issues.map(renderHttpIssueMessage).join("\n");
  const body: HttpErrorBody = {
    error: message,
    code: first.code,
    message,
    details: first.details,
  };
  if (error.issues.length > 1) body.issues = error.issues.map(toHttpIssueBody);
  return body;
}

function toIssue(value: unknown): Issue | null {
  const { code, details } = (value ?? {}) as { code?: unknown; details?: unknown };
  if (!isIssueCode(code) || typeof details !== "object" || details === null || Array.isArray(details)) return null;
  const names = namesOf(code);
  return { code, details: names ? names.remove(details as Record<string, unknown>) : details } as Issue;
}

/**
 * The issues an error answer of a workflow-seeder API carries, with the details exactly as the
 * server raised them (Alga's added names removed); `null` when the body is not such an answer.
 * Reads {@link HttpErrorBody} and the `{"error": {code, message, details, issues?}}` body of
 * earlier versions.
 */
export function parseHttpErrorBody(body: unknown): Issue[] | null {
  if (typeof body !== "object" || body === null) return null;
  const record = body as { error?: unknown; code?: unknown; issues?: unknown };
  // Earlier versions nested the body under `error`; today `error` is the message string.
  const source = typeof record.error === "object" && record.error !== null ? (record.error as typeof record) : record;
  const listed = Array.isArray(source.issues) ? (source.issues as unknown[]) : [source];
  const issues = listed.map(toIssue);
  return issues.length > 0 && issues.every((i) => i !== null) ? (issues as Issue[]) : null;
}

/** An issue as a result reports it (an import's warnings): code, message and details. */
export interface IssueReport {
  code: string;
  message: string;
  details: unknown;
}

/**
 * The same reports with each message rendered again by `render` from the code and details (a
 * code this version does not know keeps its message): the server words an import's warnings for
 * HTTP clients, the remote client words them back for the CLI.
 */
export function rewordIssueReports<T extends IssueReport>(
  reports: readonly T[],
  render: (value: Issue) => string,
): T[] {
  return reports.map((r) =>
    isIssueCode(r.code) && typeof r.details === "object" && r.details !== null
      ? { ...r, message: render({ code: r.code, details: r.details } as Issue) }
      : r,
  );
}
