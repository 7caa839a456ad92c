import type { Knex } from "knex";
import { buildBundle } from "../db/build-bundle.js";
import { assertTenant } from "../db/tenant.js";
import {
  selectKeysByIds,
  selectVersions,
  selectWorkflows,
  type WorkflowRow,
  type WorkflowSelection,
} from "../db/workflow-store.js";
import { fail, type Issue, WorkflowSeederError } from "../errors.js";
import type { WorkflowBundle } from "../format/bundle-schema.js";
import { validateBundle } from "../format/parse-bundle.js";
import { isUuidString } from "../format/portable-id.js";
import { collectCallReferences } from "../format/workflow-references.js";

// Re-exported: the mapping of rows to a bundle lives in db/ (the import compares with it too).
export { buildBundle };

/** Options of {@link exportBundle}. */
export interface ExportOptions extends WorkflowSelection {
  /** The tenant to read from (a UUID). */
  tenant: string;
  /** The bundle's `exportedAt`. Default: now. Pin it for byte-stable output. */
  exportedAt?: string;
}

/**
 * Reads workflows of a tenant and writes them as a bundle v1 with no database ids, timestamps or
 * actors: `definition.id` becomes the portable id of the key and every `control.callWorkflow`
 * target that has a key becomes that key's portable id, so the same workflows give the same bytes
 * from any database and tenant. Workflows sorted by key, versions ascending, dependencies
 * recomputed. Two queries (three when a called workflow lies outside the selection). The result
 * is checked like an import checks it: rows that no bundle can carry fail the export
 * (SCHEMA_VALIDATION_FAILED naming the workflow, DUPLICATE_WORKFLOW_KEY, VALUE_OUT_OF_RANGE).
 */
export async function exportBundle(db: Knex, options: ExportOptions): Promise<WorkflowBundle> {
  assertTenant(options.tenant);
  // Ids are matched in any case but reported as given (an error echoes its input verbatim).
  const givenIds = options.workflowIds ?? [];
  const ids = givenIds.map((id) => id.toLowerCase());
  const keys = options.keys ?? [];
  if (!options.all) {
    const invalid = givenIds.filter((id) => !isUuidString(id));
    if (invalid.length > 0) fail("WORKFLOW_NOT_FOUND", { workflowIds: invalid, keys: [], tenant: options.tenant });
  }
  // No stored key holds U+0000 (PostgreSQL text cannot), and binding one is a database error.
  const storableKeys = keys.filter((k) => !k.includes("\u0000"));
  const rows = await selectWorkflows(db, options.tenant, { ...options, workflowIds: ids, keys: storableKeys });
  if (!options.all) {
    const foundIds = new Set(rows.map((r) => r.workflow_id));
    const foundKeys = new Set(rows.map((r) => r.key));
    const missingIds = givenIds.filter((id) => !foundIds.has(id.toLowerCase()));
    const missingKeys = keys.filter((k) => !foundKeys.has(k));
    if (missingIds.length + missingKeys.length > 0)
      fail("WORKFLOW_NOT_FOUND", { workflowIds: missingIds, keys: missingKeys, tenant: options.tenant });
  }
  // A bundle needs at least one workflow.
  if (rows.length === 0) fail("WORKFLOW_NOT_FOUND", { workflowIds: [], keys: [], tenant: options.tenant });
  const keyless = rows.filter((r) => r.key === null || r.key === "");
  if (keyless.length > 0)
    fail("WORKFLOW_WITHOUT_KEY", { workflowIds: keyless.map((r) => r.workflow_id), tenant: options.tenant });

  const versions = await selectVersions(
    db,
    options.tenant,
    rows.map((r) => r.workflow_id),
  );
  const keyById = new Map(rows.map((r) => [r.workflow_id, r.key as string]));
  const outside = new Set<string>();
  for (const d of [...rows.map((r) => r.draft_definition), ...versions.map((v) => v.definition_json)])
    for (const ref of collectCallReferences(d)) {
      const id = ref.workflowId.toLowerCase();
      if (isUuidString(id) && !keyById.has(id)) outside.add(id);
    }
  for (const row of await selectKeysByIds(db, options.tenant, [...outside]))
    if (row.key) keyById.set(row.workflow_id, row.key);

  const bundle = buildBundle(rows, versions, keyById, options.exportedAt ?? new Date().toISOString());
  // Rows written by other tools (Alga's UI, hand-made SQL) may hold what a bundle cannot carry: a
  // key outside the pattern, an empty name, a draft that is not an object, one key twice on Alga's
  // plain-Postgres schema. Refuse to write a file that no import would accept, naming the rows.
  const checked = validateBundle(bundle);
  if (!checked.ok) throw new WorkflowSeederError(checked.issues.map((i) => nameWorkflows(i, bundle, rows)));
  return bundle;
}

/** Prefixes each problem of a schema issue with the key and id of the workflow it is about. */
function nameWorkflows(value: Issue, bundle: WorkflowBundle, rows: readonly WorkflowRow[]): Issue {
  if (value.code !== "SCHEMA_VALIDATION_FAILED") return value;
  const idByKey = new Map(rows.map((r) => [r.key, r.workflow_id]));
  const errors = value.details.errors.map((problem) => {
    const index = /^\/workflows\/(\d+)(?:\/|$)/.exec(problem.path)?.[1];
    const key = index === undefined ? undefined : bundle.workflows[Number(index)]?.key;
    if (key === undefined) return problem;
    return { ...problem, message: `workflow ${JSON.stringify(key)} (${idByKey.get(key)}): ${problem.message}` };
  });
  return { ...value, details: { ...value.details, errors } };
}
