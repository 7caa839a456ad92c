import { type Issue, issue, type MissingDependencies } from "../errors.js";
import type { BundleWorkflow, WorkflowBundle } from "../format/bundle-schema.js";
import { collectRequiredDependencies } from "../format/dependencies.js";
import type { SourceOptions } from "../format/parse-json.js";
import {
  aggregateMissing,
  DEFAULT_CATALOG,
  findMissingDependencies,
  hasEveryDependency,
  type RuntimeCatalog,
} from "./runtime-catalog.js";

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
 * The `MISSING_DEPENDENCIES` issue of a bundle (empty when the catalog, default
 * {@link DEFAULT_CATALOG}, has everything its workflows need).
 */
export function collectDependencyIssues(
  bundle: WorkflowBundle,
  options: SourceOptions & { catalog?: RuntimeCatalog },
): Issue[] {
  const source: SourceOptions = options.file === undefined ? {} : { file: options.file };
  const missingByWorkflow = collectMissingDependencies(bundle.workflows, options.catalog ?? DEFAULT_CATALOG);
  if (missingByWorkflow.length === 0) return [];
  return [issue("MISSING_DEPENDENCIES", { ...source, missingByWorkflow, ...aggregateMissing(missingByWorkflow) })];
}
