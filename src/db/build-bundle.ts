import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION } from "../format/bundle-format.js";
import type { BundleWorkflow, WorkflowBundle } from "../format/bundle-schema.js";
import { collectDependencies } from "../format/dependencies.js";
import { computePortableWorkflowId } from "../format/portable-id.js";
import { rewriteWorkflowReferences } from "../format/workflow-references.js";
import type { VersionRow, WorkflowRow } from "./workflow-store.js";

// The portable form of stored rows: what an export writes, and what an import compares an update
// with to tell it would change nothing (both need the one mapping, so it sits below them).

/** Assembles a bundle from rows (pure). `keyById` names the keys of call targets. */
export function buildBundle(
  rows: readonly WorkflowRow[],
  versions: readonly VersionRow[],
  keyById: ReadonlyMap<string, string>,
  exportedAt: string,
): WorkflowBundle {
  const versionsById = new Map<string, VersionRow[]>();
  for (const v of versions) versionsById.set(v.workflow_id, [...(versionsById.get(v.workflow_id) ?? []), v]);
  const mapTarget = (ref: { workflowId: string }) => {
    const key = keyById.get(ref.workflowId.toLowerCase());
    return key === undefined ? undefined : computePortableWorkflowId(key);
  };
  const workflows = [...rows]
    .sort((a, b) => ((a.key as string) < (b.key as string) ? -1 : (a.key as string) > (b.key as string) ? 1 : 0))
    .map((row) => toBundleWorkflow(row, versionsById.get(row.workflow_id) ?? [], mapTarget));
  return { format: BUNDLE_FORMAT, formatVersion: BUNDLE_FORMAT_VERSION, exportedAt, workflows };
}

function toThreshold(value: string | number | null): number | null {
  if (value === null) return null;
  // Read through selectJson, numeric(5,2) is already a number; a string (what the row type allows
  // for writes) would stand for the same number, which is what the bundle carries.
  return typeof value === "number" ? value : Number(value);
}

function toBundleWorkflow(
  row: WorkflowRow,
  versions: readonly VersionRow[],
  mapTarget: (ref: { workflowId: string }) => string | undefined,
): BundleWorkflow {
  const key = row.key as string;
  const id = computePortableWorkflowId(key);
  const published = [...versions]
    .sort((a, b) => a.version - b.version)
    .map((v) => ({
      version: v.version,
      definition: rewriteWorkflowReferences(v.definition_json, { id, mapTarget }) as Record<string, unknown>,
      payloadSchemaJson: (v.payload_schema_json ?? null) as Record<string, unknown> | null,
    }));
  const workflow: BundleWorkflow = {
    key,
    metadata: {
      name: row.name,
      description: row.description ?? null,
      payloadSchemaRef: row.payload_schema_ref,
      payloadSchemaMode: row.payload_schema_mode ?? null,
      pinnedPayloadSchemaRef: row.pinned_payload_schema_ref ?? null,
      trigger: (row.trigger ?? null) as Record<string, unknown> | null,
      isSystem: row.is_system ?? false,
      isVisible: row.is_visible ?? true,
      isPaused: row.is_paused ?? false,
      concurrencyLimit: row.concurrency_limit ?? null,
      autoPauseOnFailure: row.auto_pause_on_failure ?? false,
      failureRateThreshold: toThreshold(row.failure_rate_threshold),
      failureRateMinRuns: row.failure_rate_min_runs ?? null,
      retentionPolicyOverride: (row.retention_policy_override ?? null) as Record<string, unknown> | null,
    },
    dependencies: { actions: [], nodeTypes: [], schemaRefs: [] },
    draft: {
      draftVersion: row.draft_version,
      definition: rewriteWorkflowReferences(row.draft_definition, { id, mapTarget }) as Record<string, unknown>,
    },
    publishedVersions: published,
  };
  workflow.dependencies = collectDependencies(workflow);
  return workflow;
}
