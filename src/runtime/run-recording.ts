/**
 * What a run writes, buffered in memory while it executes and written by `writeRunRecording` in a
 * constant number of statements (one per table and kind of write), in the run's transaction.
 * Column names are the tables' own.
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

/** Rows of one table: keyed by id; `persisted` holds the ids that already exist (updated, not inserted). */
export interface RecordedTable<T> {
  rows: Map<string, T>;
  persisted: Set<string>;
}

/** Everything one call of `runWorkflow` / `resumeRun` writes (the run, its child runs, their rows). */
export interface RunRecording {
  runs: RecordedTable<RunRow>;
  steps: RecordedTable<StepRow>;
  waits: RecordedTable<WaitRow>;
  invocations: RecordedTable<InvocationRow>;
  snapshots: SnapshotRow[];
  events: EventRow[];
}

function table<T>(): RecordedTable<T> {
  return { rows: new Map(), persisted: new Set() };
}

/** An empty recording. */
export function createRunRecording(): RunRecording {
  return { runs: table(), steps: table(), waits: table(), invocations: table(), snapshots: [], events: [] };
}

/** Adds a row read from the database: later changes to it are written as an update. */
export function adoptPersistedRow<T>(recorded: RecordedTable<T>, id: string, row: T): T {
  recorded.rows.set(id, row);
  recorded.persisted.add(id);
  return row;
}

/** The rows to insert and the rows to update, in recording order. */
export function splitRecordedRows<T>(recorded: RecordedTable<T>): { inserts: T[]; updates: T[] } {
  const inserts: T[] = [];
  const updates: T[] = [];
  for (const [id, row] of recorded.rows) (recorded.persisted.has(id) ? updates : inserts).push(row);
  return { inserts, updates };
}

/**
 * A clock for one run: ISO timestamps with microseconds that strictly increase, so ordering rows by
 * time gives the order in which they were written even when several fall in one millisecond.
 */
export interface RunClock {
  /** The current time as an ISO timestamp with microseconds (`2026-01-01T00:00:00.000001Z`). */
  timestamp(): string;
  /** Milliseconds since the epoch (for durations and due times). */
  epochMs(): number;
}

/** Microseconds since the epoch of an ISO timestamp (keeps digits beyond milliseconds); NaN when unparsable. */
export function parseTimestampMicros(text: string): number {
  const ms = Date.parse(text);
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? "";
  return ms * 1000 + Number((fraction.slice(3, 6) || "0").padEnd(3, "0"));
}

/**
 * Creates a {@link RunClock} over a wall clock (default: the system clock). `after`: a timestamp the
 * clock's timestamps must come after (what a run already recorded), so a resumed run's rows sort
 * after its earlier ones even when this machine's clock is behind.
 */
export function createRunClock(now: () => Date = () => new Date(), after?: string | null): RunClock {
  const floor = after ? parseTimestampMicros(after) : Number.NaN;
  let last = Number.isNaN(floor) ? 0 : floor;
  return {
    timestamp() {
      const micros = Math.max(now().getTime() * 1000, last + 1);
      last = micros;
      const ms = Math.floor(micros / 1000);
      const rest = String(micros - ms * 1000).padStart(3, "0");
      return new Date(ms).toISOString().replace("Z", `${rest}Z`);
    },
    epochMs() {
      return now().getTime();
    },
  };
}
