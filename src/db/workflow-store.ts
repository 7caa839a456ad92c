import type { Knex } from "knex";
import { ADVISORY_LOCK_CLASS } from "./migrations.js";
import { insertRows, qualifiedColumns, type Relation, selectJson, updateRows } from "./sql-toolkit.js";

/**
 * Tenant-scoped SQL over Alga's workflow tables. Every statement takes the tenant and filters on
 * it; every multi-row write is one statement over a `jsonb_to_recordset` document, so N workflows
 * cost a constant number of round trips. Statements rely only on columns, never on constraints
 * (an adopted Alga database may lack the unique `(tenant, key)`).
 */

/** The columns of `workflow_definitions` that a bundle carries. */
export interface WorkflowRow {
  workflow_id: string;
  key: string | null;
  name: string;
  description: string | null;
  payload_schema_ref: string;
  payload_schema_mode: string;
  pinned_payload_schema_ref: string | null;
  trigger: unknown;
  draft_definition: unknown;
  draft_version: number;
  status: string;
  is_system: boolean | null;
  is_visible: boolean | null;
  is_paused: boolean | null;
  concurrency_limit: number | null;
  auto_pause_on_failure: boolean | null;
  /**
   * numeric(5,2). Read through `selectJson` it is a JSON number (`0.5`; only a plain query gets
   * `pg`'s string "0.50"); written from a number or a numeric string, rounded to 2 decimals.
   */
  failure_rate_threshold: string | number | null;
  failure_rate_min_runs: number | null;
  retention_policy_override: unknown;
}

/** The columns of `workflow_definition_versions` that a bundle carries. */
export interface VersionRow {
  workflow_id: string;
  version: number;
  definition_json: unknown;
  payload_schema_json: unknown;
}

/**
 * A version row to write: `definition_json` may be left out (null) with `same_as_draft`, when the
 * version equals its workflow's draft as just written; the server then copies the draft.
 */
export interface VersionInsertRow extends VersionRow {
  same_as_draft?: boolean;
}

const WORKFLOWS: Relation<WorkflowRow> = {
  table: "workflow_definitions",
  key: ["workflow_id"],
  columns: [
    ["workflow_id", "uuid"],
    ["key", "text"],
    ["name", "text"],
    ["description", "text"],
    ["payload_schema_ref", "text"],
    ["payload_schema_mode", "text"],
    ["pinned_payload_schema_ref", "text"],
    ["trigger", "jsonb"],
    ["draft_definition", "jsonb"],
    ["draft_version", "integer"],
    ["status", "text"],
    ["is_system", "boolean"],
    ["is_visible", "boolean"],
    ["is_paused", "boolean"],
    ["concurrency_limit", "integer"],
    ["auto_pause_on_failure", "boolean"],
    ["failure_rate_threshold", "numeric"],
    ["failure_rate_min_runs", "integer"],
    ["retention_policy_override", "jsonb"],
  ],
};

const VERSIONS: Relation<VersionRow> = {
  table: "workflow_definition_versions",
  key: ["workflow_id", "version"],
  columns: [
    ["workflow_id", "uuid"],
    ["version", "integer"],
    ["definition_json", "jsonb"],
    ["payload_schema_json", "jsonb"],
  ],
};

const SELECT_WORKFLOW_COLUMNS = qualifiedColumns(WORKFLOWS, "d");

/**
 * How many key locks a tenant has: keys hash into this many buckets, one advisory lock each, so an
 * import takes at most this many locks whatever its size. PostgreSQL's lock table is shared by
 * the whole server and small (max_locks_per_transaction x max_connections, 6,400 by default):
 * one lock per key made a 15,000-workflow import, or two 10,000-workflow imports at once, fail
 * with "out of shared memory", and starved every other session of the server meanwhile.
 */
export const KEY_LOCK_BUCKETS = 1024;

/**
 * Serializes writers of the same `(tenant, key)`: transaction-scoped advisory locks on the keys'
 * buckets (see {@link KEY_LOCK_BUCKETS}), in one statement and in a fixed order (no deadlock
 * between importers of overlapping key sets). Two keys may share a bucket: their importers then
 * wait for each other, which is safe. Released at commit or rollback, or by the server when the
 * connection dies: they cannot go stale.
 */
export async function lockWorkflowKeys(trx: Knex.Transaction, tenant: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await trx.raw(
    `select count(pg_advisory_xact_lock(?, h)) from (
       select distinct hashtext(?::text || ':' || (hashtext(k) & ?)::text) as h from unnest(?::text[]) as k order by h
     ) as locks`,
    [ADVISORY_LOCK_CLASS, tenant, KEY_LOCK_BUCKETS - 1, [...keys]],
  );
}

/** The workflows of a tenant with the given keys (all rows, even duplicates on Alga's schema). */
export async function selectWorkflowIdsByKeys(
  knex: Knex,
  tenant: string,
  keys: readonly string[],
): Promise<{ workflow_id: string; key: string }[]> {
  if (keys.length === 0) return [];
  const result = await knex.raw(
    "select workflow_id::text as workflow_id, key from workflow_definitions where tenant = ? and key = any(?::text[])",
    [tenant, [...keys]],
  );
  return result.rows;
}

/** Every `(workflow_id, key)` of a tenant: for resolving portable references. */
export async function selectAllWorkflowIds(
  knex: Knex,
  tenant: string,
): Promise<{ workflow_id: string; key: string | null }[]> {
  const result = await knex.raw(
    "select workflow_id::text as workflow_id, key from workflow_definitions where tenant = ?",
    [tenant],
  );
  return result.rows;
}

/** Inserts workflows (one statement per document of rows; `rows` may be lazy). */
export async function insertWorkflows(
  trx: Knex.Transaction,
  tenant: string,
  rows: Iterable<WorkflowRow>,
  actor: string | null,
): Promise<void> {
  await insertRows(trx, tenant, WORKFLOWS, rows, {
    computed: [
      { column: "created_by", sql: "?::uuid", bindings: [actor] },
      { column: "updated_by", sql: "?::uuid", bindings: [actor] },
      { column: "created_at", sql: "now()" },
      { column: "updated_at", sql: "now()" },
    ],
  });
}

/** Overwrites workflows in place, keeping their ids and creation audit fields (one statement per document of rows). */
export async function updateWorkflows(
  trx: Knex.Transaction,
  tenant: string,
  rows: Iterable<WorkflowRow>,
  actor: string | null,
): Promise<void> {
  await updateRows(trx, tenant, WORKFLOWS, rows, {
    computed: [
      { column: "updated_by", sql: "?::uuid", bindings: [actor] },
      { column: "updated_at", sql: "now()" },
    ],
  });
}

/** Deletes workflows; their versions and runs go with them (ON DELETE CASCADE). */
export async function deleteWorkflows(
  trx: Knex.Transaction,
  tenant: string,
  workflowIds: readonly string[],
): Promise<void> {
  if (workflowIds.length === 0) return;
  await trx.raw("delete from workflow_definitions where tenant = ? and workflow_id = any(?::uuid[])", [
    tenant,
    [...workflowIds],
  ]);
}

/** Deletes every published version of the given workflows. */
export async function deleteVersions(
  trx: Knex.Transaction,
  tenant: string,
  workflowIds: readonly string[],
): Promise<void> {
  if (workflowIds.length === 0) return;
  await trx.raw("delete from workflow_definition_versions where tenant = ? and workflow_id = any(?::uuid[])", [
    tenant,
    [...workflowIds],
  ]);
}

/** Inserts published versions (one statement per document of rows; `rows` may be lazy). */
export async function insertVersions(
  trx: Knex.Transaction,
  tenant: string,
  rows: Iterable<VersionInsertRow>,
  actor: string | null,
): Promise<void> {
  // A version equal to its draft (every version of most real bundles) is not sent twice: the
  // server copies the draft it has just stored, which halves what it parses.
  await insertRows(trx, tenant, VERSIONS, rows, {
    inputs: [["same_as_draft", "boolean"]],
    computed: [
      {
        column: "definition_json",
        sql: "case when r.same_as_draft then d.draft_definition else r.definition_json end",
      },
      { column: "version_id", sql: "gen_random_uuid()" },
      { column: "published_by", sql: "?::uuid", bindings: [actor] },
      { column: "published_at", sql: "now()" },
      { column: "created_at", sql: "now()" },
      { column: "updated_at", sql: "now()" },
    ],
    join: {
      sql: "left join workflow_definitions d on r.same_as_draft and d.tenant = ?::uuid and d.workflow_id = r.workflow_id",
      bindings: [tenant],
    },
  });
}

/** What to read: workflow ids, keys, or every workflow of the tenant. */
export interface WorkflowSelection {
  workflowIds?: readonly string[];
  keys?: readonly string[];
  all?: boolean;
  /** Also read every workflow reachable through `control.callWorkflow` (draft or versions). */
  withCalledWorkflows?: boolean;
}

/**
 * Reads the selected workflows (and, when asked, the closure of the workflows they call, in the
 * same recursive query).
 */
export async function selectWorkflows(
  knex: Knex,
  tenant: string,
  selection: WorkflowSelection,
): Promise<WorkflowRow[]> {
  const ids = selection.workflowIds ?? [];
  const keys = selection.keys ?? [];
  const seed = selection.all
    ? "select d.tenant, d.workflow_id from workflow_definitions d where d.tenant = ?"
    : "select d.tenant, d.workflow_id from workflow_definitions d where d.tenant = ? and (d.workflow_id = any(?::uuid[]) or d.key = any(?::text[]))";
  const seedBindings = selection.all ? [tenant] : [tenant, [...ids], [...keys]];
  if (!selection.withCalledWorkflows) {
    return selectJson<WorkflowRow>(
      knex,
      `select ${SELECT_WORKFLOW_COLUMNS} from workflow_definitions d
       where (d.tenant, d.workflow_id) in (${seed})`,
      seedBindings,
    );
  }
  // Targets are read from the draft and every published version; only uuid-shaped strings can
  // name a row, anything else is left to the caller to report.
  return selectJson<WorkflowRow>(
    knex,
    `with recursive reachable(tenant, workflow_id) as (
       ${seed}
       union
       select t.tenant, t.workflow_id
       from reachable r
       cross join lateral (
         select jsonb_path_query(d.draft_definition, 'lax $.** \\? (@.type == "control.callWorkflow").workflowId') #>> '{}' as target
         from workflow_definitions d where d.tenant = r.tenant and d.workflow_id = r.workflow_id
         union
         select jsonb_path_query(v.definition_json, 'lax $.** \\? (@.type == "control.callWorkflow").workflowId') #>> '{}'
         from workflow_definition_versions v where v.tenant = r.tenant and v.workflow_id = r.workflow_id
       ) as refs
       join workflow_definitions t
         on t.tenant = r.tenant
        and refs.target ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        and t.workflow_id = refs.target::uuid
     )
     select ${SELECT_WORKFLOW_COLUMNS} from workflow_definitions d
     where (d.tenant, d.workflow_id) in (select tenant, workflow_id from reachable)`,
    seedBindings,
  );
}

/** Published versions of the given workflows, ascending by version. */
export async function selectVersions(
  knex: Knex,
  tenant: string,
  workflowIds: readonly string[],
): Promise<VersionRow[]> {
  if (workflowIds.length === 0) return [];
  return selectJson<VersionRow>(
    knex,
    `select ${qualifiedColumns(VERSIONS, "v")}
     from workflow_definition_versions v
     where v.tenant = ? and v.workflow_id = any(?::uuid[])
     order by v.workflow_id, v.version`,
    [tenant, [...workflowIds]],
  );
}

/** Keys of the given workflow ids (for writing portable references to workflows outside a selection). */
export async function selectKeysByIds(
  knex: Knex,
  tenant: string,
  workflowIds: readonly string[],
): Promise<{ workflow_id: string; key: string | null }[]> {
  if (workflowIds.length === 0) return [];
  const result = await knex.raw(
    "select workflow_id::text as workflow_id, key from workflow_definitions where tenant = ? and workflow_id = any(?::uuid[])",
    [tenant, [...workflowIds]],
  );
  return result.rows;
}
