import type { Knex } from "knex";
import { selectJson } from "./sql-toolkit.js";

/**
 * Tenant-scoped SQL of the runtime over the workflow tables: the workflow a publish or a run
 * locks, its published versions, and what publishing writes. Ids that come from users or
 * definitions are compared as text, so a malformed id finds nothing instead of aborting the
 * transaction with a cast error.
 */

/** The columns of a workflow that publishing and starting runs read. */
export interface WorkflowHead {
  workflow_id: string;
  key: string | null;
  name: string;
  status: string;
  draft_definition: unknown;
  draft_version: number;
  is_paused: boolean | null;
  concurrency_limit: number | null;
  payload_schema_ref: string;
}

/** Which workflow: by key or by id. */
export interface WorkflowLocator {
  key?: string | undefined;
  workflowId?: string | undefined;
}

/** The workflow, locked for the transaction (`for update`), or undefined. */
export async function selectWorkflowForUpdate(
  trx: Knex.Transaction,
  tenant: string,
  locator: WorkflowLocator,
): Promise<WorkflowHead | undefined> {
  const byId = locator.workflowId !== undefined;
  const rows = await selectJson<WorkflowHead>(
    trx,
    `select workflow_id, key, name, status, draft_definition, draft_version, is_paused, concurrency_limit, payload_schema_ref
     from workflow_definitions
     where tenant = ? and ${byId ? "workflow_id::text = lower(?)" : "key = ?"}
     order by workflow_id
     limit 1
     for update`,
    [tenant, byId ? locator.workflowId : locator.key],
  );
  return rows[0];
}

/** The draft of every workflow of a tenant (what `verify` publishes). */
export async function selectDrafts(
  knex: Knex,
  tenant: string,
): Promise<{ workflow_id: string; draft_definition: unknown }[]> {
  return selectJson<{ workflow_id: string; draft_definition: unknown }>(
    knex,
    "select workflow_id, draft_definition from workflow_definitions where tenant = ?",
    [tenant],
  );
}

/** One published version: the given one, or the highest. */
export async function selectPublishedVersion(
  knex: Knex,
  tenant: string,
  workflowId: string,
  version?: number,
): Promise<{ version: number; definition_json: unknown } | undefined> {
  const rows = await selectJson<{ version: number; definition_json: unknown }>(
    knex,
    `select version, definition_json from workflow_definition_versions
     where tenant = ? and workflow_id = ?::uuid ${version === undefined ? "" : "and version = ?"}
     order by version desc limit 1`,
    version === undefined ? [tenant, workflowId] : [tenant, workflowId, version],
  );
  return rows[0];
}

/** The highest published version of a workflow (0 when there is none). */
export async function selectMaxVersion(trx: Knex.Transaction, tenant: string, workflowId: string): Promise<number> {
  const result = await trx.raw(
    "select coalesce(max(version), 0)::int as v from workflow_definition_versions where tenant = ? and workflow_id = ?::uuid",
    [tenant, workflowId],
  );
  return result.rows[0].v as number;
}

/** The published versions of the given workflow ids (matched as text): `workflowId → versions`. */
export async function selectPublishedVersionNumbers(
  knex: Knex,
  tenant: string,
  workflowIds: readonly string[],
): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  if (workflowIds.length === 0) return found;
  const rows = await selectJson<{ workflow_id: string; versions: number[] | null }>(
    knex,
    `select d.workflow_id::text as workflow_id,
            array_remove(array_agg(v.version order by v.version), null) as versions
     from workflow_definitions d
     left join workflow_definition_versions v on v.tenant = d.tenant and v.workflow_id = d.workflow_id
     where d.tenant = ? and d.workflow_id::text = any(?::text[])
     group by d.workflow_id`,
    [tenant, workflowIds.map((id) => id.toLowerCase())],
  );
  for (const row of rows) found.set(row.workflow_id, row.versions ?? []);
  return found;
}

/** The published version `control.callWorkflow` starts. */
export async function selectCallTarget(
  knex: Knex,
  tenant: string,
  workflowId: string,
  version: number,
): Promise<{ workflow_id: string; version: number; definition_json: unknown } | undefined> {
  const rows = await selectJson<{ workflow_id: string; version: number; definition_json: unknown }>(
    knex,
    `select d.workflow_id, v.version, v.definition_json
     from workflow_definitions d
     join workflow_definition_versions v on v.tenant = d.tenant and v.workflow_id = d.workflow_id
     where d.tenant = ? and d.workflow_id::text = lower(?) and v.version = ?
     limit 1`,
    [tenant, workflowId, version],
  );
  return rows[0];
}

/** What publishing writes. */
export interface PublishedVersionWrite {
  workflowId: string;
  version: number;
  definition: unknown;
  draftDefinition: unknown;
  name: string;
  description: string | null;
  trigger: unknown;
  payloadSchemaRef: string;
  validationStatus: string;
  validationWarnings: unknown[];
  validationContext: unknown;
  actor: string | null;
}

/**
 * Inserts the published version and updates the workflow (status, draft, validation columns), in
 * the caller's transaction.
 */
export async function writePublishedVersion(
  trx: Knex.Transaction,
  tenant: string,
  write: PublishedVersionWrite,
): Promise<void> {
  await trx.raw(
    `insert into workflow_definition_versions
       (tenant, version_id, workflow_id, version, definition_json, payload_schema_json, published_by, published_at,
        validation_status, validation_errors, validation_warnings, validated_at, created_at, updated_at)
     values (?::uuid, gen_random_uuid(), ?::uuid, ?, ?::jsonb, null, ?::uuid, now(), ?, '[]'::jsonb, ?::jsonb, now(), now(), now())`,
    [
      tenant,
      write.workflowId,
      write.version,
      JSON.stringify(write.definition),
      write.actor,
      write.validationStatus,
      JSON.stringify(write.validationWarnings),
    ],
  );
  await trx.raw(
    `update workflow_definitions set
       status = 'published', draft_definition = ?::jsonb, draft_version = ?, name = ?, description = ?,
       trigger = ?::jsonb, payload_schema_ref = ?, validation_status = ?, validation_errors = '[]'::jsonb,
       validation_warnings = ?::jsonb, validation_context_json = ?::jsonb, validated_at = now(),
       updated_by = ?::uuid, updated_at = now()
     where tenant = ? and workflow_id = ?::uuid`,
    [
      JSON.stringify(write.draftDefinition),
      write.version + 1,
      write.name,
      write.description,
      write.trigger === undefined ? null : JSON.stringify(write.trigger),
      write.payloadSchemaRef,
      write.validationStatus,
      JSON.stringify(write.validationWarnings),
      JSON.stringify(write.validationContext),
      write.actor,
      tenant,
      write.workflowId,
    ],
  );
}
