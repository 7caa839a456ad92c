import type { z } from "zod";
import { type Issue, issue, type PathProblem, type ValidationResult } from "../errors.js";
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, type WorkflowBundle, WorkflowBundleSchema } from "./bundle-schema.js";
import { screenBundle } from "./bundle-screen.js";
import { collectJsonLimitProblems } from "./json-limits.js";
import { describeJsonType, isJsonObject, toJsonPointer } from "./json-value.js";
import { locateOffset, parseJsonText, type SourceOptions, withFile } from "./parse-json.js";

// Re-exported: JSON text parsing lives in parse-json.ts (no schema needed).
export { locateOffset, parseJsonText, type SourceOptions };

/**
 * Checks the header of a parsed document: an object whose `format` and `formatVersion` this tool
 * reads. Runs before the schema, so an old or foreign file gets one precise message.
 */
export function validateBundleHeader(value: unknown, options: SourceOptions = {}): Issue | null {
  if (!isJsonObject(value))
    return issue("INVALID_BUNDLE", withFile({ receivedType: describeJsonType(value) }, options));
  // A missing field stays undefined (left out of the JSON details, "missing" in the message), as in Alga.
  if (value.format !== BUNDLE_FORMAT)
    return issue("UNSUPPORTED_FORMAT", withFile({ received: value.format, expected: BUNDLE_FORMAT }, options));
  if (value.formatVersion !== BUNDLE_FORMAT_VERSION)
    return issue(
      "UNSUPPORTED_FORMAT_VERSION",
      withFile({ received: value.formatVersion, supported: [BUNDLE_FORMAT_VERSION] }, options),
    );
  return null;
}

/** True when the object at `path` inside `input` exists and lacks the path's last key. */
function isMissingProperty(input: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let parent: unknown = input;
  for (const segment of path.slice(0, -1)) {
    if (typeof parent !== "object" || parent === null) return false;
    parent = (parent as Record<PropertyKey, unknown>)[segment];
  }
  return isJsonObject(parent) && !Object.hasOwn(parent, path[path.length - 1] as PropertyKey);
}

/**
 * Turns zod issues into path problems (one per unknown key), in document order. With `input`
 * (the validated value), a type error on an absent property reads "required property is missing"
 * whatever the schema's own message (custom messages do not say "received undefined").
 */
export function collectPathProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: (string | number)[] = [],
  input?: unknown,
): PathProblem[] {
  const problems: PathProblem[] = [];
  for (const i of issues) {
    const segments = [...prefix, ...i.path.map((p) => (typeof p === "number" ? p : String(p)))];
    if (i.code === "unrecognized_keys") {
      for (const key of i.keys)
        problems.push({
          path: toJsonPointer([...segments, key]),
          message: "unknown property (not allowed by the schema)",
        });
    } else if (/received undefined$/.test(i.message) || (input !== undefined && isMissingProperty(input, i.path))) {
      problems.push({ path: toJsonPointer(segments), message: "required property is missing" });
    } else {
      problems.push({ path: toJsonPointer(segments), message: i.message });
    }
  }
  return problems;
}

/** Finds keys and published versions that appear more than once in a bundle. */
export function collectDuplicates(bundle: WorkflowBundle, options: SourceOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const byKey = new Map<string, number[]>();
  bundle.workflows.forEach((w, i) => {
    byKey.set(w.key, [...(byKey.get(w.key) ?? []), i]);
  });
  for (const [key, indexes] of byKey)
    if (indexes.length > 1) issues.push(issue("DUPLICATE_WORKFLOW_KEY", withFile({ key, indexes }, options)));
  for (const w of bundle.workflows) {
    const byVersion = new Map<number, number[]>();
    w.publishedVersions.forEach((v, i) => {
      byVersion.set(v.version, [...(byVersion.get(v.version) ?? []), i]);
    });
    for (const [version, indexes] of byVersion)
      if (indexes.length > 1)
        issues.push(issue("DUPLICATE_VERSION", withFile({ key: w.key, version, indexes }, options)));
  }
  return issues;
}

/**
 * Validates a parsed document as a workflow bundle v1: values no import can store (nested too
 * deep, not finite, NUL or unpaired surrogates: `VALUE_OUT_OF_RANGE`), then header, then schema
 * (every problem with its JSON pointer), then duplicate keys and versions. Returns the typed
 * bundle; the `definition` objects inside it are the very objects of the input (and, on the fast
 * path that a valid plain-JSON bundle takes, the whole bundle is the input itself).
 */
export function validateBundle(value: unknown, options: SourceOptions = {}): ValidationResult<WorkflowBundle> {
  const screened = screenBundle(value);
  return screened !== undefined ? { ok: true, value: screened.bundle } : validateBundleBySchema(value, options);
}

/**
 * {@link validateBundle} by the schema alone (no fast path): the verdict with every problem. The
 * typed bundle is a copy of the input's containers.
 */
export function validateBundleBySchema(value: unknown, options: SourceOptions = {}): ValidationResult<WorkflowBundle> {
  // Before the header: its messages echo `format`, and nothing may serialize a 20,000-level value.
  const limits = isJsonObject(value) ? collectJsonLimitProblems(value) : [];
  if (limits.length > 0)
    return { ok: false, issues: [issue("VALUE_OUT_OF_RANGE", withFile({ errors: limits }, options))] };
  const header = validateBundleHeader(value, options);
  if (header) return { ok: false, issues: [header] };
  const parsed = WorkflowBundleSchema.safeParse(value);
  if (!parsed.success)
    return {
      ok: false,
      issues: [
        issue(
          "SCHEMA_VALIDATION_FAILED",
          withFile({ errors: collectPathProblems(parsed.error.issues, [], value) }, options),
        ),
      ],
    };
  const duplicates = collectDuplicates(parsed.data, options);
  if (duplicates.length > 0) return { ok: false, issues: duplicates };
  return { ok: true, value: parsed.data };
}

/** {@link parseJsonText} then {@link validateBundle}. */
export function parseBundleText(text: string, options: SourceOptions = {}): ValidationResult<WorkflowBundle> {
  const json = parseJsonText(text, options);
  return json.ok ? validateBundle(json.value, options) : json;
}
