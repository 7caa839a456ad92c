import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { collectRangeProblems } from "../catalog/check-columns.js";
import { collectDependencyIssues } from "../catalog/check-dependencies.js";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { assertTenant } from "../db/tenant.js";
import {
  deleteVersions,
  deleteWorkflows,
  insertVersions,
  insertWorkflows,
  lockWorkflowKeys,
  selectAllWorkflowIds,
  selectWorkflowIdsByKeys,
  updateWorkflows,
  type VersionInsertRow,
  type WorkflowRow,
} from "../db/workflow-store.js";
import { type Issue, issue, toIssueBody, WorkflowSeederError } from "../errors.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { screenBundle } from "../format/bundle-screen.js";
import { isJsonEqual } from "../format/json-equal.js";
import { isJsonObject } from "../format/json-value.js";
import { computePortableWorkflowId } from "../format/portable-id.js";
import {
  type CallReference,
  collectCallReferences,
  hasCallReferences,
  rewriteWorkflowReferences,
} from "../format/workflow-references.js";
import type { BundleSource, StructuredSource } from "./check-sources.js";
import { CONFLICT_POLICIES, type ConflictPolicy, DEFAULT_ON_CONFLICT } from "./import-options.js";
import { type IdsAfterImport, type PendingUpdate, readUnchangedUpdates } from "./read-unchanged-updates.js";
import { toWorkflowRow } from "./workflow-row.js";

export type { BundleSource };
// Re-exported: the row mapping lives in workflow-row.ts (no schema library, for light loaders),
// the source type with the checks that load the schemas, and the conflict policies with the
// option parsing, which every command loads (a no-op `up` parses its options without loading
// this module's graph).
export { CONFLICT_POLICIES, type ConflictPolicy, DEFAULT_ON_CONFLICT, toWorkflowRow };

/** Options of {@link importBundle} and {@link importBundles}. */
export interface ImportOptions {
  /** The tenant to import into (a UUID). */
  tenant: string;
  /** Policy for keys that already exist. Default {@link DEFAULT_ON_CONFLICT}. */
  onConflict?: ConflictPolicy;
  /**
   * A per-key override of `onConflict` (the seeder uses it to let a seed update workflows an
   * earlier seed created). Return undefined to use `onConflict`.
   */
  policyForKey?: (key: string, existingWorkflowId: string) => ConflictPolicy | undefined;
  /** Written to created_by / updated_by / published_by. Default null. */
  actor?: string | null;
  /** Runtime catalog for the dependency check. Default: Alga's registrations. */
  catalog?: RuntimeCatalog;
  /** Generates the id of a new workflow from its key. Default: a random UUID. */
  generateId?: (key: string) => string;
}

/** `{key, workflowId}` of a workflow the import touched. */
export interface WorkflowRef {
  key: string;
  workflowId: string;
}

/** A warning of the import, in the wire form. */
export interface ImportWarning {
  code: Issue["code"];
  message: string;
  details: Issue["details"];
}

/** What an import did. Also the `--json` output of `workflow-seeder import`. */
export interface ImportResult {
  createdWorkflows: WorkflowRef[];
  deletedWorkflows: WorkflowRef[];
  updatedWorkflows: WorkflowRef[];
  /**
   * Workflows the `update` policy met with exactly their content (as `export` shows it): nothing
   * is written to them (ids, version ids, timestamps stay).
   */
  unchangedWorkflows: WorkflowRef[];
  skippedWorkflows: WorkflowRef[];
  createdPublishedVersions: (WorkflowRef & { versions: number[] })[];
  warnings: ImportWarning[];
}

type Action = "create" | "replace" | "update" | "skip";

interface PlannedWorkflow {
  workflow: BundleWorkflow;
  action: Action;
  workflowId: string;
  existingIds: string[];
}

/** Converts an issue to the wire form used in summaries. */
export function toWarning(value: Issue): ImportWarning {
  return toIssueBody(value);
}

/**
 * The structure checks of every source by the fast path alone (screen, column ranges, duplicate
 * keys across sources): undefined when any source needs the schemas to be judged, and then
 * `checkSourceStructures` (which loads them) decides, with the exact errors.
 */
function screenSources(sources: readonly BundleSource[], catalog: RuntimeCatalog): StructuredSource[] | undefined {
  const structured: StructuredSource[] = [];
  const keys = new Set<string>();
  for (const [index, source] of sources.entries()) {
    const screened = screenBundle(source.bundle);
    if (screened === undefined || collectRangeProblems(screened.bundle).length > 0) return undefined;
    for (const w of screened.bundle.workflows) {
      if (keys.has(w.key)) return undefined;
      keys.add(w.key);
    }
    const options = source.file === undefined ? { catalog } : { catalog, file: source.file };
    structured.push({
      bundle: screened.bundle,
      options: { ...options, validDefinitions: screened.validDefinitions },
      index,
    });
  }
  return structured;
}

/**
 * The structure checks of every source: the fast path when it vouches for all of them, otherwise
 * the schemas, which report every problem of every source (content problems of the well-formed
 * sources included) in one error.
 */
async function checkStructures(sources: readonly BundleSource[], catalog: RuntimeCatalog): Promise<StructuredSource[]> {
  const screened = screenSources(sources, catalog);
  if (screened !== undefined) return screened;
  const { checkSourceStructures, collectContentProblems, throwProblems } = await import("./check-sources.js");
  const { structured, problems } = checkSourceStructures(sources, catalog);
  if (problems.length > 0) {
    // Some bundle is malformed: the import fails before its transaction. The content of the
    // others is checked too, so that one error reports every bad source.
    collectContentProblems(structured, problems);
    throwProblems(problems);
  }
  return structured;
}

/** True when every definition of the bundle is known valid: its content check is the dependency check alone. */
function hasOnlyValidDefinitions(source: StructuredSource): boolean {
  const valid = source.options.validDefinitions;
  if (valid === undefined) return false;
  return source.bundle.workflows.every(
    (w) => valid.has(w.draft.definition) && w.publishedVersions.every((v) => valid.has(v.definition)),
  );
}

/**
 * The content checks of every source, in order, in slices (`pause` between them), collecting the
 * problems of every source. The schemas are loaded only for a bundle with a definition the fast
 * path could not vouch for.
 */
async function checkSourceContents(
  structured: readonly StructuredSource[],
): Promise<{ issues: Issue[]; warnings: Issue[] }> {
  const issues: Issue[] = [];
  const warnings: Issue[] = [];
  for (const source of structured) {
    await pause();
    if (hasOnlyValidDefinitions(source)) {
      issues.push(...collectDependencyIssues(source.bundle, source.options));
      continue;
    }
    const { checkBundleContentInSlices } = await import("../catalog/check-bundle.js");
    const checked = await checkBundleContentInSlices(source.bundle, { ...source.options, pause });
    issues.push(...checked.issues);
    warnings.push(...checked.warnings);
  }
  return { issues, warnings };
}

/** Lets I/O callbacks run between slices of CPU work. */
function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Imports one bundle into a tenant, all or nothing: header → schema → duplicates → definitions →
 * dependencies, then one transaction. Any error leaves the database as it was.
 *
 * @example await importBundle(knex, JSON.parse(text), { tenant, onConflict: "update" })
 */
export async function importBundle(db: Knex, bundle: unknown, options: ImportOptions): Promise<ImportResult> {
  return importBundles(db, [{ bundle }], options);
}

/**
 * Imports several bundles in one transaction (a key may appear in only one of them).
 *
 * The structural checks run first. The definition and dependency checks then run in slices while
 * the transaction waits on the server, and are awaited before commit: a problem they find rolls
 * the transaction back and is reported ahead of any database error, exactly as if they had run
 * first, but their time hides behind the server's. Every problem of every bundle is reported at
 * once (one error carrying all the issues, each naming its file), and nothing is written.
 */
export async function importBundles(
  db: Knex,
  sources: readonly BundleSource[],
  options: ImportOptions,
): Promise<ImportResult> {
  assertTenant(options.tenant);
  const structured = await checkStructures(sources, options.catalog ?? DEFAULT_CATALOG);
  const workflows = structured.flatMap((s) => s.bundle.workflows);
  const keys = workflows.map((w) => w.key);
  try {
    return await db.transaction(async (trx) => {
      const content = checkSourceContents(structured);
      let result: ImportResult | undefined;
      let writeError: unknown;
      try {
        result = await applyWorkflows(trx, workflows, options);
      } catch (error) {
        writeError = error;
      }
      const checked = await content;
      if (checked.issues.length > 0) throw new WorkflowSeederError(checked.issues);
      if (writeError !== undefined || result === undefined) throw writeError;
      result.warnings.unshift(...checked.warnings.map(toWarning));
      return result;
    });
  } catch (error) {
    rethrowAsDatabaseError(error, keys);
  }
}

/**
 * Writes already-checked workflows inside the caller's transaction (the seeder records its seed in
 * the same transaction). Prefer {@link importBundles} unless you hold a transaction.
 */
export async function applyWorkflows(
  trx: Knex.Transaction,
  workflows: readonly BundleWorkflow[],
  options: ImportOptions,
): Promise<ImportResult> {
  const tenant = options.tenant;
  const actor = options.actor ?? null;
  const generateId = options.generateId ?? (() => randomUUID());
  const keys = workflows.map((w) => w.key);
  await lockWorkflowKeys(trx, tenant, keys);
  const existing = new Map<string, string[]>();
  for (const row of await selectWorkflowIdsByKeys(trx, tenant, keys))
    existing.set(row.key, [...(existing.get(row.key) ?? []), row.workflow_id].sort());

  const conflicts: Issue[] = [];
  const planned: PlannedWorkflow[] = workflows.map((workflow) => {
    const existingIds = existing.get(workflow.key) ?? [];
    const first = existingIds[0];
    if (first === undefined) return { workflow, action: "create", workflowId: generateId(workflow.key), existingIds };
    const policy = options.policyForKey?.(workflow.key, first) ?? options.onConflict ?? DEFAULT_ON_CONFLICT;
    if (policy === "fail") {
      conflicts.push(issue("WORKFLOW_KEY_CONFLICT", { key: workflow.key, existingWorkflowId: first, tenant }));
      return { workflow, action: "skip", workflowId: first, existingIds };
    }
    if (policy === "replace") return { workflow, action: "replace", workflowId: generateId(workflow.key), existingIds };
    return { workflow, action: policy, workflowId: first, existingIds };
  });
  if (conflicts.length > 0) throw new WorkflowSeederError(conflicts);

  // Keyed by the issue's details: the draft and each published version usually hold the same
  // step, and one unresolved target is one warning, not one per definition.
  const referenceWarnings = new Map<string, Issue>();
  const resolver = await createTargetResolver(trx, tenant, planned);
  const rewrite = (p: PlannedWorkflow, definition: unknown) => {
    // Only definitions that call a workflow need their steps walked; the others just get the id.
    if (!resolver.withReferences.has(definition)) return rewriteWorkflowReferences(definition, { id: p.workflowId });
    const mapTarget = (ref: CallReference) => {
      const target = resolver.resolve(ref.workflowId);
      if (target === undefined) {
        const warning = issue("UNRESOLVED_WORKFLOW_REFERENCE", {
          workflowKey: p.workflow.key,
          stepPath: ref.stepPath,
          targetWorkflowId: ref.workflowId,
          targetVersion: ref.workflowVersion,
        });
        referenceWarnings.set(JSON.stringify(warning.details), warning);
      }
      return target;
    };
    return rewriteWorkflowReferences(definition, { id: p.workflowId, mapTarget });
  };
  // Rows are built as their documents are (the first statement goes out before the last row is
  // built, and each document is built while the server runs the one before); a workflow's
  // version rows are built with its row, compared with the draft that row carries.
  const build = (p: PlannedWorkflow): PendingUpdate => {
    const draft = rewrite(p, p.workflow.draft.definition);
    return {
      key: p.workflow.key,
      row: toWorkflowRow(p.workflow, p.workflowId, draft),
      versions: p.workflow.publishedVersions.map((v) => ({
        workflow_id: p.workflowId,
        version: v.version,
        definition_json: rewrite(p, v.definition),
        payload_schema_json: v.payloadSchemaJson,
      })),
    };
  };
  const versions: VersionInsertRow[] = [];
  const toRow = ({ row, versions: own }: PendingUpdate): WorkflowRow => {
    for (const v of own) {
      const sameAsDraft = isJsonEqual(v.definition_json, row.draft_definition);
      versions.push({
        workflow_id: v.workflow_id,
        version: v.version,
        definition_json: sameAsDraft ? null : v.definition_json,
        payload_schema_json: v.payload_schema_json,
        ...(sameAsDraft ? { same_as_draft: true } : {}),
      });
    }
    return row;
  };
  // An update that would leave its workflow as it is is not made (its version ids, published_at
  // and updated_at stay) and is reported unchanged: decided before anything is written, on the
  // rows as this write would make them.
  const pendingUpdates = planned.filter((p) => p.action === "update").map((p) => ({ p, pending: build(p) }));
  const unchangedKeys = await readUnchangedUpdates(
    trx,
    tenant,
    pendingUpdates.map((u) => u.pending),
    idsAfterImport(planned),
  );
  const unchanged = planned.filter((p) => p.action === "update" && unchangedKeys.has(p.workflow.key));
  const updated = planned.filter((p) => p.action === "update" && !unchangedKeys.has(p.workflow.key));
  const updates = pendingUpdates.filter((u) => !unchangedKeys.has(u.p.workflow.key)).map((u) => toRow(u.pending));
  function* insertedRows(): Generator<WorkflowRow> {
    for (const p of planned) if (p.action === "create" || p.action === "replace") yield toRow(build(p));
  }

  const replaced = planned.filter((p) => p.action === "replace");
  try {
    await deleteWorkflows(
      trx,
      tenant,
      replaced.flatMap((p) => p.existingIds),
    );
    await deleteVersions(
      trx,
      tenant,
      updated.map((p) => p.workflowId),
    );
    await updateWorkflows(trx, tenant, updates, actor);
    await insertWorkflows(trx, tenant, insertedRows(), actor);
    await insertVersions(trx, tenant, versions, actor);
  } catch (error) {
    // The failing row names a workflow id (new or existing), not always its key.
    const keysById = new Map<string, string>();
    for (const p of planned) for (const id of [p.workflowId, ...p.existingIds]) keysById.set(id, p.workflow.key);
    rethrowAsDatabaseError(error, keys, keysById);
  }

  const created = planned.filter((p) => p.action === "create" || p.action === "replace");
  const ref = (p: PlannedWorkflow): WorkflowRef => ({ key: p.workflow.key, workflowId: p.workflowId });
  return {
    createdWorkflows: created.map(ref),
    deletedWorkflows: replaced.flatMap((p) => p.existingIds.map((workflowId) => ({ key: p.workflow.key, workflowId }))),
    updatedWorkflows: updated.map(ref),
    unchangedWorkflows: unchanged.map(ref),
    skippedWorkflows: planned.filter((p) => p.action === "skip").map(ref),
    createdPublishedVersions: [...created, ...updated]
      .filter((p) => p.workflow.publishedVersions.length > 0)
      .map((p) => ({ ...ref(p), versions: p.workflow.publishedVersions.map((v) => v.version).sort((a, b) => a - b) })),
    // A workflow left as it is was not written: what its references resolve to is not news.
    warnings: [...referenceWarnings.values()]
      .filter((w) => !(w.code === "UNRESOLVED_WORKFLOW_REFERENCE" && unchangedKeys.has(w.details.workflowKey)))
      .map(toWarning),
  };
}

/** The key each id of the import will have once it is written, and the ids it deletes. */
function idsAfterImport(planned: readonly PlannedWorkflow[]): IdsAfterImport {
  const keyById = new Map<string, string>();
  const deleted = new Set<string>();
  for (const p of planned) {
    for (const id of p.action === "replace" ? p.existingIds : []) deleted.add(id.toLowerCase());
    keyById.set(p.workflowId.toLowerCase(), p.workflow.key);
  }
  return { keyById, deleted };
}

interface TargetResolver {
  resolve(target: string): string | undefined;
  /** The definitions (of workflows to write) that hold at least one `control.callWorkflow` step. */
  withReferences: ReadonlySet<unknown>;
}

/**
 * Resolves a `control.callWorkflow` target to a workflow id of the tenant, in order: the original
 * `definition.id` of a bundle workflow, the portable id of a bundle key, the portable id of a key
 * in the tenant, an id of the tenant. `undefined` when none matches.
 */
async function createTargetResolver(
  trx: Knex.Transaction,
  tenant: string,
  planned: readonly PlannedWorkflow[],
): Promise<TargetResolver> {
  const withReferences = new Set<unknown>();
  for (const p of planned) {
    if (p.action === "skip") continue;
    if (hasCallReferences(p.workflow.draft.definition)) withReferences.add(p.workflow.draft.definition);
    for (const v of p.workflow.publishedVersions) if (hasCallReferences(v.definition)) withReferences.add(v.definition);
  }
  // Most imports call no workflow: nothing to resolve, no ids to compute.
  if (withReferences.size === 0) return { resolve: () => undefined, withReferences };
  const byTarget = new Map<string, string>();
  const ambiguous = new Set<string>();
  for (const p of planned) {
    const originals = new Set<string>();
    for (const d of [p.workflow.draft.definition, ...p.workflow.publishedVersions.map((v) => v.definition)])
      if (isJsonObject(d) && typeof d.id === "string") originals.add(d.id);
    for (const id of originals) {
      if (byTarget.has(id) && byTarget.get(id) !== p.workflowId) ambiguous.add(id);
      byTarget.set(id, p.workflowId);
    }
  }
  for (const id of ambiguous) byTarget.delete(id);
  // Portable ids win over an ambiguous original id: they name exactly one key.
  for (const p of planned) byTarget.set(computePortableWorkflowId(p.workflow.key), p.workflowId);

  const pending = new Set<string>();
  for (const d of withReferences)
    for (const ref of collectCallReferences(d)) if (!byTarget.has(ref.workflowId)) pending.add(ref.workflowId);
  if (pending.size > 0) {
    const idByKey = new Map(planned.map((p) => [p.workflow.key, p.workflowId]));
    for (const row of await selectAllWorkflowIds(trx, tenant)) {
      // A row the bundle updates, skips or replaces stands for the id its key has after this
      // import (the same, or the new one of a replace). The bundle's own mappings come first.
      const id = (row.key !== null ? idByKey.get(row.key) : undefined) ?? row.workflow_id;
      if (!byTarget.has(row.workflow_id)) byTarget.set(row.workflow_id, id);
      if (row.key !== null && !byTarget.has(computePortableWorkflowId(row.key)))
        byTarget.set(computePortableWorkflowId(row.key), id);
    }
  }
  return { resolve: (target) => byTarget.get(target) ?? byTarget.get(target.toLowerCase()), withReferences };
}
