import { type Issue, issue, type ValidationResult } from "../errors.js";
import { isUuidString } from "../format/uuid-string.js";

/** What to do with a bundle workflow whose key already exists in the tenant. */
export type ConflictPolicy = "fail" | "replace" | "update" | "skip";

/** The conflict policies, for option parsing. */
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ["fail", "replace", "update", "skip"];

/** The default conflict policy: refuse to touch an existing key. */
export const DEFAULT_ON_CONFLICT: ConflictPolicy = "fail";

/** Import options as a command line or a query string gives them: not yet checked, absent when not given. */
export interface ImportOptionsInput {
  /** `fail`, `replace`, `update` or `skip`. Default {@link DEFAULT_ON_CONFLICT}. */
  onConflict?: string | undefined;
  /** Replace existing keys: `onConflict` replace, which `onConflict` may then not contradict. Default false. */
  force?: boolean | undefined;
  /** A user UUID written to created_by / updated_by / published_by. Default none (null). */
  actor?: string | undefined;
}

/** Import options checked and defaulted: what `importBundles` takes besides the tenant. */
export interface ParsedImportOptions {
  onConflict: ConflictPolicy;
  actor: string | null;
}

/** Where the options came from, so that an error names each one as its user wrote it. */
export interface ImportOptionSource {
  /** The user's name of each option, e.g. `--on-conflict` or `query parameter onConflict`. */
  names: Readonly<Record<keyof ImportOptionsInput, string>>;
  /** Shortens a received value before an error echoes it. Default: the value as given. */
  echo?: (value: string) => string;
}

/**
 * Checks import options and applies their defaults, in one place for the CLI and the HTTP API.
 * Every problem is an `INVALID_ARGUMENT` issue naming the option as `source` calls it.
 *
 * @example parseImportOptions({ onConflict: "update" }, source) // { ok: true, value: { onConflict: "update", actor: null } }
 */
export function parseImportOptions(
  input: ImportOptionsInput,
  source: ImportOptionSource,
): ValidationResult<ParsedImportOptions> {
  const echo = source.echo ?? ((value: string) => value);
  const issues: Issue[] = [];
  const invalid = (option: keyof ImportOptionsInput, received: string, expected: string) =>
    issues.push(issue("INVALID_ARGUMENT", { option: source.names[option], received: echo(received), expected }));
  let policy: ConflictPolicy | undefined;
  if (input.onConflict !== undefined) {
    if ((CONFLICT_POLICIES as readonly string[]).includes(input.onConflict))
      policy = input.onConflict as ConflictPolicy;
    else invalid("onConflict", input.onConflict, `one of ${CONFLICT_POLICIES.join(", ")}`);
  }
  if (input.force && policy !== undefined && policy !== "replace")
    invalid("onConflict", policy, "replace or nothing when force=true (force=true means onConflict=replace)");
  if (input.actor !== undefined && !isUuidString(input.actor)) invalid("actor", input.actor, "a UUID");
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: { onConflict: input.force ? "replace" : (policy ?? DEFAULT_ON_CONFLICT), actor: input.actor ?? null },
  };
}
