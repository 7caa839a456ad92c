import { createHash, randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import { selectCallTarget, selectPublishedVersion, selectWorkflowForUpdate } from "../db/publish-store.js";
import {
  countActiveRuns,
  type RunRecording,
  type RunReportRow,
  selectInvocation,
  selectRunForUpdate,
  selectRunReport,
  selectWaitingRunState,
  type WaitRow,
  writeRunRecording,
} from "../db/run-store.js";
import { assertTenant } from "../db/tenant.js";
import { fail } from "../errors.js";
import { validateWorkflowDefinition, type WorkflowDefinition, walkSteps } from "../format/definition-schema.js";
import { describeJsonType, isJsonObject } from "../format/json-value.js";
import { parseStepPath } from "../format/step-paths.js";
import { type ActionRegistry, createActionRegistry } from "./action-registry.js";
import { matchesEventFilters } from "./event-filters.js";
import type { CallTarget } from "./nodes/step-context.js";
import type { InterpreterStore } from "./nodes/step-services.js";
import { assertLocator, requireWorkflow } from "./publish-workflow.js";
import type { RunEnvelope } from "./run-envelope.js";
import { adoptPersistedRow, createRunClock, createRunRecording, type RunClock } from "./run-recording.js";
import type { RuntimeError } from "./runtime-error.js";
import type { WaitDelivery } from "./wait-delivery.js";
import { WorkflowInterpreter } from "./workflow-interpreter.js";

/** Options shared by {@link runWorkflow} and {@link resumeRun}. */
export interface RunExecutionOptions {
  tenant: string;
  /** Values of `{"$secret": "NAME"}` references. Default: none (a run that needs one fails with a clear error). */
  secrets?: Readonly<Record<string, string>>;
  /** The action handlers. Default: `createActionRegistry({ catalog })` (every catalog action returns `{}`). */
  actions?: ActionRegistry;
  /** The catalog of the default action registry. Default: Alga's registrations. */
  catalog?: RuntimeCatalog;
  /** The clock of the run (timestamps, `nowIso()`, due times). Default: the system clock. */
  now?: () => Date;
  /** Waits between retry attempts. Default: none (the backoff is recorded, not waited). */
  sleep?: (ms: number) => Promise<void>;
  /** How deep `control.callWorkflow` may nest. Default 16. */
  maxCallDepth?: number;
}

/** Options of {@link runWorkflow}: the workflow by `key` or `workflowId`. */
export interface RunWorkflowOptions extends RunExecutionOptions {
  key?: string;
  workflowId?: string;
  /** The published version to run. Default: the highest. */
  version?: number;
  /** The run's input (a JSON object). Default `{}`. */
  payload?: unknown;
}

/** Options of {@link resumeRun}. */
export interface ResumeRunOptions extends RunExecutionOptions {
  runId: string;
  /**
   * The event delivered to the waiting step: an `event.wait`'s event name, or
   * `HUMAN_TASK_COMPLETED` / `ADMIN_RESUME` for a `human.task`. Leave it out to fire the wait's timer
   * (a `time.wait`, or an `event.wait` timeout), whether or not it is due: the reference runtime has
   * no clock worker.
   */
  eventName?: string;
  /** The event's payload. Default `{}`. */
  payload?: unknown;
  /** The event's correlation key; when given it must equal the wait's key. */
  correlationKey?: string;
}

/** One recorded step of a run, in execution order. */
export interface RunStepSummary {
  stepPath: string;
  stepId: string | null;
  type: string | null;
  status: string;
  /**
   * Why the step failed (`FAILED`, or `RETRY_SCHEDULED` before a retry), as recorded in
   * `workflow_run_steps.error_json`. A step the run went on from (`onError: continue`,
   * `onItemError: continue`, a `tryCatch`) has it even when the run SUCCEEDED.
   */
  error?: RuntimeError;
}

/** One action call the run made, with its resolved input (secrets redacted) and output. */
export interface RunInvocationSummary {
  stepPath: string;
  actionId: string;
  version: number;
  input: unknown;
  output: unknown;
}

/** A run as {@link runWorkflow} and {@link resumeRun} report it (also `run --json`). */
export interface RunWorkflowResult {
  runId: string;
  workflowKey: string | null;
  workflowId: string;
  version: number;
  /** SUCCEEDED, FAILED or WAITING. */
  status: string;
  /** Present when the run FAILED. */
  error?: RuntimeError;
  steps: RunStepSummary[];
  invocations: RunInvocationSummary[];
  vars: unknown;
  meta: unknown;
}

/** The definition of a stored version, or `INVALID_DEFINITION`. */
function parseStoredDefinition(definition: unknown, workflowKey: string, version: number): WorkflowDefinition {
  const result = validateWorkflowDefinition(definition);
  if (!result.ok) fail("INVALID_DEFINITION", { workflowKey, version, errors: result.problems });
  return result.value;
}

/** Alga's definition hash: sha256 of the stored JSON. */
function hashDefinition(definition: unknown): string {
  return createHash("sha256").update(JSON.stringify(definition)).digest("hex");
}

function createStore(trx: Knex.Transaction, tenant: string): InterpreterStore {
  return {
    findInvocation: (actionId, version, key) => selectInvocation(trx, tenant, actionId, version, key),
    async loadCallTarget(workflowId, version): Promise<CallTarget | undefined> {
      const row = await selectCallTarget(trx, tenant, workflowId, version);
      if (!row) return undefined;
      const parsed = validateWorkflowDefinition(row.definition_json);
      if (!parsed.ok) return undefined;
      return {
        workflowId: row.workflow_id,
        version: row.version,
        definition: parsed.value,
        definitionHash: hashDefinition(row.definition_json),
      };
    },
  };
}

function createInterpreter(
  trx: Knex.Transaction,
  options: RunExecutionOptions,
  clock: RunClock,
  recording: RunRecording,
) {
  const interpreterOptions = {
    tenant: options.tenant,
    actions: options.actions ?? createActionRegistry(options.catalog === undefined ? {} : { catalog: options.catalog }),
    secrets: options.secrets ?? {},
    clock,
    now: options.now ?? (() => new Date()),
    store: createStore(trx, options.tenant),
    recording,
    generateId: randomUUID,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.maxCallDepth === undefined ? {} : { maxCallDepth: options.maxCallDepth }),
  };
  return new WorkflowInterpreter(interpreterOptions);
}

/** Builds the report of a run from what was written. */
function toRunResult(report: RunReportRow): RunWorkflowResult {
  const types = new Map<string, string>();
  for (const { step, stepPath } of walkSteps(report.definition_json))
    if (typeof step.type === "string") types.set(stepPath, step.type);
  const envelope = isJsonObject(report.envelope) ? report.envelope : {};
  const result: RunWorkflowResult = {
    runId: report.run_id,
    workflowKey: report.workflow_key,
    workflowId: report.workflow_id,
    version: report.workflow_version,
    status: report.status,
    steps: report.steps.map((s) => ({
      stepPath: s.step_path,
      stepId: s.definition_step_id,
      type: types.get(s.step_path) ?? null,
      status: s.status,
      ...(isJsonObject(s.error_json) ? { error: s.error_json as unknown as RuntimeError } : {}),
    })),
    invocations: report.invocations.map((i) => ({
      stepPath: i.step_path,
      actionId: i.action_id,
      version: i.action_version,
      input: i.input_json,
      output: i.output_json,
    })),
    vars: envelope.vars ?? {},
    meta: envelope.meta ?? {},
  };
  if (report.status === "FAILED" && report.error_json) result.error = report.error_json as RuntimeError;
  return result;
}

async function readRunResult(trx: Knex.Transaction, tenant: string, runId: string): Promise<RunWorkflowResult> {
  const report = await selectRunReport(trx, tenant, runId);
  if (!report) throw new Error(`internal: run ${runId} was not written`);
  return toRunResult(report);
}

function checkPayload(payload: unknown, source: string): unknown {
  if (!isJsonObject(payload))
    fail("INVALID_PAYLOAD", { source, reason: `expected a JSON object, got ${describeJsonType(payload)}` });
  try {
    return JSON.parse(JSON.stringify(payload));
  } catch (error) {
    fail("INVALID_PAYLOAD", { source, reason: `not JSON data: ${(error as Error).message}` });
  }
}

/**
 * Runs a published version of a workflow (the highest by default) with a payload, until it ends
 * or waits, and records it: the run in `workflow_runs`, every step in `workflow_run_steps`, every
 * action call in `workflow_action_invocations`, waits in `workflow_run_waits`, state snapshots in
 * `workflow_run_snapshots`, all in one transaction. Refuses a paused workflow (`WORKFLOW_PAUSED`)
 * and one at its `concurrency_limit` of RUNNING/WAITING runs (`CONCURRENCY_LIMIT_REACHED`). A run
 * that fails is a result (`status: "FAILED"` with `error`), not an exception.
 *
 * @example
 * const run = await runWorkflow(knex, { tenant, key: "fixture.ticket-created-hello", payload: { ticketId: "t-1" } });
 * run.status; // "SUCCEEDED"
 */
export async function runWorkflow(db: Knex, options: RunWorkflowOptions): Promise<RunWorkflowResult> {
  assertTenant(options.tenant);
  const locator = { key: options.key, workflowId: options.workflowId };
  assertLocator(locator);
  const payload = checkPayload(options.payload ?? {}, "payload");
  const tenant = options.tenant;
  try {
    return await db.transaction(async (trx) => {
      const head = requireWorkflow(await selectWorkflowForUpdate(trx, tenant, locator), tenant, locator);
      const subject = { workflowKey: head.key, workflowId: head.workflow_id };
      if (head.is_paused) fail("WORKFLOW_PAUSED", subject);
      if (head.concurrency_limit) {
        const active = await countActiveRuns(trx, tenant, head.workflow_id);
        if (active >= head.concurrency_limit)
          fail("CONCURRENCY_LIMIT_REACHED", { ...subject, limit: head.concurrency_limit, active });
      }
      const stored = await selectPublishedVersion(trx, tenant, head.workflow_id, options.version);
      if (!stored) fail("NO_PUBLISHED_VERSION", { ...subject, version: options.version ?? null });
      const definition = parseStoredDefinition(stored.definition_json, head.key ?? head.workflow_id, stored.version);
      const clock = createRunClock(options.now);
      const recording = createRunRecording();
      const outcome = await createInterpreter(trx, options, clock, recording).startRun({
        workflowId: head.workflow_id,
        version: stored.version,
        definition,
        definitionHash: hashDefinition(stored.definition_json),
        payload,
      });
      await writeRunRecording(trx, tenant, recording);
      return readRunResult(trx, tenant, outcome.runId);
    });
  } catch (error) {
    rethrowAsDatabaseError(error, options.key === undefined ? [] : [options.key]);
  }
}

const HUMAN_TASK_EVENTS = new Set(["HUMAN_TASK_COMPLETED", "ADMIN_RESUME"]);

/** What a delivery does to a wait, or null when the wait does not accept it. */
function matchDelivery(
  wait: WaitRow,
  options: ResumeRunOptions,
  payload: unknown,
  nowMs: number,
  eventId: string,
): WaitDelivery | null {
  const { eventName, correlationKey } = options;
  const timedOut = wait.timeout_at !== null && Date.parse(wait.timeout_at) <= nowMs;
  if (wait.wait_type === "event") {
    if (eventName === undefined) return wait.timeout_at === null ? null : { kind: "timeout" };
    if (eventName !== wait.event_name) return null;
    if (correlationKey !== undefined && wait.key !== null && wait.key !== correlationKey) return null;
    const filters = isJsonObject(wait.payload) && Array.isArray(wait.payload.filters) ? wait.payload.filters : [];
    if (!matchesEventFilters(payload, filters as never)) return null;
    // The event came after the wait's timeout: Alga would have timed the wait out already.
    return timedOut ? { kind: "timeout" } : { kind: "event", eventName, payload, eventId };
  }
  if (wait.wait_type === "time") return eventName === undefined ? { kind: "timer" } : null;
  if (wait.wait_type === "human") {
    const name = eventName ?? "HUMAN_TASK_COMPLETED";
    if (!HUMAN_TASK_EVENTS.has(name)) return null;
    if (correlationKey !== undefined && wait.key !== correlationKey) return null;
    return { kind: "human", eventName: name, payload, eventId };
  }
  return null;
}

function toEnvelope(value: unknown): RunEnvelope {
  const e = isJsonObject(value) ? value : {};
  return {
    payload: e.payload ?? {},
    vars: isJsonObject(e.vars) ? e.vars : {},
    meta: isJsonObject(e.meta) ? e.meta : {},
    error: isJsonObject(e.error) ? e.error : undefined,
  };
}

/**
 * Delivers an event (or a timer) to a WAITING run and continues it until it ends or waits again,
 * in one transaction. An `event.wait` accepts an event with its event name, its correlation key
 * (when one is given) and matching filters; an event that arrives after the wait's timeout times
 * the wait out (`TimeoutError` at the step). Throws `RUN_NOT_FOUND`, `RUN_NOT_WAITING`, or
 * `NO_MATCHING_WAIT` (nothing is written then).
 *
 * @example await resumeRun(knex, { tenant, runId, eventName: "TICKET_TIME_ENTRY_ADDED", payload: { ticketId: "t-1" } })
 */
export async function resumeRun(db: Knex, options: ResumeRunOptions): Promise<RunWorkflowResult> {
  assertTenant(options.tenant);
  const tenant = options.tenant;
  const payload = checkPayload(options.payload ?? {}, "event payload");
  try {
    return await db.transaction(async (trx) => {
      const run = await selectRunForUpdate(trx, tenant, options.runId);
      if (!run) fail("RUN_NOT_FOUND", { runId: options.runId, tenant });
      if (run.status !== "WAITING") fail("RUN_NOT_WAITING", { runId: run.run_id, status: run.status });
      const state = await selectWaitingRunState(trx, tenant, run.run_id);
      const clock = createRunClock(options.now, state.envelopeAt);
      const eventId = randomUUID();
      const noMatch = () =>
        fail("NO_MATCHING_WAIT", {
          runId: run.run_id,
          eventName: options.eventName ?? null,
          correlationKey: options.correlationKey ?? null,
          waiting: state.wait
            ? {
                waitType: state.wait.wait_type,
                eventName: state.wait.event_name,
                correlationKey: state.wait.key,
                stepPath: state.wait.step_path,
              }
            : null,
        });
      if (!state.wait) return noMatch();
      const delivery = matchDelivery(state.wait, options, payload, clock.epochMs(), eventId);
      if (!delivery) return noMatch();
      const stored = await selectPublishedVersion(trx, tenant, run.workflow_id, run.workflow_version);
      if (!stored)
        fail("NO_PUBLISHED_VERSION", {
          workflowKey: run.workflow_key,
          workflowId: run.workflow_id,
          version: run.workflow_version,
        });
      const definition = parseStoredDefinition(
        stored.definition_json,
        run.workflow_key ?? run.workflow_id,
        stored.version,
      );
      const cursor = parseStepPath(run.node_path ?? state.wait.step_path);
      if (!cursor) throw new Error(`internal: run ${run.run_id} waits at an unparsable step path ${run.node_path}`);
      const recording = createRunRecording();
      // The key is the report's, not a column of the run: the row is written back without it.
      const { workflow_key: _key, ...runRow } = run;
      adoptPersistedRow(recording.runs, run.run_id, runRow);
      const waitRow = adoptPersistedRow(recording.waits, state.wait.wait_id, state.wait);
      const stepRow = state.waitingStep
        ? adoptPersistedRow(recording.steps, state.waitingStep.step_id, state.waitingStep)
        : undefined;
      if (delivery.kind === "event" || delivery.kind === "human") {
        const now = clock.timestamp();
        recording.events.push({
          event_id: eventId,
          event_name: delivery.eventName,
          correlation_key: options.correlationKey ?? state.wait.key,
          payload,
          created_at: now,
          processed_at: now,
        });
      }
      const outcome = await createInterpreter(trx, options, clock, recording).continueRun({
        run: runRow,
        definition,
        envelope: toEnvelope(state.envelope),
        attempts: new Map(state.attempts.map((a) => [a.step_path, a.attempt])),
        cursor,
        delivery,
        waitRow,
        stepRow,
      });
      await writeRunRecording(trx, tenant, recording);
      return readRunResult(trx, tenant, outcome.runId);
    });
  } catch (error) {
    rethrowAsDatabaseError(error);
  }
}
