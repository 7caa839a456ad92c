/**
 * The offline checks of import sources through the schemas (the exact verdict and every problem):
 * what `importBundles` falls back to when its fast path cannot vouch for a source, and what
 * fixtures use to check bundles once. Loads the schema library.
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

/** Checks every source offline and merges them; throws every problem of the first failing source. */
export function checkSources(
  sources: readonly BundleSource[],
  catalog: RuntimeCatalog,
): { workflows: BundleWorkflow[]; warnings: Issue[] } {
  const structured = checkSourceStructures(sources, catalog);
  const warnings: Issue[] = [];
  for (const { bundle, options } of structured) {
    const content = checkBundleContent(bundle, options);
    if (content.issues.length > 0) throw new WorkflowSeederError(content.issues);
    warnings.push(...content.warnings);
  }
  return { workflows: structured.flatMap((s) => s.bundle.workflows), warnings };
}

/** A source that passed the structure checks, with the options of its content check. */
export interface StructuredSource {
  bundle: WorkflowBundle;
  options: CheckContentOptions & { catalog: RuntimeCatalog };
}

/** The structural checks of every source, then duplicate keys across sources; throws the first failure. */
export function checkSourceStructures(sources: readonly BundleSource[], catalog: RuntimeCatalog): StructuredSource[] {
  const structured: StructuredSource[] = [];
  const seen = new Set<string>();
  const duplicates: Issue[] = [];
  for (const source of sources) {
    const options = source.file === undefined ? { catalog } : { catalog, file: source.file };
    const checked = checkBundleStructure(source.bundle, options);
    if (!checked.ok) throw new WorkflowSeederError(checked.issues);
    checked.bundle.workflows.forEach((w, i) => {
      if (seen.has(w.key))
        duplicates.push(
          issue("DUPLICATE_WORKFLOW_KEY", {
            key: w.key,
            indexes: [i],
            ...(source.file === undefined ? {} : { file: source.file }),
          }),
        );
      seen.add(w.key);
    });
    structured.push({
      bundle: checked.bundle,
      options:
        checked.validDefinitions === undefined ? options : { ...options, validDefinitions: checked.validDefinitions },
    });
  }
  if (duplicates.length > 0) throw new WorkflowSeederError(duplicates);
  return structured;
}
