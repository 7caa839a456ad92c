import type { WorkflowRow } from "../db/workflow-store.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";

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
