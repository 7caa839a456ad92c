import type { Knex } from "knex";
import { buildBundle } from "../db/build-bundle.js";
import {
  selectKeysByIds,
  selectVersions,
  selectWorkflows,
  type VersionRow,
  type WorkflowRow,
} from "../db/workflow-store.js";
import type { BundleWorkflow } from "../format/bundle-schema.js";
import { canonicalizeJson } from "../format/canonical-json.js";
import { isUuidString } from "../format/portable-id.js";
import { collectCallReferences } from "../format/workflow-references.js";

/**
 * An update an import is about to make: the rows it would write over an existing workflow, ids
 * and `control.callWorkflow` targets resolved as the write resolves them, each version with its
 * full definition.
 */
export interface PendingUpdate {
  key: string;
  row: WorkflowRow;
  versions: readonly VersionRow[];
}

/** The ids of the tenant as they will be once the import is written. */
export interface IdsAfterImport {
  /** The key each workflow of the import will have, by its (lower-case) id. */
  keyById: ReadonlyMap<string, string>;
  /** The ids the import deletes (the old ids of a replace): no key names them afterwards. */
  deleted: ReadonlySet<string>;
}

// Content only: a fixed time, as the seeder's snapshots use.
const NO_TIME = "1970-01-01T00:00:00.000Z";

/**
 * The keys of the updates that would leave their workflow exactly as it is: its stored rows and
 * the rows the update would write give the same portable form (what `export` and the seeder's
 * content hash show: metadata, draft, every published version, dependencies, references by key).
 * Both are read through the export's own mapping, with the keys the ids will have after the
 * import, so any difference the export can show makes the update; columns the export does not
 * carry (`status`, audit columns) are not compared. At most three queries; none without updates.
 */
export async function readUnchangedUpdates(
  trx: Knex.Transaction,
  tenant: string,
  updates: readonly PendingUpdate[],
  ids: IdsAfterImport,
): Promise<Set<string>> {
  const unchanged = new Set<string>();
  if (updates.length === 0) return unchanged;
  const stored = new Map(
    (await selectWorkflows(trx, tenant, { workflowIds: updates.map((u) => u.row.workflow_id) })).map((r) => [
      r.workflow_id,
      r,
    ]),
  );
  // The columns first (no reference in them): only the workflows they leave equal need their
  // versions and call targets read.
  const noKeys = new Map<string, string>();
  const metadataOf = (row: WorkflowRow) => {
    const w = toPortable(row, [], noKeys);
    return canonicalizeJson({ metadata: w.metadata, draftVersion: w.draft.draftVersion });
  };
  const candidates = updates.filter((u) => {
    const row = stored.get(u.row.workflow_id);
    return row !== undefined && metadataOf(row) === metadataOf(u.row);
  });
  if (candidates.length === 0) return unchanged;

  const storedVersions = new Map<string, VersionRow[]>();
  for (const v of await selectVersions(
    trx,
    tenant,
    candidates.map((u) => u.row.workflow_id),
  ))
    storedVersions.set(v.workflow_id, [...(storedVersions.get(v.workflow_id) ?? []), v]);

  const keyById = new Map<string, string>();
  const unknown = new Set<string>();
  const definitions = candidates.flatMap((u) => [
    u.row.draft_definition,
    ...u.versions.map((v) => v.definition_json),
    stored.get(u.row.workflow_id)?.draft_definition,
    ...(storedVersions.get(u.row.workflow_id) ?? []).map((v) => v.definition_json),
  ]);
  for (const d of definitions)
    for (const ref of collectCallReferences(d)) {
      const id = ref.workflowId.toLowerCase();
      const key = ids.keyById.get(id);
      if (key !== undefined) keyById.set(id, key);
      // As the export: only a uuid can name a row, and a deleted one names none.
      else if (isUuidString(id) && !ids.deleted.has(id)) unknown.add(id);
    }
  for (const row of await selectKeysByIds(trx, tenant, [...unknown]))
    if (row.key) keyById.set(row.workflow_id, row.key);

  for (const u of candidates) {
    const before = toPortable(
      stored.get(u.row.workflow_id) as WorkflowRow,
      storedVersions.get(u.row.workflow_id) ?? [],
      keyById,
    );
    if (canonicalizeJson(before) === canonicalizeJson(toPortable(u.row, u.versions, keyById))) unchanged.add(u.key);
  }
  return unchanged;
}

function toPortable(
  row: WorkflowRow,
  versions: readonly VersionRow[],
  keyById: ReadonlyMap<string, string>,
): BundleWorkflow {
  return buildBundle([row], versions, keyById, NO_TIME).workflows[0] as BundleWorkflow;
}
