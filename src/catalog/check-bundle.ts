import { type Issue, issue, type MissingDependencies, type PathProblem } from "../errors.js";
import type { BundleWorkflow, WorkflowBundle } from "../format/bundle-schema.js";
import { screenBundle } from "../format/bundle-screen.js";
import { validateWorkflowDefinition } from "../format/definition-schema.js";
import { collectRequiredDependencies } from "../format/dependencies.js";
import { isJsonEqual } from "../format/json-equal.js";
import { toJsonPointer } from "../format/json-value.js";
import { parseJsonText, type SourceOptions, validateBundleBySchema } from "../format/parse-bundle.js";
import {
  aggregateMissing,
  DEFAULT_CATALOG,
  findMissingDependencies,
  hasEveryDependency,
  type RuntimeCatalog,
} from "./runtime-catalog.js";

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

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;

/** True when `value` is stored exactly by a `numeric(5,2)` column. */
export function fitsNumeric52(value: number | string): boolean {
  const text = typeof value === "number" ? String(value) : value.trim();
  if (typeof value === "number" && !Number.isFinite(value)) return false;
  const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) return false;
  const integer = (m[1] ?? "").replace(/^0+/, "");
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  return integer.length <= 3 && fraction.length <= 2;
}

/** Values that pass the schema but do not fit the columns they are stored in. */
export function collectRangeProblems(bundle: WorkflowBundle): PathProblem[] {
  const problems: PathProblem[] = [];
  const int4 = (value: number | null, path: (string | number)[]) => {
    if (value !== null && (value < INT4_MIN || value > INT4_MAX))
      problems.push({ path: toJsonPointer(path), message: `${value} does not fit a 32-bit integer column` });
  };
  bundle.workflows.forEach((w, i) => {
    const m = w.metadata;
    int4(m.concurrencyLimit, ["workflows", i, "metadata", "concurrencyLimit"]);
    int4(m.failureRateMinRuns, ["workflows", i, "metadata", "failureRateMinRuns"]);
    int4(w.draft.draftVersion, ["workflows", i, "draft", "draftVersion"]);
    if (m.failureRateThreshold !== null && !fitsNumeric52(m.failureRateThreshold))
      problems.push({
        path: toJsonPointer(["workflows", i, "metadata", "failureRateThreshold"]),
        message: `${JSON.stringify(m.failureRateThreshold)} is not a number with at most 3 integer and 2 decimal digits (numeric(5,2)); it would be rounded or rejected by the database`,
      });
    w.publishedVersions.forEach((v, j) => {
      if (v.version < 1 || v.version > INT4_MAX)
        problems.push({
          path: toJsonPointer(["workflows", i, "publishedVersions", j, "version"]),
          message: `published version ${v.version} must be between 1 and ${INT4_MAX}`,
        });
    });
  });
  return problems;
}

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

/** What the workflows need that the catalog lacks (declared ∪ recomputed, `control.*` ignored). */
export function collectMissingDependencies(
  workflows: readonly BundleWorkflow[],
  catalog: RuntimeCatalog,
): MissingDependencies[] {
  const missing: MissingDependencies[] = [];
  for (const w of workflows) {
    if (hasEveryDependency(catalog, w)) continue;
    const m = findMissingDependencies(catalog, w.key, collectRequiredDependencies(w));
    if (m) missing.push(m);
  }
  return missing;
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

function collectDependencyIssues(bundle: WorkflowBundle, options: CheckBundleOptions): Issue[] {
  const source: SourceOptions = options.file === undefined ? {} : { file: options.file };
  const missingByWorkflow = collectMissingDependencies(bundle.workflows, options.catalog ?? DEFAULT_CATALOG);
  if (missingByWorkflow.length === 0) return [];
  return [issue("MISSING_DEPENDENCIES", { ...source, missingByWorkflow, ...aggregateMissing(missingByWorkflow) })];
}

/** {@link parseJsonText} then {@link checkBundle}. */
export function checkBundleText(text: string, options: CheckBundleOptions = {}): CheckBundleResult {
  const json = parseJsonText(text, options.file === undefined ? {} : { file: options.file });
  if (!json.ok) return { ok: false, issues: json.issues, warnings: [] };
  return checkBundle(json.value, options);
}
