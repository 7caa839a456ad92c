import type { InvocationRow, WaitRow } from "../../db/run-store.js";
import type { Expr, WorkflowDefinition } from "../../format/definition-schema.js";
import type { ActionHandler } from "../action-registry.js";
import type { RunEnvelope } from "../run-envelope.js";
import type { RunRecorder } from "../run-recorder.js";
import type { RunClock } from "../run-recording.js";
import type { RuntimeError } from "../runtime-error.js";
import type { WaitDelivery } from "../wait-delivery.js";

/**
 * The contract between the interpreter and its node handlers (`src/runtime/nodes/*`): a handler
 * gets a {@link StepContext} for one attempt of one step, does its work through it, and reports
 * whether the step completed or waits.
 */

/** How a run (or one continuation of it) ended. */
export interface RunOutcome {
  runId: string;
  status: "SUCCEEDED" | "FAILED" | "WAITING" | "CANCELED";
  error: RuntimeError | null;
  /** The waiting step, when WAITING. */
  nodePath: string | null;
  envelope: RunEnvelope;
}

/** A published workflow version that `control.callWorkflow` can start. */
export interface CallTarget {
  workflowId: string;
  version: number;
  definition: WorkflowDefinition;
  definitionHash: string;
}

/** What a node handler reports: the step completed, or it recorded a wait and the run stops there. */
export type NodeResult = "completed" | "waiting";

/** The wait a step resumes from, and what resumed it. */
export interface StepResume {
  delivery: WaitDelivery;
  wait: WaitRow;
}

/** The rows a node handler may record (the interpreter records runs, steps and snapshots). */
export type StepRecorder = Pick<
  RunRecorder,
  "createWait" | "resolveWait" | "cancelRun" | "claimInvocation" | "completeInvocation" | "failInvocation"
>;

/**
 * What a node handler may do during one attempt of one step: read the run's identity, read and
 * write its data, evaluate expressions, assign values, record waits and action calls, call actions
 * and start child runs. A failure is thrown (an `Error`, with a category from `createActionFailure`
 * when it is not an `ActionError`); the interpreter records it and applies the step's retry and
 * onError policies.
 */
export interface StepContext {
  readonly tenant: string;
  /** This step's path (`root.steps[2].then.steps[0]`): where its rows and errors are recorded. */
  readonly stepPath: string;
  readonly runId: string;
  readonly workflowId: string;
  /** The run's root run (itself, unless it was started by `control.callWorkflow`). */
  readonly rootRunId: string | null;
  /** How many `control.callWorkflow` calls deep this run is (0 for a run that was not called). */
  readonly depth: number;
  /** How deep `control.callWorkflow` may nest. */
  readonly maxCallDepth: number;
  /** The run's data; handlers read and write `vars` and `meta` in place. */
  readonly env: RunEnvelope;
  /** Set when the run continues at this step: the wait it recorded and what resumed it. */
  readonly resume: StepResume | undefined;
  readonly clock: RunClock;
  readonly record: StepRecorder;
  /** A new id (for rows and human tasks). */
  generateId(): string;
  /** Evaluates an expression against the run's data. */
  evaluate(expr: Expr): Promise<unknown>;
  /** Writes a value at an assignment path (`vars.x`, `x`, `/a/b`...); a bad path fails the step. */
  assign(path: string, value: unknown): void;
  /** The value of a secret given to the runtime, or undefined. */
  secret(name: string): string | undefined;
  /** The handler registered for an action, or undefined. */
  resolveAction(actionId: string, version: number): ActionHandler | undefined;
  /** The invocation of an idempotency key, recorded in this call or earlier. */
  findInvocation(actionId: string, version: number, idempotencyKey: string): Promise<InvocationRow | undefined>;
  /** A published version of a workflow of the tenant, or undefined. */
  loadCallTarget(workflowId: string, version: number): Promise<CallTarget | undefined>;
  /** Starts a child run of a workflow version (this run is its parent) and executes it until it ends or waits. */
  startChildRun(target: CallTarget, payload: unknown): Promise<RunOutcome>;
}
