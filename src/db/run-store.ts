import type { Knex } from "knex";
import { insertRows, qualifiedColumns, type Relation, selectJson, updateRows } from "./sql-toolkit.js";

/**
 * Tenant-scoped SQL over the run tables (runs, steps, waits, action invocations, snapshots,
 * runtime events). Every statement filters on the tenant; ids that come from users are compared
 * as text, so a malformed id finds nothing instead of aborting the transaction with a cast error.
 * A run's writes are one statement per table and kind of write, whatever the run did. Column
 * names are the tables' own.
 */

/** A `workflow_runs` row. */
export interface RunRow {
  run_id: string;
  workflow_id: string;
  workflow_version: number;
  status: string;
  node_path: string | null;
  input_json: unknown;
  resume_event_payload: unknown;
  resume_event_name: string | null;
  resume_error: unknown;
  error_json: unknown;
  parent_run_id: string | null;
  root_run_id: string | null;
  definition_hash: string | null;
  started_at: string;
  completed_at: string | null;
  updated_at: string;
}

/** A `workflow_run_steps` row. */
export interface StepRow {
  step_id: string;
  run_id: string;
  step_path: string;
  definition_step_id: string | null;
  status: string;
  attempt: number;
  duration_ms: number | null;
  error_json: unknown;
  snapshot_id: string | null;
  started_at: string;
  completed_at: string | null;
}

/** A `workflow_run_waits` row. */
export interface WaitRow {
  wait_id: string;
  run_id: string;
  step_path: string;
  wait_type: string;
  key: string | null;
  event_name: string | null;
  timeout_at: string | null;
  status: string;
  payload: unknown;
  created_at: string;
  resolved_at: string | null;
}

/** A `workflow_action_invocations` row. */
export interface InvocationRow {
  invocation_id: string;
  run_id: string;
  step_path: string;
  action_id: string;
  action_version: number;
  idempotency_key: string;
  status: string;
  attempt: number;
  input_json: unknown;
  output_json: unknown;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** A `workflow_run_snapshots` row. */
export interface SnapshotRow {
  snapshot_id: string;
  run_id: string;
  step_path: string | null;
  envelope_json: unknown;
  size_bytes: number;
  created_at: string;
}

/** A `workflow_runtime_events` row. */
export interface EventRow {
  event_id: string;
  event_name: string;
  correlation_key: string | null;
  payload: unknown;
  created_at: string;
  processed_at: string | null;
}

/**
 * Rows of one table keyed by id, in recording order; `persisted` holds the ids that already exist
 * (written as updates, the others as inserts).
 */
export interface RecordedRows<T> {
  rows: Map<string, T>;
  persisted: Set<string>;
}

/**
 * What one call of the runtime writes (a run, the runs it calls, their rows): buffered in memory
 * while the run executes, then written by {@link writeRunRecording}.
 */
export interface RunRecording {
  runs: RecordedRows<RunRow>;
  steps: RecordedRows<StepRow>;
  waits: RecordedRows<WaitRow>;
  invocations: RecordedRows<InvocationRow>;
  snapshots: SnapshotRow[];
  events: EventRow[];
}

const RUNS: Relation<RunRow> = {
  table: "workflow_runs",
  key: ["run_id"],
  columns: [
    ["run_id", "uuid"],
    ["workflow_id", "uuid"],
    ["workflow_version", "integer"],
    ["status", "text"],
    ["node_path", "text"],
    ["input_json", "jsonb"],
    ["resume_event_payload", "jsonb"],
    ["resume_event_name", "text"],
    ["resume_error", "jsonb"],
    ["error_json", "jsonb"],
    ["parent_run_id", "uuid"],
    ["root_run_id", "uuid"],
    ["definition_hash", "text"],
    ["started_at", "timestamptz"],
    ["completed_at", "timestamptz"],
    ["updated_at", "timestamptz"],
  ],
};

const STEPS: Relation<StepRow> = {
  table: "workflow_run_steps",
  key: ["step_id"],
  columns: [
    ["step_id", "uuid"],
    ["run_id", "uuid"],
    ["step_path", "text"],
    ["definition_step_id", "text"],
    ["status", "text"],
    ["attempt", "integer"],
    ["duration_ms", "integer"],
    ["error_json", "jsonb"],
    ["snapshot_id", "uuid"],
    ["started_at", "timestamptz"],
    ["completed_at", "timestamptz"],
  ],
};

const WAITS: Relation<WaitRow> = {
  table: "workflow_run_waits",
  key: ["wait_id"],
  columns: [
    ["wait_id", "uuid"],
    ["run_id", "uuid"],
    ["step_path", "text"],
    ["wait_type", "text"],
    ["key", "text"],
    ["event_name", "text"],
    ["timeout_at", "timestamptz"],
    ["status", "text"],
    ["payload", "jsonb"],
    ["created_at", "timestamptz"],
    ["resolved_at", "timestamptz"],
  ],
};

const INVOCATIONS: Relation<InvocationRow> = {
  table: "workflow_action_invocations",
  key: ["invocation_id"],
  columns: [
    ["invocation_id", "uuid"],
    ["run_id", "uuid"],
    ["step_path", "text"],
    ["action_id", "text"],
    ["action_version", "integer"],
    ["idempotency_key", "text"],
    ["status", "text"],
    ["attempt", "integer"],
    ["input_json", "jsonb"],
    ["output_json", "jsonb"],
    ["error_message", "text"],
    ["created_at", "timestamptz"],
    ["started_at", "timestamptz"],
    ["completed_at", "timestamptz"],
  ],
};

const SNAPSHOTS: Relation<SnapshotRow> = {
  table: "workflow_run_snapshots",
  key: ["snapshot_id"],
  columns: [
    ["snapshot_id", "uuid"],
    ["run_id", "uuid"],
    ["step_path", "text"],
    ["envelope_json", "jsonb"],
    ["size_bytes", "integer"],
    ["created_at", "timestamptz"],
  ],
};

const EVENTS: Relation<EventRow> = {
  table: "workflow_runtime_events",
  key: ["event_id"],
  columns: [
    ["event_id", "uuid"],
    ["event_name", "text"],
    ["correlation_key", "text"],
    ["payload", "jsonb"],
    ["created_at", "timestamptz"],
    ["processed_at", "timestamptz"],
  ],
};

/** Runs of a workflow that are RUNNING or WAITING (what `concurrency_limit` counts). */
export async function countActiveRuns(trx: Knex.Transaction, tenant: string, workflowId: string): Promise<number> {
  const result = await trx.raw(
    "select count(*)::int as n from workflow_runs where tenant = ? and workflow_id = ?::uuid and status in ('RUNNING', 'WAITING')",
    [tenant, workflowId],
  );
  return result.rows[0].n as number;
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
    `select ${qualifiedColumns(INVOCATIONS, "i")}
     from workflow_action_invocations i
     where i.tenant = ? and i.action_id = ? and i.action_version = ? and i.idempotency_key = ?
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
    `select ${qualifiedColumns(RUNS, "r")}, d.key as workflow_key
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
  const [row] = await selectJson<{
    wait: WaitRow | null;
    envelope: { envelope_json: unknown; created_at: string } | null;
    attempts: { step_path: string; attempt: number }[];
    waiting_step: StepRow | null;
  }>(
    knex,
    `select
       (select row_to_json(w) from (
          select ${qualifiedColumns(WAITS, "w")}
          from workflow_run_waits w where w.tenant = ? and w.run_id = ?::uuid and w.status = 'WAITING'
          order by w.created_at desc limit 1) w) as wait,
       (select row_to_json(e) from (select envelope_json, created_at from workflow_run_snapshots
          where tenant = ? and run_id = ?::uuid order by created_at desc limit 1) e) as envelope,
       (select coalesce(json_agg(a), '[]'::json) from (
          select step_path, max(attempt)::int as attempt from workflow_run_steps
          where tenant = ? and run_id = ?::uuid group by step_path) a) as attempts,
       (select row_to_json(s) from (
          select ${qualifiedColumns(STEPS, "s")}
          from workflow_run_steps s
          join workflow_runs r on r.tenant = s.tenant and r.run_id = s.run_id
          where s.tenant = ? and s.run_id = ?::uuid and s.step_path = r.node_path and s.status = 'STARTED'
          order by s.started_at desc limit 1) s) as waiting_step`,
    [tenant, runId, tenant, runId, tenant, runId, tenant, runId],
  );
  // Always one row (every column is a scalar subquery); `row?.` keeps the function total.
  return {
    wait: row?.wait ?? undefined,
    envelope: row?.envelope?.envelope_json ?? null,
    envelopeAt: row?.envelope?.created_at ?? null,
    attempts: row?.attempts ?? [],
    waitingStep: row?.waiting_step ?? undefined,
  };
}

/** Inserts the new rows of a table, then updates the persisted ones: two statements at most. */
async function writeRecordedRows<T>(
  trx: Knex.Transaction,
  tenant: string,
  relation: Relation<T>,
  recorded: RecordedRows<T>,
  onConflict?: "do nothing",
): Promise<void> {
  const inserts: T[] = [];
  const updates: T[] = [];
  for (const [id, row] of recorded.rows) (recorded.persisted.has(id) ? updates : inserts).push(row);
  await insertRows(trx, tenant, relation, inserts, onConflict === undefined ? {} : { onConflict });
  await updateRows(trx, tenant, relation, updates);
}

/**
 * Writes a recording: runs first (the other tables reference them), then steps, waits,
 * invocations, snapshots and events; two statements per table at most, whatever the run did.
 */
export async function writeRunRecording(trx: Knex.Transaction, tenant: string, recording: RunRecording): Promise<void> {
  await writeRecordedRows(trx, tenant, RUNS, recording.runs);
  await writeRecordedRows(trx, tenant, STEPS, recording.steps);
  await writeRecordedRows(trx, tenant, WAITS, recording.waits);
  // Another transaction may record the same explicit idempotency key first; its row wins.
  await writeRecordedRows(trx, tenant, INVOCATIONS, recording.invocations, "do nothing");
  await insertRows(trx, tenant, SNAPSHOTS, recording.snapshots);
  await insertRows(trx, tenant, EVENTS, recording.events);
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
  steps: {
    step_path: string;
    definition_step_id: string | null;
    status: string;
    attempt: number;
    error_json: unknown;
  }[];
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
          select step_path, definition_step_id, status, attempt, error_json, started_at, step_id from workflow_run_steps
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
