import type { MissingDependencies } from "../errors.js";
import type { BundleWorkflow, WorkflowDependencies } from "../format/bundle-schema.js";
import { formatActionRef, visitRequiredDependencies } from "../format/dependencies.js";
import { ALGA_ACTIONS, ALGA_NODE_TYPES, ALGA_SCHEMA_REFS } from "./alga-registrations.js";

/**
 * What a runtime registers: the names a workflow may depend on. Actions are `actionId@version`.
 * Immutable; build variants with {@link mergeCatalog}.
 */
export interface RuntimeCatalog {
  readonly actions: ReadonlySet<string>;
  readonly nodeTypes: ReadonlySet<string>;
  readonly schemaRefs: ReadonlySet<string>;
}

/** The default catalog: Alga PSA's registrations. */
export const DEFAULT_CATALOG: RuntimeCatalog = Object.freeze({
  actions: new Set(ALGA_ACTIONS),
  nodeTypes: new Set(ALGA_NODE_TYPES),
  schemaRefs: new Set(ALGA_SCHEMA_REFS),
});

/**
 * A catalog file's content after validation (see `parseCatalog` in catalog-file.ts). `mode`
 * "extend" adds its names to the base catalog; "replace" uses only its names.
 */
export interface CatalogFile {
  mode: "extend" | "replace";
  actions: (string | { actionId: string; version: number })[];
  nodeTypes: string[];
  schemaRefs: string[];
}

/** Applies a catalog file to a base catalog (extend or replace). */
export function mergeCatalog(base: RuntimeCatalog, file: CatalogFile): RuntimeCatalog {
  const actions = file.actions.map((a) => (typeof a === "string" ? a : formatActionRef(a)));
  const start =
    file.mode === "replace"
      ? { actions: [], nodeTypes: [], schemaRefs: [] }
      : {
          actions: [...base.actions],
          nodeTypes: [...base.nodeTypes],
          schemaRefs: [...base.schemaRefs],
        };
  return Object.freeze({
    actions: new Set([...start.actions, ...actions]),
    nodeTypes: new Set([...start.nodeTypes, ...file.nodeTypes]),
    schemaRefs: new Set([...start.schemaRefs, ...file.schemaRefs]),
  });
}

/** What one workflow needs that the catalog lacks; `null` when nothing is missing. */
export function findMissingDependencies(
  catalog: RuntimeCatalog,
  workflowKey: string,
  required: WorkflowDependencies,
): MissingDependencies | null {
  const missingActions = required.actions.map(formatActionRef).filter((a) => !catalog.actions.has(a));
  const missingNodeTypes = required.nodeTypes.filter((t) => !catalog.nodeTypes.has(t));
  const missingSchemaRefs = required.schemaRefs.filter((r) => !catalog.schemaRefs.has(r));
  if (missingActions.length + missingNodeTypes.length + missingSchemaRefs.length === 0) return null;
  return { workflowKey, missingActions, missingNodeTypes, missingSchemaRefs };
}

/**
 * True when the catalog has everything the workflow requires (what {@link findMissingDependencies}
 * checks, without collecting, sorting or formatting anything: the common case costs one walk).
 */
export function hasEveryDependency(catalog: RuntimeCatalog, workflow: BundleWorkflow): boolean {
  let complete = true;
  visitRequiredDependencies(workflow, {
    action: (actionId, version) => {
      if (!catalog.actions.has(formatActionRef({ actionId, version }))) complete = false;
    },
    nodeType: (type) => {
      if (!catalog.nodeTypes.has(type)) complete = false;
    },
    schemaRef: (ref) => {
      if (!catalog.schemaRefs.has(ref)) complete = false;
    },
  });
  return complete;
}

/** The aggregate lists of a `MISSING_DEPENDENCIES` issue (sorted, unique). */
export function aggregateMissing(missingByWorkflow: readonly MissingDependencies[]): {
  missingActions: string[];
  missingNodeTypes: string[];
  missingSchemaRefs: string[];
} {
  const collect = (pick: (m: MissingDependencies) => string[]) => [...new Set(missingByWorkflow.flatMap(pick))].sort();
  return {
    missingActions: collect((m) => m.missingActions),
    missingNodeTypes: collect((m) => m.missingNodeTypes),
    missingSchemaRefs: collect((m) => m.missingSchemaRefs),
  };
}
