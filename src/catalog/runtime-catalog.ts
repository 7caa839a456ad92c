import { z } from "zod";
import { issue, type MissingDependencies, type ValidationResult } from "../errors.js";
import type { WorkflowDependencies } from "../format/bundle-schema.js";
import { formatActionRef } from "../format/dependencies.js";
import { collectPathProblems, type SourceOptions } from "../format/parse-bundle.js";
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

const ActionEntrySchema = z.union(
  [
    z.string().regex(/^[^@\s]+@[1-9]\d*$/, { error: 'expected "actionId@version"' }),
    z.strictObject({ actionId: z.string().min(1), version: z.int().min(1) }),
  ],
  { error: 'expected "actionId@version" or {"actionId": "...", "version": 1}' },
);

/**
 * A catalog file (`--catalog <file>`). `mode` "extend" (the default) adds its names to the
 * default catalog; "replace" uses only its names.
 *
 * @example {"mode": "extend", "actions": ["test.stub@1"], "nodeTypes": [], "schemaRefs": ["payload.Test.v1"]}
 */
export const CatalogFileSchema = z.strictObject({
  $schema: z.string().optional(),
  mode: z.enum(["extend", "replace"]).default("extend"),
  actions: z.array(ActionEntrySchema).default([]),
  nodeTypes: z.array(z.string().min(1)).default([]),
  schemaRefs: z.array(z.string().min(1)).default([]),
});
export type CatalogFile = z.infer<typeof CatalogFileSchema>;
/** What callers may pass for a catalog: the file's shape before defaults are applied. */
export type CatalogInput = z.input<typeof CatalogFileSchema>;

/** Validates a parsed catalog file. */
export function parseCatalog(value: unknown, options: SourceOptions = {}): ValidationResult<CatalogFile> {
  const parsed = CatalogFileSchema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const details = { errors: collectPathProblems(parsed.error.issues) };
  return {
    ok: false,
    issues: [issue("INVALID_CATALOG", options.file === undefined ? details : { file: options.file, ...details })],
  };
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
