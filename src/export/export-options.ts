import { type Issue, issue, type ValidationResult } from "../errors.js";
import { isRfc3339DateTime } from "../format/date-time.js";
import { isUuidString } from "../format/portable-id.js";

/** Export options as a command line or a query string gives them: not yet checked, absent when not given. */
export interface ExportOptionsInput {
  /** Keys of the workflows to export. Default none. */
  keys?: readonly string[] | undefined;
  /** Ids of the workflows to export. Default none. */
  workflowIds?: readonly string[] | undefined;
  /** Export every workflow of the tenant. Default false. */
  all?: boolean | undefined;
  /** Also export every workflow reachable through `control.callWorkflow`. Default false. */
  withCalledWorkflows?: boolean | undefined;
  /** The bundle's `exportedAt`, an RFC 3339 date-time. Default: the time of the export. */
  exportedAt?: string | undefined;
}

/** Export options checked and defaulted: what `exportBundle` takes besides the tenant. */
export interface ParsedExportOptions {
  keys: string[];
  workflowIds: string[];
  all: boolean;
  withCalledWorkflows: boolean;
  exportedAt?: string;
}

/** Where the options came from, so that an error names each one as its user wrote it. */
export interface ExportOptionSource {
  /** The user's name of each option, e.g. `--exported-at` or `query parameter exportedAt`. */
  names: Readonly<Record<keyof ExportOptionsInput, string>>;
  /** Shortens a received value before an error echoes it. Default: the value as given. */
  echo?: (value: string) => string;
}

/**
 * Checks export options and applies their defaults, in one place for the CLI and the HTTP API.
 * Every problem is an `INVALID_ARGUMENT` issue naming the option as `source` calls it, all of
 * them reported: `all` with `keys` or `workflowIds` (it exports every workflow, so the names
 * would be silently ignored), a workflow id that is not a UUID, an `exportedAt` that is not
 * RFC 3339. That something is selected
 * is left to the caller to require (the CLI and the API word that differently), and unknown ids
 * or keys to the export (`WORKFLOW_NOT_FOUND`).
 *
 * @example parseExportOptions({ keys: ["a"], exportedAt: "2026-01-01T00:00:00.000Z" }, source)
 */
export function parseExportOptions(
  input: ExportOptionsInput,
  source: ExportOptionSource,
): ValidationResult<ParsedExportOptions> {
  const echo = (value: string) => (source.echo ? source.echo(value) : value);
  const { names } = source;
  const issues: Issue[] = [];
  if (input.all === true)
    for (const option of ["keys", "workflowIds"] as const) {
      const given = input[option] ?? [];
      if (given.length > 0)
        issues.push(
          issue("INVALID_ARGUMENT", {
            option: names[option],
            received: echo(given.join(", ")),
            expected: `no ${names[option]} together with ${names.all}, which exports every workflow: drop ${names.all} to export only the named workflows, or drop ${names[option]}`,
          }),
        );
    }
  // Refused before the database, as an option error: a malformed id can name no workflow, and
  // WORKFLOW_NOT_FOUND would send the user looking in the wrong tenant.
  for (const id of input.workflowIds ?? [])
    if (!isUuidString(id))
      issues.push(
        issue("INVALID_ARGUMENT", { option: names.workflowIds, received: echo(id), expected: "a workflow UUID" }),
      );
  if (input.exportedAt !== undefined && !isRfc3339DateTime(input.exportedAt))
    issues.push(
      issue("INVALID_ARGUMENT", {
        option: names.exportedAt,
        received: echo(input.exportedAt),
        expected: "an RFC 3339 date-time such as 2026-01-01T00:00:00.000Z",
      }),
    );
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      keys: [...(input.keys ?? [])],
      workflowIds: [...(input.workflowIds ?? [])],
      all: input.all ?? false,
      withCalledWorkflows: input.withCalledWorkflows ?? false,
      ...(input.exportedAt === undefined ? {} : { exportedAt: input.exportedAt }),
    },
  };
}
