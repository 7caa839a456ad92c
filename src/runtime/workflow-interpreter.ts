import type { RunRecording, RunRow, StepRow, WaitRow } from "../db/run-store.js";
import type {
  CallWorkflowStep,
  Expr,
  ForEachStep,
  IfStep,
  NodeStep,
  Step,
  TryCatchStep,
  WorkflowDefinition,
} from "../format/definition-schema.js";
import { branchListPath, ROOT_STEP_LIST, type StepPathSegment, stepPathAt } from "../format/step-paths.js";
import { applyAssignment, FORBIDDEN_PATH_SEGMENTS, parseAssignmentPath } from "./assignment-paths.js";
import { evaluateExpression } from "./expression-engine.js";
import { clearLoopState, type LoopState, readLoopState, saveLoopState } from "./loop-state.js";
import { type BoundStep, bindCallWorkflowStep, bindNodeStep } from "./nodes/bind-node-step.js";
import type { RunOutcome, StepContext, StepResume } from "./nodes/step-context.js";
import { createStepServices, type StepServices, type StepServicesOptions } from "./nodes/step-services.js";
import { computeRetryDelayMs, shouldRetry } from "./retry-policy.js";
import { cloneJson, type RunEnvelope } from "./run-envelope.js";
import { type RecordedRunStart, RunRecorder } from "./run-recorder.js";
import { createActionFailure, type RuntimeError, type RuntimeErrorCategory, toRuntimeError } from "./runtime-error.js";
import type { WaitDelivery } from "./wait-delivery.js";

/**
 * The reference interpreter of Workflow Runtime V2 definitions: it walks the steps depth-first,
 * runs the control blocks (if, forEach, tryCatch, return) and their scopes, and hands every other
 * step to its node handler (`./nodes/`) under the step's retry and onError policies. Rows go
 * through a {@link RunRecorder} into a {@link RunRecording} that the caller writes in its
 * transaction; the database is read only through the handlers' narrow store port. Semantics follow
 * Alga's interpreter; where its two engines differ, the choice is documented in docs/guides/runtime.md.
 */

/** Everything the interpreter needs, given once: what its node handlers use, and the following. */
export interface InterpreterOptions extends Omit<StepServicesOptions, "recorder"> {
  /** The clock behind `nowIso()` in expressions. */
  now: () => Date;
  /** Where the rows of the run (and of the runs it calls) are recorded. */
  recording: RunRecording;
  /** Waits between retries; when absent the backoff is recorded but not waited. */
  sleep?: (ms: number) => Promise<void>;
}

/** A new run to start. */
export interface StartRunInput extends RecordedRunStart {
  definition: WorkflowDefinition;
  /** How many `control.callWorkflow` calls deep the run is. Default 0. */
  depth?: number;
}

/** A waiting run to continue, with the rows read back from the database. */
export interface ContinueRunInput {
  run: RunRow;
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
  definition: WorkflowDefinition;
  depth: number;
  env: RunEnvelope;
  attempts: Map<string, number>;
  /** Until the waiting step is reached again: what resumes it, and its STARTED row. */
  resume?: StepResume & { stepRow: StepRow | undefined };
}

interface Scope {
  /** Inside the `try` of a tryCatch (at any depth): failures go there first, as in Alga. */
  insideTry: boolean;
  /** The nearest enclosing forEach has `onItemError: "continue"`. */
  itemErrorContinue: boolean;
}

const ROOT_SCOPE: Scope = { insideTry: false, itemErrorContinue: false };

/** Where a resuming run goes on: the positions of the waiting step below the current step list. */
type Cursor = StepPathSegment[] | undefined;

/** Unwinds the run to its end: `control.return`. */
class ReturnSignal {}

/** Unwinds the run to its end: a step recorded a wait. */
class WaitSignal {
  constructor(readonly stepPath: string) {}
}

/** A failed step, unwinding to the tryCatch or forEach that handles it, or to the end of the run. */
class StepFailure {
  propagating = false;
  constructor(readonly error: RuntimeError) {}
}

/** Executes runs; one instance per `runWorkflow` / `resumeRun` call. */
export class WorkflowInterpreter {
  readonly #o: InterpreterOptions;
  readonly #recorder: RunRecorder;
  readonly #services: StepServices;

  constructor(options: InterpreterOptions) {
    this.#o = options;
    this.#recorder = new RunRecorder(options);
    this.#services = createStepServices({ ...options, recorder: this.#recorder });
  }

  /** Starts a run and executes it until it ends or waits. */
  async startRun(input: StartRunInput): Promise<RunOutcome> {
    const row = this.#recorder.startRun(input);
    const env: RunEnvelope = { payload: cloneJson(input.payload), vars: {}, meta: {}, error: undefined };
    const run: RunContext = { row, definition: input.definition, depth: input.depth ?? 0, env, attempts: new Map() };
    return this.#execute(run, undefined);
  }

  /** Continues a waiting run with what it waited for. */
  async continueRun(input: ContinueRunInput): Promise<RunOutcome> {
    this.#recorder.resumeRun(input.run, input.delivery);
    const run: RunContext = {
      row: input.run,
      definition: input.definition,
      depth: 0,
      env: input.envelope,
      attempts: input.attempts,
      resume: { delivery: input.delivery, wait: input.waitRow, stepRow: input.stepRow },
    };
    return this.#execute(run, input.cursor);
  }

  async #execute(run: RunContext, cursor: Cursor): Promise<RunOutcome> {
    let status: RunOutcome["status"] = "SUCCEEDED";
    let error: RuntimeError | null = null;
    let nodePath: string | null = null;
    try {
      await this.#executeSteps(run, run.definition.steps, ROOT_STEP_LIST, ROOT_SCOPE, cursor);
    } catch (thrown) {
      if (thrown instanceof WaitSignal) {
        status = "WAITING";
        nodePath = thrown.stepPath;
      } else if (thrown instanceof StepFailure) {
        status = "FAILED";
        error = thrown.error;
      } else if (!(thrown instanceof ReturnSignal)) throw thrown;
    }
    this.#recorder.finishRun(run.row, run.env, status, nodePath, error);
    return { runId: run.row.run_id, status, error, nodePath, envelope: run.env };
  }

  /** Runs a step list from its start, or from the position `cursor` names (a run that resumes). */
  async #executeSteps(run: RunContext, steps: readonly Step[], listPath: string, scope: Scope, cursor: Cursor) {
    const start = cursor?.[0]?.index ?? 0;
    for (const [i, step] of steps.entries()) {
      if (i < start) continue;
      const tail = cursor !== undefined && i === start ? cursor.slice(1) : undefined;
      try {
        await this.#executeStep(run, step, stepPathAt(listPath, i), scope, tail);
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

  /** `tail`: the rest of the resume cursor, empty when this step is the one that waited. */
  async #executeStep(run: RunContext, step: Step, path: string, scope: Scope, tail: Cursor) {
    const within = tail !== undefined && tail.length > 0 ? tail : undefined;
    const isResumeTarget = tail !== undefined && tail.length === 0;
    // The definition schema validated each step against the schema of its type.
    switch (step.type) {
      case "control.if":
        return this.#executeIf(run, step as IfStep, path, scope, within);
      case "control.forEach":
        return this.#executeForEach(run, step as ForEachStep, path, scope, within);
      case "control.tryCatch":
        return this.#executeTryCatch(run, step as TryCatchStep, path, scope, within);
      case "control.return":
        this.#finishStep(run, this.#beginStep(run, step, path), "SUCCEEDED", null);
        throw new ReturnSignal();
      case "control.callWorkflow":
        return this.#executeGuarded(run, step, path, isResumeTarget, bindCallWorkflowStep(step as CallWorkflowStep));
      default:
        return this.#executeGuarded(run, step, path, isResumeTarget, bindNodeStep(step as NodeStep));
    }
  }

  async #executeIf(run: RunContext, step: IfStep, path: string, scope: Scope, within: Cursor) {
    if (within) {
      const branch = within[0]?.branch === "else" ? "else" : "then";
      return this.#executeSteps(run, step[branch] ?? [], branchListPath(path, branch), scope, within);
    }
    const row = this.#beginStep(run, step, path);
    let branch: "then" | "else";
    try {
      const value = await this.#evaluate(run, step.condition);
      if (typeof value !== "boolean")
        throw createActionFailure("ExpressionError", "control.if condition did not evaluate to boolean", {
          received: value,
        });
      branch = value ? "then" : "else";
    } catch (thrown) {
      throw this.#failStep(row, thrown, "ExpressionError");
    }
    this.#finishStep(run, row, "SUCCEEDED", null);
    await this.#executeSteps(run, step[branch] ?? [], branchListPath(path, branch), scope, undefined);
  }

  async #executeForEach(run: RunContext, step: ForEachStep, path: string, scope: Scope, within: Cursor) {
    const vars = run.env.vars;
    const itemVar = step.itemVar;
    let state: LoopState;
    if (within) {
      const saved = readLoopState(vars, step.id);
      if (!saved) throw new Error(`internal: no loop state for ${path} to resume`);
      state = saved;
    } else {
      const row = this.#beginStep(run, step, path);
      let items: unknown;
      try {
        if (FORBIDDEN_PATH_SEGMENTS.has(itemVar))
          throw createActionFailure("ValidationError", `control.forEach itemVar is forbidden: ${itemVar}`);
        items = await this.#evaluate(run, step.items);
        if (!Array.isArray(items))
          throw createActionFailure("ValidationError", "control.forEach items did not evaluate to array", {
            received: items === null ? "null" : typeof items,
          });
      } catch (thrown) {
        throw this.#failStep(row, thrown, "ExpressionError");
      }
      this.#finishStep(run, row, "SUCCEEDED", null);
      if (items.length === 0 || step.body.length === 0) return;
      state = { items, index: 0, itemVar, hadPrevious: Object.hasOwn(vars, itemVar) };
      if (state.hadPrevious) state.previous = vars[itemVar];
    }
    const bodyScope: Scope = { insideTry: scope.insideTry, itemErrorContinue: step.onItemError === "continue" };
    const first = state.index;
    try {
      for (let index = first; index < state.items.length; index++) {
        state.index = index;
        saveLoopState(vars, step.id, state);
        vars[itemVar] = cloneJson(state.items[index]);
        const cursor = index === first ? within : undefined;
        await this.#executeSteps(run, step.body, branchListPath(path, "body"), bodyScope, cursor);
      }
    } catch (thrown) {
      // A waiting run keeps its loop state (it resumes from it); any other exit restores the item var.
      if (!(thrown instanceof WaitSignal)) clearLoopState(vars, step.id, state);
      throw thrown;
    }
    clearLoopState(vars, step.id, state);
  }

  async #executeTryCatch(run: RunContext, step: TryCatchStep, path: string, scope: Scope, within: Cursor) {
    const resumeIn = within?.[0]?.branch;
    if (!within) this.#finishStep(run, this.#beginStep(run, step, path), "SUCCEEDED", null);
    if (resumeIn !== "catch") {
      try {
        const tryScope: Scope = { insideTry: true, itemErrorContinue: scope.itemErrorContinue };
        const cursor = resumeIn === "try" ? within : undefined;
        await this.#executeSteps(run, step.try, branchListPath(path, "try"), tryScope, cursor);
        return;
      } catch (thrown) {
        if (!(thrown instanceof StepFailure)) throw thrown;
        run.env.error = { ...thrown.error };
        if (step.captureErrorAs !== undefined) this.#assign(run, step.captureErrorAs, { ...thrown.error }, path);
      }
    }
    const cursor = resumeIn === "catch" ? within : undefined;
    await this.#executeSteps(run, step.catch, branchListPath(path, "catch"), scope, cursor);
  }

  /** A node step or `control.callWorkflow`: its retry policy, then its onError policy. */
  async #executeGuarded(run: RunContext, step: Step, path: string, isResumeTarget: boolean, bound: BoundStep) {
    const resume = isResumeTarget ? run.resume : undefined;
    if (isResumeTarget) run.resume = undefined;
    let row = resume?.stepRow ?? this.#beginStep(run, step, path);
    let waited: StepResume | undefined = resume && { delivery: resume.delivery, wait: resume.wait };
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await bound.execute(this.#stepContext(run, path, waited));
        if (result === "waiting") throw new WaitSignal(path);
        this.#finishStep(run, row, "SUCCEEDED", null);
        return;
      } catch (thrown) {
        if (thrown instanceof WaitSignal) throw thrown;
        const error =
          thrown instanceof StepFailure ? thrown.error : toRuntimeError(thrown, path, this.#o.clock.timestamp());
        if (bound.retry && shouldRetry(bound.retry, attempt, error.category)) {
          const delay = computeRetryDelayMs(bound.retry, attempt);
          this.#recorder.finishStep(row, "RETRY_SCHEDULED", { ...error, retryDelayMs: delay });
          if (this.#o.sleep) await this.#o.sleep(delay);
          row = this.#beginStep(run, step, path);
          waited = undefined;
          continue;
        }
        this.#recorder.finishStep(row, "FAILED", error);
        if (bound.onError === "continue") {
          run.env.error = { ...error };
          row.snapshot_id = this.#recorder.snapshot(run.row, run.env, path, true);
          return;
        }
        throw new StepFailure(error);
      }
    }
  }

  /** What a node handler may do during this attempt of the step at `path`. */
  #stepContext(run: RunContext, path: string, resume: StepResume | undefined): StepContext {
    return {
      ...this.#services,
      stepPath: path,
      runId: run.row.run_id,
      workflowId: run.row.workflow_id,
      rootRunId: run.row.root_run_id,
      depth: run.depth,
      env: run.env,
      resume,
      evaluate: (expr) => this.#evaluate(run, expr),
      assign: (target, value) => this.#assign(run, target, value, path),
      startChildRun: (target, payload) =>
        this.startRun({
          ...target,
          payload,
          parentRunId: run.row.run_id,
          rootRunId: run.row.root_run_id ?? run.row.run_id,
          depth: run.depth + 1,
        }),
    };
  }

  #assign(run: RunContext, path: string, value: unknown, nodePath: string): void {
    const parsed = parseAssignmentPath(path);
    const at = this.#o.clock.timestamp();
    if (!parsed.ok) throw new StepFailure({ category: "ValidationError", message: parsed.message, nodePath, at });
    applyAssignment(run.env, parsed.target, value, at);
  }

  #evaluate(run: RunContext, expr: Expr): Promise<unknown> {
    const { payload, vars, meta, error } = run.env;
    return evaluateExpression(expr.$expr, { payload, vars, meta, error }, { now: this.#o.now });
  }

  #beginStep(run: RunContext, step: Step, path: string): StepRow {
    const attempt = (run.attempts.get(path) ?? 0) + 1;
    run.attempts.set(path, attempt);
    return this.#recorder.beginStep(run.row.run_id, path, step.id, attempt);
  }

  #finishStep(run: RunContext, row: StepRow, status: string, error: unknown): void {
    this.#recorder.finishStep(row, status, error);
    row.snapshot_id = this.#recorder.snapshot(run.row, run.env, row.step_path, true);
  }

  #failStep(row: StepRow, thrown: unknown, fallback: RuntimeErrorCategory): StepFailure {
    const error = toRuntimeError(thrown, row.step_path, this.#o.clock.timestamp(), fallback);
    this.#recorder.finishStep(row, "FAILED", error);
    return new StepFailure(error);
  }
}
