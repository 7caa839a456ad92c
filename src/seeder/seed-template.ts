import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  type BundleWorkflow,
  type WorkflowBundle,
} from "../format/bundle-schema.js";
import { collectDependencies } from "../format/dependencies.js";
import { computePortableWorkflowId } from "../format/portable-id.js";

/** Options of {@link createTemplateWorkflow}. */
export interface TemplateWorkflowOptions {
  key: string;
  /** Default: "Describe what this workflow does." */
  description?: string;
  /** How many published versions (1..n, each equal to the draft). Default 0: a draft only. */
  publishedVersions?: number;
}

/**
 * The smallest useful workflow, valid with the default catalog: triggered by `TICKET_CREATED`, it
 * sets its state and returns. Its definition id is the key's portable id (what export writes) and
 * its dependencies are recomputed, not written by hand.
 */
export function createTemplateWorkflow(options: TemplateWorkflowOptions): BundleWorkflow {
  const description = options.description ?? "Describe what this workflow does.";
  const payloadSchemaRef = "payload.TicketCreated.v1";
  const trigger = { type: "event", eventName: "TICKET_CREATED" };
  const definition = {
    id: computePortableWorkflowId(options.key),
    version: 1,
    name: options.key,
    description,
    payloadSchemaRef,
    trigger,
    steps: [
      { id: "set-state", type: "state.set", config: { state: "STARTED" } },
      { id: "done", type: "control.return" },
    ],
  };
  const workflow: BundleWorkflow = {
    key: options.key,
    metadata: {
      name: options.key,
      description,
      payloadSchemaRef,
      payloadSchemaMode: "pinned",
      pinnedPayloadSchemaRef: payloadSchemaRef,
      trigger,
      isSystem: false,
      isVisible: true,
      isPaused: false,
      concurrencyLimit: null,
      autoPauseOnFailure: false,
      failureRateThreshold: null,
      failureRateMinRuns: null,
      retentionPolicyOverride: null,
    },
    dependencies: { actions: [], nodeTypes: [], schemaRefs: [] },
    draft: { draftVersion: 1, definition },
    publishedVersions: Array.from({ length: options.publishedVersions ?? 0 }, (_, i) => ({
      version: i + 1,
      definition,
      payloadSchemaJson: null,
    })),
  };
  workflow.dependencies = collectDependencies(workflow);
  return workflow;
}

/** The bundle of a new seed (`new <name>`): one draft workflow to edit. */
export function createSeedTemplate(key: string, exportedAt: string): WorkflowBundle {
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    exportedAt,
    workflows: [createTemplateWorkflow({ key })],
  };
}
