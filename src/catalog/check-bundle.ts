import { type Issue, issue } from "../errors.js";
import type { BundleWorkflow, WorkflowBundle } from "../format/bundle-schema.js";
import { screenBundle } from "../format/bundle-screen.js";
import { validateWorkflowDefinition } from "../format/definition-schema.js";
import { isJsonEqual } from "../format/json-equal.js";
import { toJsonPointer } from "../format/json-value.js";
import { parseJsonText, type SourceOptions, validateBundleBySchema } from "../format/parse-bundle.js";
import { collectRangeProblems, fitsNumeric52 } from "./check-columns.js";
import { collectDependencyIssues, collectMissingDependencies } from "./check-dependencies.js";
import type { RuntimeCatalog } from "./runtime-catalog.js";

// Re-exported: the checks that need no schema library live in check-columns.ts and check-dependencies.ts.
export { collectMissingDependencies, collectRangeProblems, fitsNumeric52 };

/** Options of {@link checkBundle}. */
export interface CheckBundleOptions extends SourceOptions {
  /** The runtime catalog dependencies are checked against. Default: {@link DEFAULT_CATALOG}. */
  catalog?: RuntimeCatalog;
}

/** Options of {@link checkBundleContent}. */
export interface CheckContentOptions extends CheckBundleOptions {
  /**
   * Definitions of the bundle already known to be valid (what {@link checkBundleStructure}
   * returns): they are not validated again. Default: none.
   */
  validDefinitions?: ReadonlySet<unknown>;
}

/** The verdict on one bundle: the typed bundle and its warnings, or the issues that reject it. */
export type CheckBundleResult =
  | { ok: true; bundle: WorkflowBundle; warnings: Issue[] }
  | { ok: false; issues: Issue[]; warnings: Issue[] };

/** The verdict of {@link checkBundleStructure}: also the definitions the fast path found valid. */
export type CheckStructureResult =
  | { ok: true; bundle: WorkflowBundle; warnings: Issue[]; validDefinitions?: ReadonlySet<unknown> }
  | { ok: false; issues: Issue[]; warnings: Issue[] };

/** Invalid published versions (errors) and invalid drafts (warnings) of every workflow. */
export function collectDefinitionIssues(
  bundle: WorkflowBundle,
  options: SourceOptions & { validDefinitions?: ReadonlySet<unknown> } = {},
): { errors: Issue[]; warnings: Issue[] } {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  bundle.workflows.forEach((w, i) => {
    collectWorkflowDefinitionIssues(w, i, options, errors, warnings);
  });
  return { errors, warnings };
}

const KNOWN_VALID = { ok: true } as const;

function collectWorkflowDefinitionIssues(
  w: BundleWorkflow,
  i: number,
  options: SourceOptions & { validDefinitions?: ReadonlySet<unknown> },
  errors: Issue[],
  warnings: Issue[],
): void {
  const valid = options.validDefinitions;
  const validate = (definition: unknown) =>
    valid?.has(definition) ? KNOWN_VALID : validateWorkflowDefinition(definition);
  const draft = validate(w.draft.definition);
  w.publishedVersions.forEach((v, j) => {
    // Most published versions equal their draft: one validation serves both.
    const result =
      valid?.has(v.definition) || !isJsonEqual(v.definition, w.draft.definition) ? validate(v.definition) : draft;
    if (!result.ok) {
      const prefix = toJsonPointer(["workflows", i, "publishedVersions", j, "definition"]);
      const details = {
        workflowKey: w.key,
        version: v.version,
        errors: result.problems.map((p) => ({ ...p, path: prefix + p.path })),
      };
      errors.push(
        issue("INVALID_DEFINITION", options.file === undefined ? details : { file: options.file, ...details }),
      );
    }
  });
  if (!draft.ok) {
    const prefix = toJsonPointer(["workflows", i, "draft", "definition"]);
    warnings.push(
      issue("INVALID_DRAFT_DEFINITION", {
        workflowKey: w.key,
        errors: draft.problems.map((p) => ({ ...p, path: prefix + p.path })),
      }),
    );
  }
}

/**
 * Every offline check of a parsed document, in order, stopping at the first stage that fails:
 * header → schema → duplicates → value ranges → definitions → dependencies.
 */
export function checkBundle(value: unknown, options: CheckBundleOptions = {}): CheckBundleResult {
  const structure = checkBundleStructure(value, options);
  if (!structure.ok) return structure;
  const content = checkBundleContent(
    structure.bundle,
    structure.validDefinitions === undefined ? options : { ...options, validDefinitions: structure.validDefinitions },
  );
  return content.issues.length > 0
    ? { ok: false, issues: content.issues, warnings: content.warnings }
    : { ok: true, bundle: structure.bundle, warnings: content.warnings };
}

/**
 * The first checks of {@link checkBundle}: value limits, header, schema, duplicates, value ranges.
 * A bundle that passes has the shape import needs to build its rows.
 */
export function checkBundleStructure(value: unknown, options: CheckBundleOptions = {}): CheckStructureResult {
  const source: SourceOptions = options.file === undefined ? {} : { file: options.file };
  // The fast path also tells which definitions are valid, so the content check skips them.
  const screened = screenBundle(value);
  const validated =
    screened !== undefined ? { ok: true as const, value: screened.bundle } : validateBundleBySchema(value, source);
  if (!validated.ok) return { ok: false, issues: validated.issues, warnings: [] };
  const bundle = validated.value;
  const range = collectRangeProblems(bundle);
  if (range.length > 0)
    return { ok: false, issues: [issue("VALUE_OUT_OF_RANGE", { ...source, errors: range })], warnings: [] };
  return screened !== undefined
    ? { ok: true, bundle, warnings: [], validDefinitions: screened.validDefinitions }
    : { ok: true, bundle, warnings: [] };
}

/**
 * The last checks of {@link checkBundle}, on a bundle that passed {@link checkBundleStructure}:
 * definitions (invalid published versions are errors, invalid drafts warnings), then dependencies.
 */
export function checkBundleContent(
  bundle: WorkflowBundle,
  options: CheckContentOptions = {},
): { issues: Issue[]; warnings: Issue[] } {
  const source: SourceOptions = options.file === undefined ? {} : { file: options.file };
  const definitions = collectDefinitionIssues(
    bundle,
    options.validDefinitions === undefined ? source : { ...source, validDefinitions: options.validDefinitions },
  );
  if (definitions.errors.length > 0) return { issues: definitions.errors, warnings: definitions.warnings };
  return { issues: collectDependencyIssues(bundle, options), warnings: definitions.warnings };
}

/**
 * {@link checkBundleContent}, calling `pause` between slices of `sliceSize` workflows so other work
 * (an import's transaction waiting on the server) runs meanwhile. Same result.
 */
export async function checkBundleContentInSlices(
  bundle: WorkflowBundle,
  options: CheckContentOptions & { pause: () => Promise<void>; sliceSize?: number },
): Promise<{ issues: Issue[]; warnings: Issue[] }> {
  const source = {
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.validDefinitions === undefined ? {} : { validDefinitions: options.validDefinitions }),
  };
  const sliceSize = options.sliceSize ?? 25;
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  for (let i = 0; i < bundle.workflows.length; i++) {
    if (i > 0 && i % sliceSize === 0) await options.pause();
    collectWorkflowDefinitionIssues(bundle.workflows[i] as BundleWorkflow, i, source, errors, warnings);
  }
  if (errors.length > 0) return { issues: errors, warnings };
  await options.pause();
  return { issues: collectDependencyIssues(bundle, options), warnings };
}

/** {@link parseJsonText} then {@link checkBundle}. */
export function checkBundleText(text: string, options: CheckBundleOptions = {}): CheckBundleResult {
  const json = parseJsonText(text, options.file === undefined ? {} : { file: options.file });
  if (!json.ok) return { ok: false, issues: json.issues, warnings: [] };
  return checkBundle(json.value, options);
}
