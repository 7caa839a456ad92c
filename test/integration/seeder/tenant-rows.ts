/** Reads what the seeder wrote for one tenant, for assertions. */
import type { Knex } from "knex";
import { canonicalizeJson, exportBundle } from "../../../src/index.js";

/** One workflow row of a tenant: what tests compare. */
export interface WorkflowSummary {
  key: string;
  workflowId: string;
  description: string | null;
  versions: number;
}

/** The tenant's workflows by key. */
export async function readWorkflows(knex: Knex, tenant: string): Promise<Map<string, WorkflowSummary>> {
  const result = await knex.raw(
    `select d.key, d.workflow_id::text as "workflowId", d.description,
       (select count(*)::int from workflow_definition_versions v where v.tenant = d.tenant and v.workflow_id = d.workflow_id) as versions
     from workflow_definitions d where d.tenant = ? order by d.key`,
    [tenant],
  );
  return new Map((result.rows as WorkflowSummary[]).map((r) => [r.key, r]));
}

/** The tenant's seed records: name -> checksum. */
export async function readSeedRows(
  knex: Knex,
  tenant: string,
): Promise<{ name: string; checksum: string; baseline: boolean; workflows: { key: string; action: string }[] }[]> {
  const result = await knex.raw(
    "select name, checksum, baseline, workflows from workflow_seeder_seeds where tenant = ? order by name",
    [tenant],
  );
  return result.rows;
}

/** The tenant's whole workflow state as canonical bundle text (empty string when it has none). */
export async function exportTenantText(knex: Knex, tenant: string): Promise<string> {
  const rows = await knex.raw("select count(*)::int as n from workflow_definitions where tenant = ?", [tenant]);
  if (rows.rows[0].n === 0) return "";
  return canonicalizeJson(await exportBundle(knex, { tenant, all: true, exportedAt: "1970-01-01T00:00:00.000Z" }));
}
