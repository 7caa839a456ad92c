import {
  isExpr,
  isSecretRef,
  type RetryPolicy,
  type Step,
  type WorkflowDefinition,
} from "../format/definition-schema.js";
import { isJsonObject } from "../format/json-value.js";
import type { ActionRegistry } from "./action-registry.js";
import {
  type AssignmentTarget,
  applyAssignment,
  FORBIDDEN_PATH_SEGMENTS,
  parseAssignmentPath,
} from "./assignment-paths.js";
import { evaluateExpression } from "./expression-engine.js";
import type { InvocationRow, RunClock, RunRecording, RunRow, SnapshotRow, StepRow, WaitRow } from "./run-recording.js";
import { createActionFailure, type RuntimeError, type RuntimeErrorCategory, toRuntimeError } from "./runtime-error.js";
import type { StepBranch, StepPathSegment } from "./step-paths.js";

/**
 * The reference interpreter of Workflow Runtime V2 definitions. It executes steps depth-first,
 * records every row the run writes into a {@link RunRecording} (written by the caller, in its
 * transaction) and reads the database only through the narrow {@link InterpreterStore} port.
 * Semantics follow Alga's interpreter; where its two engines differ, the choice is documented in
 * docs/guides/runtime.md.
 */

/** The size above which a step snapshot is stored as `{truncated, size, max}` (Alga's 256 KiB). */
export const MAX_SNAPSHOT_CHARS = 256 * 1024;

/** How deep `control.callWorkflow` may nest before the call fails (a guard against endless recursion). */
export const DEFAULT_MAX_CALL_DEPTH = 16;

/** A published workflow version that `control.callWorkflow` can start. */
export interface CallTarget {
  workflowId: string;
  workflowKey: string | null;
  version: number;
  definition: WorkflowDefinition;
  definitionHash: string;
}

/** What the interpreter reads while it runs. */
export interface InterpreterStore {
  /** The recorded invocation of an idempotency key, if any. */
  findInvocation(actionId: string, version: number, idempotencyKey: string): Promise<InvocationRow | undefined>;
  /** A published version of a workflow of the tenant, or undefined. */
  loadCallTarget(workflowId: string, version: number): Promise<CallTarget | undefined>;
}

/** Everything the interpreter needs, given once. */
export interface InterpreterOptions {
  tenant: string;
  actions: ActionRegistry;
  secrets: Readonly<Record<string, string>>;
  clock: RunClock;
  /** The clock behind `nowIso()` in expressions. */
  now: () => Date;
  store: InterpreterStore;
  recording: RunRecording;
  generateId: () => string;
  /** Waits between retries; when absent the backoff is recorded but not waited. */
  sleep?: (ms: number) => Promise<void>;
  maxCallDepth?: number;
}

/** The data a run carries between steps. */
export interface RunEnvelope {
  payload: unknown;
  vars: Record<string, unknown>;
  meta: Record<string, unknown>;
  error: Record<string, unknown> | undefined;
}

/** What resumes a waiting step. */
export type WaitDelivery =
  | { kind: "event"; eventName: string; payload: unknown; eventId: string }
  | { kind: "human"; eventName: string; payload: unknown; eventId: string }
  | { kind: "timer" }
  | { kind: "timeout" };

/** How a run (or one continuation of it) ended. */
export interface RunOutcome {
  runId: string;
  status: "SUCCEEDED" | "FAILED" | "WAITING" | "CANCELED";
  error: RuntimeError | null;
  /** The waiting step, when WAITING. */
  nodePath: string | null;
  envelope: RunEnvelope;
}

/** A new run to start. */
export interface StartRunInput {
  workflowId: string;
  workflowKey: string | null;
  version: number;
  definition: WorkflowDefinition;
  definitionHash: string;
  payload: unknown;
  parentRunId?: string;
  rootRunId?: string;
  depth?: number;
}

/** A waiting run to continue, with the rows read back from the database. */
export interface ContinueRunInput {
  run: RunRow;
  workflowKey: string | null;
  definition: WorkflowDefinition;
  envelope: RunEnvelope;
  /** The highest attempt recorded per step path. */
  attempts: Map<string, number>;
  cursor: StepPathSegment[];
  delivery: WaitDelivery;
  waitRow: WaitRow;
  /** The waiting step's row (status STARTED), completed by this continuation. */
  stepRow: StepRow | undefined;
}

interface RunContext {
  row: RunRow;
  workflowKey: string | null;
  definition: WorkflowDefinition;
  depth: number;
  env: RunEnvelope;
  attempts: Map<string, number>;
  resume?: { delivery: WaitDelivery; waitRow: WaitRow; stepRow: StepRow | undefined };
}

interface Scope {
  /** Inside the `try` of a tryCatch (at any depth): failures go there first, as in Alga. */
  insideTry: boolean;
  /** The nearest enclosing forEach has `onItemError: "continue"`. */
  itemErrorContinue: boolean;
}

const ROOT_SCOPE: Scope = { insideTry: false, itemErrorContinue: false };

class ReturnSignal {}

class WaitSignal {
  constructor(readonly stepPath: string) {}
}

class StepFailure {
  propagating = false;
  constructor(readonly error: RuntimeError) {}
}

interface LoopState {
  items: unknown[];
  index: number;
  itemVar: string;
  previous?: unknown;
  hadPrevious: boolean;
}

const FOREACH_STATE_VAR = "__forEach";
const REDACTED = "[REDACTED]";
const UNSUPPORTED_NODE_TYPES = new Set(["email.parseBody", "email.renderCommentBlocks"]);

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Alga's 31-multiplier rolling hash, base 36 (`utils/idempotencyUtils.ts`). */
export function hashIdempotencyInput(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    h = (h << 5) - h + text.charCodeAt(i);
    h |= 0;
  }
  return Math.abs(h).toString(36);
}

/**
 * Alga's automatic idempotency key of an action call:
 * `<tenant>:<runId>:<stepPath>:<actionId>:<version>:<hash of the call and its input>`.
 */
export function computeIdempotencyKey(
  tenant: string,
  runId: string,
  stepPath: string,
  actionId: string,
  version: number,
  input: unknown,
): string {
  const hash = hashIdempotencyInput(JSON.stringify({ runId, stepPath, actionId, version, input }));
  return `${tenant}:${runId}:${stepPath}:${actionId}:${version}:${hash}`;
}

/** The delay before retry `attempt + 1`: `backoffMs * multiplier^(attempt-1)`, capped by `maxDelayMs`, no jitter. */
export function computeRetryDelayMs(policy: RetryPolicy, attempt: number): number {
  const raw = policy.backoffMs * (policy.backoffMultiplier ?? 2) ** (attempt - 1);
  return Math.floor(policy.maxDelayMs === undefined ? raw : Math.min(raw, policy.maxDelayMs));
}

/** True when a failed attempt is retried: attempts left, and `retryOn` (when not empty) lists the category. */
export function shouldRetry(policy: RetryPolicy | undefined, attempt: number, category: string): boolean {
  if (!policy || attempt >= policy.maxAttempts) return false;
  return !policy.retryOn?.length || policy.retryOn.includes(category);
}

/** Executes runs; one instance per `runWorkflow` / `resumeRun` call. */
export class WorkflowInterpreter {
  readonly #o: InterpreterOptions;

  constructor(options: InterpreterOptions) {
    this.#o = options;
  }

  /** Starts a run and executes it until it ends or waits. */
  async startRun(input: StartRunInput): Promise<RunOutcome> {
    const now = this.#o.clock.timestamp();
    const runId = this.#o.generateId();
    const row: RunRow = {
      run_id: runId,
      workflow_id: input.workflowId,
      workflow_version: input.version,
      status: "RUNNING",
      node_path: "root.steps[0]",
      input_json: clone(input.payload),
      resume_event_payload: null,
      resume_event_name: null,
      resume_error: null,
      error_json: null,
      parent_run_id: input.parentRunId ?? null,
      root_run_id: input.rootRunId ?? runId,
      definition_hash: input.definitionHash,
      started_at: now,
      completed_at: null,
      updated_at: now,
    };
    this.#o.recording.runs.rows.set(runId, row);
    const run: RunContext = {
      row,
      workflowKey: input.workflowKey,
      definition: input.definition,
      depth: input.depth ?? 0,
      env: { payload: clone(input.payload), vars: {}, meta: {}, error: undefined },
      attempts: new Map(),
    };
    return this.#execute(run, undefined);
  }

  /** Continues a waiting run with what it waited for. */
  async continueRun(input: ContinueRunInput): Promise<RunOutcome> {
    const row = input.run;
    row.status = "RUNNING";
    row.updated_at = this.#o.clock.timestamp();
    if (input.delivery.kind === "event" || input.delivery.kind === "human") {
      row.resume_event_name = input.delivery.eventName;
      row.resume_event_payload = clone(input.delivery.payload);
    }
    const run: RunContext = {
      row,
      workflowKey: input.workflowKey,
      definition: input.definition,
      depth: 0,
      env: input.envelope,
      attempts: input.attempts,
      resume: { delivery: input.delivery, waitRow: input.waitRow, stepRow: input.stepRow },
    };
    return this.#execute(run, input.cursor);
  }

  async #execute(run: RunContext, cursor: StepPathSegment[] | undefined): Promise<RunOutcome> {
    let status: RunOutcome["status"] = "SUCCEEDED";
    let error: RuntimeError | null = null;
    let nodePath: string | null = null;
    try {
      await this.#executeSteps(run, run.definition.steps, "root", ROOT_SCOPE, cursor);
    } catch (thrown) {
      if (thrown instanceof WaitSignal) {
        status = "WAITING";
        nodePath = thrown.stepPath;
      } else if (thrown instanceof StepFailure) {
        status = "FAILED";
        error = thrown.error;
      } else if (!(thrown instanceof ReturnSignal)) throw thrown;
    }
    const now = this.#o.clock.timestamp();
    const row = run.row;
    row.status = status;
    row.node_path = nodePath;
    row.error_json = error;
    row.updated_at = now;
    row.completed_at = status === "WAITING" ? null : now;
    // The last snapshot is the run's state: a waiting run resumes from it, so it is never truncated.
    this.#snapshot(run, nodePath, false);
    return { runId: row.run_id, status, error, nodePath, envelope: run.env };
  }

  async #executeSteps(
    run: RunContext,
    steps: readonly Step[],
    prefix: string,
    scope: Scope,
    cursor: StepPathSegment[] | undefined,
  ): Promise<void> {
    const start = cursor?.[0]?.index ?? 0;
    for (let i = start; i < steps.length; i++) {
      const step = steps[i] as Step;
      const path = `${prefix}.steps[${i}]`;
      const tail = cursor !== undefined && i === start ? cursor.slice(1) : undefined;
      try {
        await this.#executeStep(run, step, path, scope, tail);
      } catch (thrown) {
        if (!(thrown instanceof StepFailure) || thrown.propagating) throw thrown;
        // A failure goes to the enclosing try first (at any depth), then to the nearest forEach's
        // onItemError "continue" (which goes on with the next step of the same item), as in Alga.
        if (scope.insideTry || !scope.itemErrorContinue) {
          thrown.propagating = true;
          throw thrown;
        }
        run.env.error = { ...thrown.error };
      }
    }
  }

  async #executeStep(run: RunContext, step: Step, path: string, scope: Scope, tail: StepPathSegment[] | undefined) {
    const within = tail !== undefined && tail.length > 0 ? tail : undefined;
    switch (step.type) {
      case "control.if":
        return this.#executeIf(run, step, path, scope, within);
      case "control.forEach":
        return this.#executeForEach(run, step, path, scope, within);
      case "control.tryCatch":
        return this.#executeTryCatch(run, step, path, scope, within);
      case "control.return": {
        const row = this.#beginStep(run, step, path);
        this.#finishStep(run, row, "SUCCEEDED", null);
        throw new ReturnSignal();
      }
      default:
        return this.#executeGuarded(run, step, path, tail !== undefined && tail.length === 0);
    }
  }

  async #executeIf(run: RunContext, step: Step, path: string, scope: Scope, within: StepPathSegment[] | undefined) {
    if (within) {
      const branch = (within[0] as StepPathSegment).branch as StepBranch;
      return this.#executeSteps(run, branchOf(step, branch), `${path}.${branch}`, scope, within);
    }
    const row = this.#beginStep(run, step, path);
    let branch: "then" | "else";
    try {
      const value = await this.#evaluate(run, (step.condition as { $expr: string }).$expr);
      if (typeof value !== "boolean")
        throw createActionFailure("ExpressionError", "control.if condition did not evaluate to boolean", {
          received: value,
        });
      branch = value ? "then" : "else";
    } catch (thrown) {
      throw this.#failStep(run, row, thrown, "ExpressionError");
    }
    this.#finishStep(run, row, "SUCCEEDED", null);
    await this.#executeSteps(run, branchOf(step, branch), `${path}.${branch}`, scope, undefined);
  }

  async #executeForEach(
    run: RunContext,
    step: Step,
    path: string,
    scope: Scope,
    within: StepPathSegment[] | undefined,
  ) {
    const vars = run.env.vars;
    const itemVar = String(step.itemVar);
    let state: LoopState;
    if (within) {
      const saved = (vars[FOREACH_STATE_VAR] as Record<string, LoopState> | undefined)?.[step.id];
      if (!saved) throw new Error(`internal: no loop state for ${path} to resume`);
      state = saved;
    } else {
      const row = this.#beginStep(run, step, path);
      let items: unknown;
      try {
        if (FORBIDDEN_PATH_SEGMENTS.has(itemVar))
          throw createActionFailure("ValidationError", `control.forEach itemVar is forbidden: ${itemVar}`);
        items = await this.#evaluate(run, (step.items as { $expr: string }).$expr);
        if (!Array.isArray(items))
          throw createActionFailure("ValidationError", "control.forEach items did not evaluate to array", {
            received: items === null ? "null" : typeof items,
          });
      } catch (thrown) {
        throw this.#failStep(run, row, thrown, "ExpressionError");
      }
      this.#finishStep(run, row, "SUCCEEDED", null);
      if (items.length === 0 || branchOf(step, "body").length === 0) return;
      state = { items, index: 0, itemVar, hadPrevious: Object.hasOwn(vars, itemVar) };
      if (state.hadPrevious) state.previous = vars[itemVar];
    }
    const bodyScope: Scope = { insideTry: scope.insideTry, itemErrorContinue: step.onItemError === "continue" };
    const first = state.index;
    let waiting = false;
    try {
      for (let index = first; index < state.items.length; index++) {
        state.index = index;
        if (!isJsonObject(vars[FOREACH_STATE_VAR])) vars[FOREACH_STATE_VAR] = {};
        (vars[FOREACH_STATE_VAR] as Record<string, LoopState>)[step.id] = state;
        vars[itemVar] = clone(state.items[index]);
        await this.#executeSteps(
          run,
          branchOf(step, "body"),
          `${path}.body`,
          bodyScope,
          index === first ? within : undefined,
        );
      }
    } catch (thrown) {
      waiting = thrown instanceof WaitSignal;
      throw thrown;
    } finally {
      // A waiting run keeps its loop state (it resumes from it); any other exit restores the item var.
      if (!waiting) {
        if (state.hadPrevious) vars[itemVar] = state.previous;
        else delete vars[itemVar];
        const loops = vars[FOREACH_STATE_VAR] as Record<string, LoopState> | undefined;
        if (loops) {
          delete loops[step.id];
          if (Object.keys(loops).length === 0) delete vars[FOREACH_STATE_VAR];
        }
      }
    }
  }

  async #executeTryCatch(
    run: RunContext,
    step: Step,
    path: string,
    scope: Scope,
    within: StepPathSegment[] | undefined,
  ) {
    const resumeIn = within?.[0]?.branch;
    if (!within) this.#finishStep(run, this.#beginStep(run, step, path), "SUCCEEDED", null);
    if (resumeIn !== "catch") {
      try {
        await this.#executeSteps(
          run,
          branchOf(step, "try"),
          `${path}.try`,
          { insideTry: true, itemErrorContinue: scope.itemErrorContinue },
          resumeIn === "try" ? within : undefined,
        );
        return;
      } catch (thrown) {
        if (!(thrown instanceof StepFailure)) throw thrown;
        run.env.error = { ...thrown.error };
        if (typeof step.captureErrorAs === "string") {
          const target = parseAssignmentPath(step.captureErrorAs);
          if (!target.ok) throw new StepFailure(this.#error("ValidationError", target.message, path));
          applyAssignment(run.env, target.target, { ...thrown.error }, this.#o.clock.timestamp());
        }
      }
    }
    await this.#executeSteps(
      run,
      branchOf(step, "catch"),
      `${path}.catch`,
      scope,
      resumeIn === "catch" ? within : undefined,
    );
  }

  /** A node step or `control.callWorkflow`: its retry policy, then its onError policy. */
  async #executeGuarded(run: RunContext, step: Step, path: string, isResumeTarget: boolean) {
    const resume = isResumeTarget ? run.resume : undefined;
    if (isResumeTarget) run.resume = undefined;
    const retry = step.retry as RetryPolicy | undefined;
    const config = isJsonObject(step.config) ? step.config : {};
    const onError =
      (step.onError as { policy?: string } | undefined)?.policy ??
      (step.type === "action.call" ? (config.onError as { policy?: string } | undefined)?.policy : undefined) ??
      "fail";
    let row = resume?.stepRow ?? this.#beginStep(run, step, path);
    let delivery = resume?.delivery;
    const waitRow = resume?.waitRow;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#executeNode(run, step, path, delivery, waitRow);
        this.#finishStep(run, row, "SUCCEEDED", null);
        return;
      } catch (thrown) {
        if (thrown instanceof WaitSignal || thrown instanceof ReturnSignal) throw thrown;
        const error =
          thrown instanceof StepFailure ? thrown.error : toRuntimeError(thrown, path, this.#o.clock.timestamp());
        if (shouldRetry(retry, attempt, error.category)) {
          const delay = computeRetryDelayMs(retry as RetryPolicy, attempt);
          this.#finishStep(run, row, "RETRY_SCHEDULED", { ...error, retryDelayMs: delay }, false);
          if (this.#o.sleep) await this.#o.sleep(delay);
          row = this.#beginStep(run, step, path);
          delivery = undefined;
          continue;
        }
        this.#finishStep(run, row, "FAILED", error, false);
        if (onError === "continue") {
          run.env.error = { ...error };
          row.snapshot_id = this.#snapshot(run, path, true);
          return;
        }
        throw new StepFailure(error);
      }
    }
  }

  async #executeNode(
    run: RunContext,
    step: Step,
    path: string,
    delivery: WaitDelivery | undefined,
    waitRow: WaitRow | undefined,
  ): Promise<void> {
    const config = (isJsonObject(step.config) ? step.config : {}) as Record<string, unknown>;
    switch (step.type) {
      case "state.set":
        run.env.meta.state = config.state;
        return;
      case "transform.assign":
        // One entry at a time: later entries see what earlier ones wrote (Alga's newer handler).
        for (const [target, expr] of Object.entries((config.assign ?? {}) as Record<string, { $expr: string }>))
          this.#assign(run, target, await this.#evaluate(run, expr.$expr), path);
        return;
      case "action.call":
        return this.#callAction(run, config, path);
      case "control.callWorkflow":
        return this.#callWorkflow(run, step, path);
      case "event.wait":
        return this.#eventWait(run, config, path, delivery, waitRow);
      case "time.wait":
        return this.#timeWait(run, config, path, delivery, waitRow);
      case "human.task":
        return this.#humanTask(run, config, path, delivery, waitRow);
      default:
        if (UNSUPPORTED_NODE_TYPES.has(step.type))
          throw createActionFailure(
            "ValidationError",
            `node type ${step.type} is not supported by the reference runtime (it has no email parser); register the workflow's behaviour in Alga to test it`,
          );
        throw createActionFailure("ValidationError", `Unknown node type ${step.type}`);
    }
  }

  async #callAction(run: RunContext, config: Record<string, unknown>, path: string): Promise<void> {
    const actionId = String(config.actionId);
    const version = Number(config.version);
    const secretPaths: (string | number)[][] = [];
    const input = await this.#resolveMapping(run, config.inputMapping ?? {}, [], secretPaths);
    const tenant = this.#o.tenant;
    let key: string | undefined;
    if (isExpr(config.idempotencyKey)) {
      const explicit = await this.#evaluate(run, config.idempotencyKey.$expr);
      if (explicit !== null && explicit !== undefined) key = String(explicit);
    }
    key ??= computeIdempotencyKey(tenant, run.row.run_id, path, actionId, version, input);
    if (!key.startsWith(`${tenant}:`)) key = `${tenant}:${key}`;
    const handler = this.#o.actions.resolve(actionId, version);
    if (!handler)
      throw createActionFailure(
        "ValidationError",
        `Unknown action ${actionId}@${version}: no handler is registered (register one with createActionRegistry().register)`,
      );

    let output: unknown;
    const existing = await this.#findInvocation(actionId, version, key);
    if (existing?.status === "SUCCEEDED") {
      output = existing.output_json;
    } else {
      if (existing?.status === "STARTED")
        throw createActionFailure("TransientError", `action invocation ${key} is already in progress`);
      const now = this.#o.clock.timestamp();
      const invocation: InvocationRow = existing ?? {
        invocation_id: this.#o.generateId(),
        run_id: run.row.run_id,
        step_path: path,
        action_id: actionId,
        action_version: version,
        idempotency_key: key,
        status: "STARTED",
        attempt: 0,
        input_json: redact(input, secretPaths),
        output_json: null,
        error_message: null,
        created_at: now,
        started_at: now,
        completed_at: null,
      };
      // A failed invocation of the same key is claimed again, with the next attempt number.
      invocation.status = "STARTED";
      invocation.attempt += 1;
      invocation.started_at = now;
      invocation.completed_at = null;
      invocation.error_message = null;
      this.#o.recording.invocations.rows.set(invocation.invocation_id, invocation);
      try {
        const raw = await handler(clone(input), {
          tenant,
          runId: run.row.run_id,
          workflowId: run.row.workflow_id,
          stepPath: path,
          actionId,
          version,
          idempotencyKey: key,
          attempt: invocation.attempt,
        });
        output = toJsonOutput(raw);
      } catch (thrown) {
        invocation.status = "FAILED";
        invocation.error_message = thrown instanceof Error ? thrown.message : String(thrown);
        invocation.completed_at = this.#o.clock.timestamp();
        throw thrown;
      }
      invocation.status = "SUCCEEDED";
      invocation.output_json = output;
      invocation.completed_at = this.#o.clock.timestamp();
    }
    const saveAs = typeof config.saveAs === "string" ? config.saveAs.trim() : "";
    if (saveAs !== "") this.#assign(run, saveAs, clone(output), path);
  }

  async #findInvocation(actionId: string, version: number, key: string): Promise<InvocationRow | undefined> {
    for (const row of this.#o.recording.invocations.rows.values())
      if (row.action_id === actionId && row.action_version === version && row.idempotency_key === key) return row;
    const stored = await this.#o.store.findInvocation(actionId, version, key);
    if (stored) {
      this.#o.recording.invocations.rows.set(stored.invocation_id, stored);
      this.#o.recording.invocations.persisted.add(stored.invocation_id);
    }
    return stored;
  }

  async #callWorkflow(run: RunContext, step: Step, path: string): Promise<void> {
    const workflowId = String(step.workflowId);
    const workflowVersion = Number(step.workflowVersion);
    const input: Record<string, unknown> = {};
    for (const [name, expr] of Object.entries((step.inputMapping ?? {}) as Record<string, { $expr: string }>))
      input[name] = await this.#evaluate(run, expr.$expr);
    const details = { workflowId, workflowVersion };
    if (run.depth + 1 > (this.#o.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH))
      throw createActionFailure("ChildWorkflowError", "Child workflow call depth limit reached", {
        ...details,
        maxDepth: this.#o.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH,
      });
    const target = await this.#o.store.loadCallTarget(workflowId, workflowVersion);
    if (!target)
      throw createActionFailure(
        "ChildWorkflowError",
        `Child workflow ${workflowId} has no published version ${workflowVersion} in this tenant`,
        details,
      );
    const child = await this.startRun({
      workflowId: target.workflowId,
      workflowKey: target.workflowKey,
      version: target.version,
      definition: target.definition,
      definitionHash: target.definitionHash,
      payload: input,
      parentRunId: run.row.run_id,
      rootRunId: run.row.root_run_id ?? run.row.run_id,
      depth: run.depth + 1,
    });
    if (child.status === "WAITING") this.#cancelRun(child.runId);
    if (child.status !== "SUCCEEDED")
      throw createActionFailure(
        "ChildWorkflowError",
        child.status === "WAITING"
          ? "Child workflow execution failed: the child stopped in WAITING, and a called workflow must finish in the same run (it was canceled)"
          : `Child workflow execution failed${child.error ? `: ${child.error.message}` : ""}`,
        { ...details, childRunId: child.runId, rootRunId: run.row.root_run_id, cause: child.error },
      );
    const mapping = Object.entries((step.outputMapping ?? {}) as Record<string, { $expr: string }>);
    if (mapping.length === 0) return;
    // Output expressions read the child's final state as vars.childRun (Alga's first engine).
    const vars = run.env.vars;
    const hadChildRun = Object.hasOwn(vars, "childRun");
    const previous = vars.childRun;
    vars.childRun = {
      runId: child.runId,
      payload: clone(child.envelope.payload),
      vars: clone(child.envelope.vars),
      meta: clone(child.envelope.meta),
      error: clone(child.envelope.error) ?? null,
    };
    const values: [string, unknown][] = [];
    try {
      for (const [target, expr] of mapping) values.push([target, await this.#evaluate(run, expr.$expr)]);
    } finally {
      if (hadChildRun) vars.childRun = previous;
      else delete vars.childRun;
    }
    for (const [target, value] of values) this.#assign(run, target, value, path);
  }

  #cancelRun(runId: string): void {
    const now = this.#o.clock.timestamp();
    const run = this.#o.recording.runs.rows.get(runId);
    if (run) {
      run.status = "CANCELED";
      run.completed_at = now;
      run.updated_at = now;
    }
    for (const wait of this.#o.recording.waits.rows.values())
      if (wait.run_id === runId && wait.status === "WAITING") {
        wait.status = "CANCELED";
        wait.resolved_at = now;
      }
    for (const step of this.#o.recording.steps.rows.values())
      if (step.run_id === runId && step.status === "STARTED") {
        step.status = "CANCELED";
        step.completed_at = now;
      }
  }

  async #eventWait(
    run: RunContext,
    config: Record<string, unknown>,
    path: string,
    delivery: WaitDelivery | undefined,
    waitRow: WaitRow | undefined,
  ): Promise<void> {
    const eventName = String(config.eventName);
    if (delivery && waitRow) {
      this.#resolveWait(waitRow, delivery);
      if (delivery.kind === "timeout")
        throw createActionFailure("TimeoutError", `event.wait timed out waiting for ${eventName}`, {
          eventName,
          correlationKey: waitRow.key,
          timeoutAt: waitRow.timeout_at,
        });
      if (delivery.kind === "event") {
        run.env.vars.event = clone(delivery.payload);
        run.env.vars.eventName = delivery.eventName;
      }
      await this.#applyAssignMap(run, config.assign, path, false);
      return;
    }
    const keyValue = await this.#evaluate(run, (config.correlationKey as { $expr: string }).$expr);
    const key = keyValue === null || keyValue === undefined ? null : String(keyValue);
    const timeoutMs = typeof config.timeoutMs === "number" ? config.timeoutMs : null;
    const timeoutAt = timeoutMs === null ? null : new Date(this.#o.clock.epochMs() + timeoutMs).toISOString();
    this.#createWait(run, path, {
      wait_type: "event",
      key,
      event_name: eventName,
      timeout_at: timeoutAt,
      payload: { eventName, correlationKey: key, filters: config.filters ?? [], timeoutAt },
    });
    throw new WaitSignal(path);
  }

  async #timeWait(
    run: RunContext,
    config: Record<string, unknown>,
    path: string,
    delivery: WaitDelivery | undefined,
    waitRow: WaitRow | undefined,
  ): Promise<void> {
    const mode = String(config.mode);
    if (delivery && waitRow) {
      this.#resolveWait(waitRow, delivery);
      await this.#finishTimeWait(run, config, path, mode, waitRow.timeout_at ?? this.#o.clock.timestamp());
      return;
    }
    let dueMs: number;
    if (mode === "until") {
      const until = await this.#evaluate(run, (config.until as { $expr: string }).$expr);
      dueMs = typeof until === "string" || typeof until === "number" ? new Date(until).getTime() : Number.NaN;
      if (Number.isNaN(dueMs))
        throw createActionFailure("ValidationError", "time.wait until did not evaluate to a valid date", {
          received: until,
        });
    } else {
      dueMs = this.#o.clock.epochMs() + Number(config.durationMs);
    }
    const dueAt = new Date(dueMs).toISOString();
    const payload = { mode, durationMs: mode === "duration" ? Number(config.durationMs) : null, dueAt };
    const wait = this.#createWait(run, path, {
      wait_type: "time",
      key: null,
      event_name: null,
      timeout_at: dueAt,
      payload,
    });
    if (dueMs > this.#o.clock.epochMs()) throw new WaitSignal(path);
    // Already due: the wait is recorded and resolved at once.
    this.#resolveWait(wait, { kind: "timer" });
    await this.#finishTimeWait(run, config, path, mode, dueAt);
  }

  async #finishTimeWait(run: RunContext, config: Record<string, unknown>, path: string, mode: string, dueAt: string) {
    run.env.vars.timeWait = { mode, dueAt, resumedAt: new Date(this.#o.clock.epochMs()).toISOString() };
    await this.#applyAssignMap(run, config.assign, path, false);
  }

  async #humanTask(
    run: RunContext,
    config: Record<string, unknown>,
    path: string,
    delivery: WaitDelivery | undefined,
    waitRow: WaitRow | undefined,
  ): Promise<void> {
    if (delivery && waitRow) {
      this.#resolveWait(waitRow, delivery);
      if (delivery.kind === "human") {
        run.env.vars.event = clone(delivery.payload);
        run.env.vars.eventName = delivery.eventName;
      }
      await this.#applyAssignMap(run, config.assign, path, true);
      return;
    }
    const title = await this.#evaluate(run, (config.title as { $expr: string }).$expr);
    const description = isExpr(config.description) ? await this.#evaluate(run, config.description.$expr) : null;
    const contextData: Record<string, unknown> = {};
    for (const [name, expr] of Object.entries((config.contextData ?? {}) as Record<string, { $expr: string }>))
      contextData[name] = await this.#evaluate(run, expr.$expr);
    const taskId = this.#o.generateId();
    this.#createWait(run, path, {
      wait_type: "human",
      key: taskId,
      event_name: "HUMAN_TASK_COMPLETED",
      timeout_at: null,
      payload: { taskId, taskType: config.taskType, title, description, contextData },
    });
    throw new WaitSignal(path);
  }

  #createWait(
    run: RunContext,
    path: string,
    fields: Pick<WaitRow, "wait_type" | "key" | "event_name" | "timeout_at" | "payload">,
  ): WaitRow {
    const row: WaitRow = {
      wait_id: this.#o.generateId(),
      run_id: run.row.run_id,
      step_path: path,
      status: "WAITING",
      created_at: this.#o.clock.timestamp(),
      resolved_at: null,
      ...fields,
    };
    this.#o.recording.waits.rows.set(row.wait_id, row);
    return row;
  }

  #resolveWait(wait: WaitRow, delivery: WaitDelivery): void {
    wait.status = "RESOLVED";
    wait.resolved_at = this.#o.clock.timestamp();
    const matchedEventId = delivery.kind === "event" || delivery.kind === "human" ? delivery.eventId : null;
    wait.payload = { ...(isJsonObject(wait.payload) ? wait.payload : {}), matchedEventId };
  }

  /** Applies an `assign` map: one entry at a time, or (human.task, as in Alga) all evaluated first. */
  async #applyAssignMap(run: RunContext, assign: unknown, path: string, batch: boolean): Promise<void> {
    const entries = Object.entries((assign ?? {}) as Record<string, { $expr: string }>);
    if (!batch) {
      for (const [target, expr] of entries) this.#assign(run, target, await this.#evaluate(run, expr.$expr), path);
      return;
    }
    const values: [string, unknown][] = [];
    for (const [target, expr] of entries) values.push([target, await this.#evaluate(run, expr.$expr)]);
    for (const [target, value] of values) this.#assign(run, target, value, path);
  }

  #assign(run: RunContext, path: string, value: unknown, nodePath: string): void {
    const parsed = parseAssignmentPath(path);
    if (!parsed.ok) throw new StepFailure(this.#error("ValidationError", parsed.message, nodePath));
    applyAssignment(run.env, parsed.target as AssignmentTarget, value, this.#o.clock.timestamp());
  }

  async #resolveMapping(
    run: RunContext,
    value: unknown,
    at: (string | number)[],
    secretPaths: (string | number)[][],
  ): Promise<unknown> {
    if (isExpr(value)) return this.#evaluate(run, value.$expr);
    if (isSecretRef(value)) {
      const secret = this.#o.secrets[value.$secret];
      if (secret === undefined || !Object.hasOwn(this.#o.secrets, value.$secret))
        throw createActionFailure(
          "ActionError",
          `Failed to resolve secret "${value.$secret}": no such secret was given to the runtime (pass secrets: {"${value.$secret}": ...} or --secret ${value.$secret}=...)`,
          { secret: value.$secret },
        );
      secretPaths.push(at);
      return secret;
    }
    if (Array.isArray(value)) {
      const result: unknown[] = [];
      for (let i = 0; i < value.length; i++)
        result.push(await this.#resolveMapping(run, value[i], [...at, i], secretPaths));
      return result;
    }
    if (isJsonObject(value)) {
      const result: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value))
        result[k] = await this.#resolveMapping(run, v, [...at, k], secretPaths);
      return result;
    }
    return value;
  }

  #evaluate(run: RunContext, source: string): Promise<unknown> {
    const env = run.env;
    return evaluateExpression(
      source,
      { payload: env.payload, vars: env.vars, meta: env.meta, error: env.error },
      { now: this.#o.now },
    );
  }

  #error(category: RuntimeErrorCategory, message: string, nodePath: string): RuntimeError {
    return { category, message, nodePath, at: this.#o.clock.timestamp() };
  }

  #beginStep(run: RunContext, step: Step, path: string): StepRow {
    const attempt = (run.attempts.get(path) ?? 0) + 1;
    run.attempts.set(path, attempt);
    const row: StepRow = {
      step_id: this.#o.generateId(),
      run_id: run.row.run_id,
      step_path: path,
      definition_step_id: step.id,
      status: "STARTED",
      attempt,
      duration_ms: null,
      error_json: null,
      snapshot_id: null,
      started_at: this.#o.clock.timestamp(),
      completed_at: null,
    };
    this.#o.recording.steps.rows.set(row.step_id, row);
    return row;
  }

  #finishStep(run: RunContext, row: StepRow, status: string, error: unknown, snapshot = true): void {
    const now = this.#o.clock.timestamp();
    row.status = status;
    row.completed_at = now;
    row.duration_ms = Math.max(0, Math.round(Date.parse(now) - Date.parse(row.started_at)));
    row.error_json = error ?? null;
    if (snapshot) row.snapshot_id = this.#snapshot(run, row.step_path, true);
  }

  #failStep(run: RunContext, row: StepRow, thrown: unknown, fallback: RuntimeErrorCategory): StepFailure {
    const error = toRuntimeError(thrown, row.step_path, this.#o.clock.timestamp(), fallback);
    this.#finishStep(run, row, "FAILED", error, false);
    return new StepFailure(error);
  }

  /** Records the run's state (Alga's envelope); step snapshots over 256 KiB are stored as a marker. */
  #snapshot(run: RunContext, stepPath: string | null, cap: boolean): string {
    const envelope: Record<string, unknown> = {
      v: 1,
      run: {
        id: run.row.run_id,
        workflowId: run.row.workflow_id,
        workflowVersion: run.row.workflow_version,
        startedAt: run.row.started_at,
      },
      payload: run.env.payload ?? null,
      meta: run.env.meta,
      vars: run.env.vars,
    };
    if (run.env.error !== undefined) envelope.error = run.env.error;
    const text = JSON.stringify(envelope);
    const row: SnapshotRow = {
      snapshot_id: this.#o.generateId(),
      run_id: run.row.run_id,
      step_path: stepPath,
      envelope_json:
        cap && text.length > MAX_SNAPSHOT_CHARS
          ? { truncated: true, size: text.length, max: MAX_SNAPSHOT_CHARS }
          : JSON.parse(text),
      size_bytes: Buffer.byteLength(text),
      created_at: this.#o.clock.timestamp(),
    };
    this.#o.recording.snapshots.push(row);
    return row.snapshot_id;
  }
}

function branchOf(step: Step, branch: string): readonly Step[] {
  const steps = step[branch];
  return Array.isArray(steps) ? (steps as Step[]) : [];
}

function toJsonOutput(raw: unknown): unknown {
  if (raw === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch (error) {
    throw createActionFailure("ActionError", `Action output is not JSON-serializable: ${(error as Error).message}`);
  }
  if (text === undefined) throw createActionFailure("ActionError", "Action output is not JSON-serializable");
  return JSON.parse(text);
}

/** A copy of an action input with the values that came from secrets replaced, for recording. */
function redact(input: unknown, paths: readonly (string | number)[][]): unknown {
  if (paths.length === 0) return clone(input);
  const copy = clone(input) as Record<string | number, unknown>;
  for (const path of paths) {
    if (path.length === 0) return REDACTED;
    let node: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[path[path.length - 1] as string | number] = REDACTED;
  }
  return copy;
}
