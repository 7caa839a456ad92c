/**
 * The offline checks of import sources through the schemas (the exact verdict and every problem):
 * what `importBundles` falls back to when its fast path cannot vouch for a source, and what
 * fixtures and `import --dry-run` use to check bundles. Loads the schema library.
 */
import { type CheckContentOptions, checkBundleContent, checkBundleStructure } from "../catalog/check-bundle.js";
import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { type Issue, issue, WorkflowSeederError } from "../errors.js";
import type { BundleWorkflow, WorkflowBundle } from "../format/bundle-schema.js";

/** One bundle to import, with the file it came from (for messages). */
export interface BundleSource {
  bundle: unknown;
  file?: string;
}

/** A source that passed the structure checks, with the options of its content check. */
export interface StructuredSource {
  bundle: WorkflowBundle;
  options: CheckContentOptions & { catalog: RuntimeCatalog };
  /** The source's position in the input, to report problems in input order. */
  index: number;
}

/** Problems of one source (by its position in the input). */
export interface SourceProblems {
  index: number;
  issues: Issue[];
}

/**
 * Checks every source offline and merges them; throws every problem of every failing source at
 * once, in source order.
 */
export function checkSources(
  sources: readonly BundleSource[],
  catalog: RuntimeCatalog,
): { workflows: BundleWorkflow[]; warnings: Issue[] } {
  const { structured, problems } = checkSourceStructures(sources, catalog);
  const warnings = collectContentProblems(structured, problems);
  if (problems.length > 0) throwProblems(problems);
  return { workflows: structured.flatMap((s) => s.bundle.workflows), warnings };
}

/**
 * The structural checks of every source, then duplicate keys across the sources that pass them.
 * Every source is checked, so a user fixing a folder sees every bad file at once.
 */
export function checkSourceStructures(
  sources: readonly BundleSource[],
  catalog: RuntimeCatalog,
): { structured: StructuredSource[]; problems: SourceProblems[] } {
  const structured: StructuredSource[] = [];
  const problems: SourceProblems[] = [];
  // Where each key was first seen, to name both bundles of a duplicate.
  const seen = new Map<string, { file?: string; bundle: number; index: number }>();
  sources.forEach((source, index) => {
    const options = source.file === undefined ? { catalog } : { catalog, file: source.file };
    const checked = checkBundleStructure(source.bundle, options);
    if (!checked.ok) {
      problems.push({ index, issues: checked.issues });
      return;
    }
    const duplicates: Issue[] = [];
    checked.bundle.workflows.forEach((w, i) => {
      const first = seen.get(w.key);
      if (first)
        duplicates.push(
          issue("DUPLICATE_WORKFLOW_KEY", {
            key: w.key,
            indexes: [i],
            ...(source.file === undefined ? {} : { file: source.file }),
            duplicateOf: first,
          }),
        );
      else seen.set(w.key, { ...(source.file === undefined ? {} : { file: source.file }), bundle: index, index: i });
    });
    if (duplicates.length > 0) problems.push({ index, issues: duplicates });
    structured.push({
      bundle: checked.bundle,
      options:
        checked.validDefinitions === undefined ? options : { ...options, validDefinitions: checked.validDefinitions },
      index,
    });
  });
  return { structured, problems };
}

/** Runs the content checks of the structured sources, adding their problems; returns their warnings. */
export function collectContentProblems(structured: readonly StructuredSource[], problems: SourceProblems[]): Issue[] {
  const warnings: Issue[] = [];
  for (const { bundle, options, index } of structured) {
    const content = checkBundleContent(bundle, options);
    if (content.issues.length > 0) problems.push({ index, issues: content.issues });
    warnings.push(...content.warnings);
  }
  return warnings;
}

/** Throws one error carrying every problem, in source order. */
export function throwProblems(problems: readonly SourceProblems[]): never {
  throw new WorkflowSeederError([...problems].sort((a, b) => a.index - b.index).flatMap((p) => p.issues));
}
