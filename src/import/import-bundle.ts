import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import {
  type CheckContentOptions,
  checkBundleContent,
  checkBundleContentInSlices,
  checkBundleStructure,
} from "../catalog/check-bundle.js";
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
import type { BundleWorkflow, WorkflowBundle } from "../format/bundle-schema.js";
import { isJsonEqual } from "../format/json-equal.js";
import { isJsonObject } from "../format/json-value.js";
import { computePortableWorkflowId } from "../format/portable-id.js";
import {
  type CallReference,
  collectCallReferences,
  hasCallReferences,
  rewriteWorkflowReferences,
} from "../format/workflow-references.js";

/** What to do with a bundle workflow whose key already exists in the tenant. */
export type ConflictPolicy = "fail" | "replace" | "update" | "skip";

/** The conflict policies, for option parsing. */
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ["fail", "replace", "update", "skip"];

/** The default conflict policy: refuse to touch an existing key. */
export const DEFAULT_ON_CONFLICT: ConflictPolicy = "fail";

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

/** One bundle to import, with the file it came from (for messages). */
export interface BundleSource {
  bundle: unknown;
  file?: string;
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

interface StructuredSource {
  bundle: WorkflowBundle;
  options: CheckContentOptions & { catalog: RuntimeCatalog };
  /** The source's position in the input, to report problems in input order. */
  index: number;
}

/** Problems of one source (by its position in the input). */
interface SourceProblems {
  index: number;
  issues: Issue[];
}

/**
 * The structural checks of every source, then duplicate keys across the sources that pass them.
 * Every source is checked, so a user fixing a folder sees every bad file at once.
 */
function checkSourceStructures(
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
function collectContentProblems(structured: readonly StructuredSource[], problems: SourceProblems[]): Issue[] {
  const warnings: Issue[] = [];
  for (const { bundle, options, index } of structured) {
    const content = checkBundleContent(bundle, options);
    if (content.issues.length > 0) problems.push({ index, issues: content.issues });
    warnings.push(...content.warnings);
  }
  return warnings;
}

/** Throws one error carrying every problem, in source order. */
function throwProblems(problems: readonly SourceProblems[]): never {
  throw new WorkflowSeederError([...problems].sort((a, b) => a.index - b.index).flatMap((p) => p.issues));
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
  const { structured, problems } = checkSourceStructures(sources, options.catalog ?? DEFAULT_CATALOG);
  if (problems.length > 0) {
    // Some bundle is malformed: the import fails before its transaction. The content of the
    // others is checked too, so that one error reports every bad source.
    collectContentProblems(structured, problems);
    throwProblems(problems);
  }
  const workflows = structured.flatMap((s) => s.bundle.workflows);
  const keys = workflows.map((w) => w.key);
  try {
    return await db.transaction(async (trx) => {
      const content = (async () => {
        const issues: Issue[] = [];
        const warnings: Issue[] = [];
        for (const { bundle, options: checkOptions } of structured) {
          const checked = await checkBundleContentInSlices(bundle, { ...checkOptions, pause });
          issues.push(...checked.issues);
          warnings.push(...checked.warnings);
        }
        return { issues, warnings };
      })();
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
  const written = planned.filter((p) => p.action !== "skip");
  // Rows are built as their documents are (the first statement goes out before the last row is
  // built, and each document is built while the server runs the one before); a workflow's
  // version rows are built with its row, compared with the draft that row carries.
  const versions: VersionInsertRow[] = [];
  const toRow = (p: PlannedWorkflow) => {
    const draft = rewrite(p, p.workflow.draft.definition);
    for (const v of p.workflow.publishedVersions) {
      const definition = rewrite(p, v.definition);
      const sameAsDraft = isJsonEqual(definition, draft);
      versions.push({
        workflow_id: p.workflowId,
        version: v.version,
        definition_json: sameAsDraft ? null : definition,
        payload_schema_json: v.payloadSchemaJson,
        ...(sameAsDraft ? { same_as_draft: true } : {}),
      });
    }
    return toWorkflowRow(p.workflow, p.workflowId, draft);
  };
  const updates = written.filter((p) => p.action === "update").map(toRow);
  function* insertedRows(): Generator<WorkflowRow> {
    for (const p of written) if (p.action !== "update") yield toRow(p);
  }

  const replaced = planned.filter((p) => p.action === "replace");
  const updated = planned.filter((p) => p.action === "update");
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

  const ref = (p: PlannedWorkflow): WorkflowRef => ({ key: p.workflow.key, workflowId: p.workflowId });
  return {
    createdWorkflows: planned.filter((p) => p.action === "create" || p.action === "replace").map(ref),
    deletedWorkflows: replaced.flatMap((p) => p.existingIds.map((workflowId) => ({ key: p.workflow.key, workflowId }))),
    updatedWorkflows: updated.map(ref),
    skippedWorkflows: planned.filter((p) => p.action === "skip").map(ref),
    createdPublishedVersions: planned
      .filter((p) => p.action !== "skip" && p.workflow.publishedVersions.length > 0)
      .map((p) => ({ ...ref(p), versions: p.workflow.publishedVersions.map((v) => v.version).sort((a, b) => a - b) })),
    warnings: [...referenceWarnings.values()].map(toWarning),
  };
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

function toNumeric(value: number | string | null): number | string | null {
  return typeof value === "string" ? value.trim() : value;
}

/** The `workflow_definitions` row of a bundle workflow. */
export function toWorkflowRow(workflow: BundleWorkflow, workflowId: string, draftDefinition: unknown): WorkflowRow {
  const m = workflow.metadata;
  return {
    workflow_id: workflowId,
    key: workflow.key,
    name: m.name,
    description: m.description,
    payload_schema_ref: m.payloadSchemaRef,
    // The column is NOT NULL with Alga's default 'pinned'; a bundle's null means that default.
    payload_schema_mode: m.payloadSchemaMode ?? "pinned",
    pinned_payload_schema_ref: m.pinnedPayloadSchemaRef,
    trigger: m.trigger,
    draft_definition: draftDefinition,
    draft_version: workflow.draft.draftVersion,
    status: workflow.publishedVersions.length > 0 ? "published" : "draft",
    is_system: m.isSystem,
    is_visible: m.isVisible,
    is_paused: m.isPaused,
    concurrency_limit: m.concurrencyLimit,
    auto_pause_on_failure: m.autoPauseOnFailure,
    failure_rate_threshold: toNumeric(m.failureRateThreshold),
    failure_rate_min_runs: m.failureRateMinRuns,
    retention_policy_override: m.retentionPolicyOverride,
  };
}
