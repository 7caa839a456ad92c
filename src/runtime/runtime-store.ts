import type { Knex } from "knex";
import {
  type InvocationRow,
  type RecordedTable,
  type RunRecording,
  type RunRow,
  type StepRow,
  splitRecordedRows,
  type WaitRow,
} from "./run-recording.js";

/**
 * Tenant-scoped SQL of the runtime: publishing and the run tables. Every statement filters on the
 * tenant; ids that come from users or definitions are compared as text, so a malformed id finds
 * nothing instead of aborting the transaction with a cast error. Multi-row writes are one statement
 * each over a `jsonb_to_recordset` document.
 */

/** Reads rows as one JSON array (jsonb columns come back parsed, timestamps as ISO strings). */
async function selectJson<T>(knex: Knex, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const result = await knex.raw(`select coalesce(json_agg(q), '[]'::json) as rows from (${sql}) q`, bindings as never);
  return result.rows[0].rows as T[];
}

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

/** Runs of a workflow that are RUNNING or WAITING (what `concurrency_limit` counts). */
export async function countActiveRuns(trx: Knex.Transaction, tenant: string, workflowId: string): Promise<number> {
  const result = await trx.raw(
    "select count(*)::int as n from workflow_runs where tenant = ? and workflow_id = ?::uuid and status in ('RUNNING', 'WAITING')",
    [tenant, workflowId],
  );
  return result.rows[0].n as number;
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

/** The published version `control.callWorkflow` starts, with the target's key. */
export async function selectCallTarget(
  knex: Knex,
  tenant: string,
  workflowId: string,
  version: number,
): Promise<{ workflow_id: string; key: string | null; version: number; definition_json: unknown } | undefined> {
  const rows = await selectJson<{ workflow_id: string; key: string | null; version: number; definition_json: unknown }>(
    knex,
    `select d.workflow_id, d.key, v.version, v.definition_json
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

/** The recorded invocation of an idempotency key, if any. */
export async function selectInvocation(
  knex: Knex,
  tenant: string,
  actionId: string,
  version: number,
  idempotencyKey: string,
): Promise<InvocationRow | undefined> {
  const rows = await selectJson<InvocationRow>(
    knex,
    `select invocation_id, run_id, step_path, action_id, action_version, idempotency_key, status, attempt,
            input_json, output_json, error_message, created_at, started_at, completed_at
     from workflow_action_invocations
     where tenant = ? and action_id = ? and action_version = ? and idempotency_key = ?
     limit 1`,
    [tenant, actionId, version, idempotencyKey],
  );
  return rows[0];
}

/** A run with its workflow's key, locked for the transaction, or undefined. */
export async function selectRunForUpdate(
  trx: Knex.Transaction,
  tenant: string,
  runId: string,
): Promise<(RunRow & { workflow_key: string | null }) | undefined> {
  const rows = await selectJson<RunRow & { workflow_key: string | null }>(
    trx,
    `select r.run_id, r.workflow_id, r.workflow_version, r.status, r.node_path, r.input_json, r.resume_event_payload,
            r.resume_event_name, r.resume_error, r.error_json, r.parent_run_id, r.root_run_id, r.definition_hash,
            r.started_at, r.completed_at, r.updated_at, d.key as workflow_key
     from workflow_runs r
     join workflow_definitions d on d.tenant = r.tenant and d.workflow_id = r.workflow_id
     where r.tenant = ? and r.run_id::text = lower(?)
     for update of r`,
    [tenant, runId],
  );
  return rows[0];
}

/** What a waiting run resumes from: its open wait, its last snapshot, and its step rows' attempts. */
export interface WaitingRunState {
  wait: WaitRow | undefined;
  envelope: unknown;
  /** When the last snapshot was written: the run's latest timestamp. */
  envelopeAt: string | null;
  attempts: { step_path: string; attempt: number }[];
  /** The step row of the waiting step (status STARTED), if any. */
  waitingStep: StepRow | undefined;
}

/** Reads {@link WaitingRunState} in one statement. */
export async function selectWaitingRunState(knex: Knex, tenant: string, runId: string): Promise<WaitingRunState> {
  const result = await knex.raw(
    `select
       (select row_to_json(w) from (
          select wait_id, run_id, step_path, wait_type, key, event_name, timeout_at, status, payload, created_at, resolved_at
          from workflow_run_waits where tenant = ? and run_id = ?::uuid and status = 'WAITING'
          order by created_at desc limit 1) w) as wait,
       (select row_to_json(e) from (select envelope_json, created_at from workflow_run_snapshots
          where tenant = ? and run_id = ?::uuid order by created_at desc limit 1) e) as envelope,
       (select coalesce(json_agg(a), '[]'::json) from (
          select step_path, max(attempt)::int as attempt from workflow_run_steps
          where tenant = ? and run_id = ?::uuid group by step_path) a) as attempts,
       (select row_to_json(s) from (
          select s.step_id, s.run_id, s.step_path, s.definition_step_id, s.status, s.attempt, s.duration_ms, s.error_json,
                 s.snapshot_id, s.started_at, s.completed_at
          from workflow_run_steps s
          join workflow_runs r on r.tenant = s.tenant and r.run_id = s.run_id
          where s.tenant = ? and s.run_id = ?::uuid and s.step_path = r.node_path and s.status = 'STARTED'
          order by s.started_at desc limit 1) s) as waiting_step`,
    [tenant, runId, tenant, runId, tenant, runId, tenant, runId],
  );
  const row = result.rows[0];
  return {
    wait: row.wait ?? undefined,
    envelope: row.envelope?.envelope_json ?? null,
    envelopeAt: row.envelope?.created_at ?? null,
    attempts: row.attempts,
    waitingStep: row.waiting_step ?? undefined,
  };
}

const RUN_RECORD = `run_id uuid, workflow_id uuid, workflow_version integer, status text, node_path text, input_json jsonb,
  resume_event_payload jsonb, resume_event_name text, resume_error jsonb, error_json jsonb, parent_run_id uuid,
  root_run_id uuid, definition_hash text, started_at timestamptz, completed_at timestamptz, updated_at timestamptz`;
const STEP_RECORD = `step_id uuid, run_id uuid, step_path text, definition_step_id text, status text, attempt integer,
  duration_ms integer, error_json jsonb, snapshot_id uuid, started_at timestamptz, completed_at timestamptz`;
const WAIT_RECORD = `wait_id uuid, run_id uuid, step_path text, wait_type text, key text, event_name text,
  timeout_at timestamptz, status text, payload jsonb, created_at timestamptz, resolved_at timestamptz`;
const INVOCATION_RECORD = `invocation_id uuid, run_id uuid, step_path text, action_id text, action_version integer,
  idempotency_key text, status text, attempt integer, input_json jsonb, output_json jsonb, error_message text,
  created_at timestamptz, started_at timestamptz, completed_at timestamptz`;

function columnsOf(record: string): string[] {
  return record.split(",").map((c) => (c.trim().split(/\s+/)[0] as string).trim());
}

async function insertRows(
  trx: Knex.Transaction,
  tenant: string,
  table: string,
  record: string,
  rows: readonly unknown[],
  onConflict = "",
): Promise<void> {
  if (rows.length === 0) return;
  const columns = columnsOf(record);
  await trx.raw(
    `insert into ${table} (tenant, ${columns.join(", ")})
     select ?::uuid, ${columns.map((c) => `r.${c}`).join(", ")} from jsonb_to_recordset(?::jsonb) as r(${record})
     ${onConflict}`,
    [tenant, JSON.stringify(rows)],
  );
}

async function updateRows(
  trx: Knex.Transaction,
  tenant: string,
  table: string,
  idColumn: string,
  record: string,
  rows: readonly unknown[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = columnsOf(record).filter((c) => c !== idColumn);
  await trx.raw(
    `update ${table} as t set ${columns.map((c) => `${c} = r.${c}`).join(", ")}
     from jsonb_to_recordset(?::jsonb) as r(${record})
     where t.tenant = ? and t.${idColumn} = r.${idColumn}`,
    [JSON.stringify(rows), tenant],
  );
}

async function writeTable<T>(
  trx: Knex.Transaction,
  tenant: string,
  table: string,
  idColumn: string,
  record: string,
  recorded: RecordedTable<T>,
  onConflict = "",
): Promise<void> {
  const { inserts, updates } = splitRecordedRows(recorded);
  await insertRows(trx, tenant, table, record, inserts, onConflict);
  await updateRows(trx, tenant, table, idColumn, record, updates);
}

/**
 * Writes a recording: runs first (the other tables reference them), then steps, waits,
 * invocations, snapshots and events; two statements per table at most, whatever the run did.
 */
export async function writeRunRecording(trx: Knex.Transaction, tenant: string, recording: RunRecording): Promise<void> {
  await writeTable(trx, tenant, "workflow_runs", "run_id", RUN_RECORD, recording.runs);
  await writeTable(trx, tenant, "workflow_run_steps", "step_id", STEP_RECORD, recording.steps);
  await writeTable(trx, tenant, "workflow_run_waits", "wait_id", WAIT_RECORD, recording.waits);
  // Another transaction may record the same explicit idempotency key first; its row wins.
  await writeTable(
    trx,
    tenant,
    "workflow_action_invocations",
    "invocation_id",
    INVOCATION_RECORD,
    recording.invocations,
    "on conflict do nothing",
  );
  await insertRows(
    trx,
    tenant,
    "workflow_run_snapshots",
    "snapshot_id uuid, run_id uuid, step_path text, envelope_json jsonb, size_bytes integer, created_at timestamptz",
    recording.snapshots,
  );
  await insertRows(
    trx,
    tenant,
    "workflow_runtime_events",
    "event_id uuid, event_name text, correlation_key text, payload jsonb, created_at timestamptz, processed_at timestamptz",
    recording.events,
  );
}

/** A run as reported by `run --json`, read back in one statement. */
export interface RunReportRow {
  run_id: string;
  workflow_id: string;
  workflow_key: string | null;
  workflow_version: number;
  status: string;
  error_json: unknown;
  definition_json: unknown;
  steps: { step_path: string; definition_step_id: string | null; status: string; attempt: number }[];
  invocations: {
    step_path: string;
    action_id: string;
    action_version: number;
    input_json: unknown;
    output_json: unknown;
  }[];
  envelope: unknown;
}

/** Reads a run, its steps and invocations (in execution order) and its last snapshot. */
export async function selectRunReport(knex: Knex, tenant: string, runId: string): Promise<RunReportRow | undefined> {
  const rows = await selectJson<RunReportRow>(
    knex,
    `select r.run_id, r.workflow_id, d.key as workflow_key, r.workflow_version, r.status, r.error_json, v.definition_json,
       (select coalesce(json_agg(s order by s.started_at, s.step_id), '[]'::json) from (
          select step_path, definition_step_id, status, attempt, started_at, step_id from workflow_run_steps
          where tenant = r.tenant and run_id = r.run_id) s) as steps,
       (select coalesce(json_agg(i order by i.created_at, i.invocation_id), '[]'::json) from (
          select step_path, action_id, action_version, input_json, output_json, created_at, invocation_id
          from workflow_action_invocations where tenant = r.tenant and run_id = r.run_id) i) as invocations,
       (select envelope_json from workflow_run_snapshots
          where tenant = r.tenant and run_id = r.run_id order by created_at desc limit 1) as envelope
     from workflow_runs r
     join workflow_definitions d on d.tenant = r.tenant and d.workflow_id = r.workflow_id
     left join workflow_definition_versions v
       on v.tenant = r.tenant and v.workflow_id = r.workflow_id and v.version = r.workflow_version
     where r.tenant = ? and r.run_id::text = lower(?)`,
    [tenant, runId],
  );
  return rows[0];
}
