import type { InvocationRow, RunRecording, RunRow, SnapshotRow, StepRow, WaitRow } from "../db/run-store.js";
import { isJsonObject } from "../format/json-value.js";
import { ROOT_STEP_LIST, stepPathAt } from "../format/step-paths.js";
import { cloneJson, type RunEnvelope } from "./run-envelope.js";
import { adoptPersistedRow, type RunClock } from "./run-recording.js";
import { deliveredEventOf, type WaitDelivery } from "./wait-delivery.js";

/** The size above which a step snapshot is stored as `{truncated, size, max}` (Alga's 256 KiB). */
export const MAX_SNAPSHOT_CHARS = 256 * 1024;

/** Options of {@link RunRecorder}. */
export interface RunRecorderOptions {
  recording: RunRecording;
  clock: RunClock;
  generateId: () => string;
}

/** A new run: what its `workflow_runs` row is built from. */
export interface RecordedRunStart {
  workflowId: string;
  version: number;
  definitionHash: string;
  payload: unknown;
  parentRunId?: string;
  rootRunId?: string;
}

/** An action call about to be made: what its `workflow_action_invocations` row is built from. */
export interface RecordedInvocationStart {
  runId: string;
  stepPath: string;
  actionId: string;
  version: number;
  idempotencyKey: string;
  /** The input as it is recorded (secret values redacted). */
  input: unknown;
}

/**
 * Builds and updates every row a run writes (runs, steps, waits, action invocations, snapshots)
 * in a {@link RunRecording}, with the run's clock and ids: the interpreter and the node handlers
 * say what happened, the recorder knows the columns.
 */
export class RunRecorder {
  readonly #recording: RunRecording;
  readonly #clock: RunClock;
  readonly #generateId: () => string;

  constructor(options: RunRecorderOptions) {
    this.#recording = options.recording;
    this.#clock = options.clock;
    this.#generateId = options.generateId;
  }

  /** Records a new run, RUNNING at its first step. */
  startRun(start: RecordedRunStart): RunRow {
    const now = this.#clock.timestamp();
    const runId = this.#generateId();
    const row: RunRow = {
      run_id: runId,
      workflow_id: start.workflowId,
      workflow_version: start.version,
      status: "RUNNING",
      node_path: stepPathAt(ROOT_STEP_LIST, 0),
      input_json: cloneJson(start.payload),
      resume_event_payload: null,
      resume_event_name: null,
      resume_error: null,
      error_json: null,
      parent_run_id: start.parentRunId ?? null,
      root_run_id: start.rootRunId ?? runId,
      definition_hash: start.definitionHash,
      started_at: now,
      completed_at: null,
      updated_at: now,
    };
    this.#recording.runs.rows.set(runId, row);
    return row;
  }

  /** Marks a waiting run RUNNING again; an event (or a human task's completion) is recorded as what resumed it. */
  resumeRun(row: RunRow, delivery: WaitDelivery): void {
    row.status = "RUNNING";
    row.updated_at = this.#clock.timestamp();
    const event = deliveredEventOf(delivery);
    if (event) {
      row.resume_event_name = event.eventName;
      row.resume_event_payload = cloneJson(event.payload);
    }
  }

  /**
   * Records how a run ended, or that it waits at `nodePath`, with its last snapshot: a waiting run
   * resumes from that snapshot, so it is never truncated.
   */
  finishRun(row: RunRow, env: RunEnvelope, status: string, nodePath: string | null, error: unknown): void {
    const now = this.#clock.timestamp();
    row.status = status;
    row.node_path = nodePath;
    row.error_json = error;
    row.updated_at = now;
    row.completed_at = status === "WAITING" ? null : now;
    this.snapshot(row, env, nodePath, false);
  }

  /** Cancels a run that is recorded here (a called workflow that stopped waiting), with its open waits and steps. */
  cancelRun(runId: string): void {
    const now = this.#clock.timestamp();
    const run = this.#recording.runs.rows.get(runId);
    if (run) {
      run.status = "CANCELED";
      run.completed_at = now;
      run.updated_at = now;
    }
    for (const wait of this.#recording.waits.rows.values())
      if (wait.run_id === runId && wait.status === "WAITING") {
        wait.status = "CANCELED";
        wait.resolved_at = now;
      }
    for (const step of this.#recording.steps.rows.values())
      if (step.run_id === runId && step.status === "STARTED") {
        step.status = "CANCELED";
        step.completed_at = now;
      }
  }

  /** Records the start of a step's attempt (STARTED). */
  beginStep(runId: string, stepPath: string, definitionStepId: string, attempt: number): StepRow {
    const row: StepRow = {
      step_id: this.#generateId(),
      run_id: runId,
      step_path: stepPath,
      definition_step_id: definitionStepId,
      status: "STARTED",
      attempt,
      duration_ms: null,
      error_json: null,
      snapshot_id: null,
      started_at: this.#clock.timestamp(),
      completed_at: null,
    };
    this.#recording.steps.rows.set(row.step_id, row);
    return row;
  }

  /** Records how a step's attempt ended, and its duration. */
  finishStep(row: StepRow, status: string, error: unknown): void {
    const now = this.#clock.timestamp();
    row.status = status;
    row.completed_at = now;
    row.duration_ms = Math.max(0, Math.round(Date.parse(now) - Date.parse(row.started_at)));
    row.error_json = error ?? null;
  }

  /**
   * Records the run's state (Alga's envelope) and returns the snapshot's id; with `cap`, a snapshot
   * over {@link MAX_SNAPSHOT_CHARS} is stored as `{truncated, size, max}`.
   */
  snapshot(run: RunRow, env: RunEnvelope, stepPath: string | null, cap: boolean): string {
    const envelope: Record<string, unknown> = {
      v: 1,
      run: {
        id: run.run_id,
        workflowId: run.workflow_id,
        workflowVersion: run.workflow_version,
        startedAt: run.started_at,
      },
      payload: env.payload ?? null,
      meta: env.meta,
      vars: env.vars,
    };
    if (env.error !== undefined) envelope.error = env.error;
    const text = JSON.stringify(envelope);
    const row: SnapshotRow = {
      snapshot_id: this.#generateId(),
      run_id: run.run_id,
      step_path: stepPath,
      envelope_json:
        cap && text.length > MAX_SNAPSHOT_CHARS
          ? { truncated: true, size: text.length, max: MAX_SNAPSHOT_CHARS }
          : JSON.parse(text),
      size_bytes: Buffer.byteLength(text),
      created_at: this.#clock.timestamp(),
    };
    this.#recording.snapshots.push(row);
    return row.snapshot_id;
  }

  /** Records a wait (WAITING) of the step at `stepPath`. */
  createWait(
    runId: string,
    stepPath: string,
    fields: Pick<WaitRow, "wait_type" | "key" | "event_name" | "timeout_at" | "payload">,
  ): WaitRow {
    const row: WaitRow = {
      wait_id: this.#generateId(),
      run_id: runId,
      step_path: stepPath,
      status: "WAITING",
      created_at: this.#clock.timestamp(),
      resolved_at: null,
      ...fields,
    };
    this.#recording.waits.rows.set(row.wait_id, row);
    return row;
  }

  /** Resolves a wait with what resumed it (its payload gets the matched event's id, or null). */
  resolveWait(wait: WaitRow, delivery: WaitDelivery): void {
    wait.status = "RESOLVED";
    wait.resolved_at = this.#clock.timestamp();
    const matchedEventId = deliveredEventOf(delivery)?.eventId ?? null;
    wait.payload = { ...(isJsonObject(wait.payload) ? wait.payload : {}), matchedEventId };
  }

  /** The invocation of an idempotency key recorded by this call, if any. */
  findInvocation(actionId: string, version: number, idempotencyKey: string): InvocationRow | undefined {
    for (const row of this.#recording.invocations.rows.values())
      if (row.action_id === actionId && row.action_version === version && row.idempotency_key === idempotencyKey)
        return row;
    return undefined;
  }

  /** Adds an invocation read from the database: later changes to it are written as an update. */
  adoptInvocation(row: InvocationRow): InvocationRow {
    return adoptPersistedRow(this.#recording.invocations, row.invocation_id, row);
  }

  /**
   * Claims an action call (STARTED, attempt + 1): a new invocation, or a failed one of the same
   * idempotency key claimed again with the next attempt number.
   */
  claimInvocation(existing: InvocationRow | undefined, start: RecordedInvocationStart): InvocationRow {
    const now = this.#clock.timestamp();
    const invocation: InvocationRow = existing ?? {
      invocation_id: this.#generateId(),
      run_id: start.runId,
      step_path: start.stepPath,
      action_id: start.actionId,
      action_version: start.version,
      idempotency_key: start.idempotencyKey,
      status: "STARTED",
      attempt: 0,
      input_json: start.input,
      output_json: null,
      error_message: null,
      created_at: now,
      started_at: now,
      completed_at: null,
    };
    invocation.status = "STARTED";
    invocation.attempt += 1;
    invocation.started_at = now;
    invocation.completed_at = null;
    invocation.error_message = null;
    this.#recording.invocations.rows.set(invocation.invocation_id, invocation);
    return invocation;
  }

  /** Records an action call's output. */
  completeInvocation(invocation: InvocationRow, output: unknown): void {
    invocation.status = "SUCCEEDED";
    invocation.output_json = output;
    invocation.completed_at = this.#clock.timestamp();
  }

  /** Records an action call's failure. */
  failInvocation(invocation: InvocationRow, message: string): void {
    invocation.status = "FAILED";
    invocation.error_message = message;
    invocation.completed_at = this.#clock.timestamp();
  }
}
