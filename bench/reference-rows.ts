/**
 * The rows the reference importers write: what `importBundles` writes for a bundle workflow, minus
 * its checks (no validation, no locks, no reference resolution). Bench only, never the product.
 */
import { randomUUID } from "node:crypto";
import type { VersionRow, WorkflowRow } from "../src/db/workflow-store.js";
import type { BundleWorkflow } from "../src/format/bundle-schema.js";
import { isJsonObject, type JsonObject } from "../src/format/json-value.js";
import { toWorkflowRow } from "../src/import/workflow-row.js";

/** The rows of some bundles. */
export interface ReferenceRows {
  workflows: WorkflowRow[];
  versions: VersionRow[];
}

function withId(definition: unknown, id: string): unknown {
  return isJsonObject(definition) ? { ...definition, id } : definition;
}

/** The workflows of parsed bundles, unchecked (they are the corpus: known to be valid). */
export function collectBundleWorkflows(bundles: readonly { bundle: JsonObject }[]): BundleWorkflow[] {
  return bundles.flatMap((b) => (Array.isArray(b.bundle.workflows) ? (b.bundle.workflows as BundleWorkflow[]) : []));
}

/** Maps one workflow to its rows, with `definition.id` set to the new workflow id as the product does. */
export function buildReferenceRows(
  workflows: readonly BundleWorkflow[],
  generateId: (key: string) => string = () => randomUUID(),
): ReferenceRows {
  const rows: ReferenceRows = { workflows: [], versions: [] };
  for (const w of workflows) {
    const id = generateId(w.key);
    rows.workflows.push(toWorkflowRow(w, id, withId(w.draft.definition, id)));
    for (const v of w.publishedVersions)
      rows.versions.push({
        workflow_id: id,
        version: v.version,
        definition_json: withId(v.definition, id),
        payload_schema_json: v.payloadSchemaJson,
      });
  }
  return rows;
}
