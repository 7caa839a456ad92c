import type { Knex } from "knex";
import { SEEDS_TABLE } from "./migrations.js";
import { selectJson } from "./sql-toolkit.js";

/** One workflow of a tenant as `workflow-seeder list` shows it. */
export interface WorkflowListEntry {
  /** The workflow key; null for a workflow created without one. */
  key: string | null;
  workflowId: string;
  name: string;
  /** `workflow_definitions.status` as stored (`draft`, `published`, ...). */
  status: string;
  paused: boolean;
  /** The version number of the draft. */
  draftVersion: number;
  /** The published versions, ascending (empty when never published). */
  publishedVersions: number[];
  /** The highest published version, or null. */
  latestPublishedVersion: number | null;
  /**
   * The applied seed that owns the workflow: the last seed, in seed order, whose record says it
   * created, updated, replaced or adopted the key while the workflow still has the id that seed
   * recorded (the seeder's own ownership rule); null when no seed wrote it.
   */
  seed: string | null;
}

/**
 * Every workflow of a tenant with its versions and owning seed, in key order, in one query
 * (whatever the number of workflows and seeds).
 */
export async function selectWorkflowList(knex: Knex, tenant: string): Promise<WorkflowListEntry[]> {
  return selectJson<WorkflowListEntry>(
    knex,
    `select d.key, d.workflow_id::text as "workflowId", d.name, d.status,
            coalesce(d.is_paused, false) as paused, d.draft_version as "draftVersion",
            coalesce(v.versions, '{}') as "publishedVersions", v.versions[cardinality(v.versions)] as "latestPublishedVersion",
            o.name as seed
     from workflow_definitions d
     left join lateral (
       select array_agg(x.version order by x.version) as versions
       from workflow_definition_versions x where x.tenant = d.tenant and x.workflow_id = d.workflow_id
     ) v on true
     left join lateral (
       select s.name
       from ${SEEDS_TABLE} s cross join lateral jsonb_array_elements(s.workflows) as e
       where s.tenant = d.tenant and e->>'key' = d.key and e->>'workflowId' = d.workflow_id::text
         and e->>'action' <> 'skipped'
       order by s.name desc limit 1
     ) o on true
     where d.tenant = ?
     order by d.key nulls last, d.workflow_id`,
    [tenant],
  );
}
