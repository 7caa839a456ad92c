import type {
  ActionCallConfig,
  CallWorkflowStep,
  EventWaitConfig,
  HumanTaskConfig,
  NodeStep,
  RetryPolicy,
  StateSetConfig,
  TimeWaitConfig,
  TransformAssignConfig,
} from "../../format/definition-schema.js";
import { isJsonObject } from "../../format/json-value.js";
import { createActionFailure } from "../runtime-error.js";
import { executeActionCall } from "./action-call.js";
import { executeCallWorkflow } from "./call-workflow.js";
import { executeEventWait } from "./event-wait.js";
import { executeHumanTask } from "./human-task.js";
import { executeStateSet } from "./state-set.js";
import type { NodeResult, StepContext } from "./step-context.js";
import { executeTimeWait } from "./time-wait.js";
import { executeTransformAssign } from "./transform-assign.js";
import { UNSUPPORTED_NODE_TYPES } from "./unsupported-node-types.js";

/** A step the interpreter runs under its retry and onError policies: a node step or `control.callWorkflow`. */
export interface BoundStep {
  retry: RetryPolicy | undefined;
  /** What happens when the step fails after its retries: the run fails, or goes on with `error` set. */
  onError: "fail" | "continue";
  /** One attempt of the step. */
  execute(ctx: StepContext): Promise<NodeResult> | NodeResult;
}

/** Binds a `control.callWorkflow` step to its handler. */
export function bindCallWorkflowStep(step: CallWorkflowStep): BoundStep {
  return {
    retry: step.retry,
    onError: step.onError?.policy ?? "fail",
    execute: (ctx) => executeCallWorkflow(ctx, step),
  };
}

/**
 * Binds a node step to the handler of its type, with its config typed by that type's schema. A
 * type the reference runtime cannot execute, or does not know, binds to a handler that fails the
 * step with a `ValidationError`.
 */
export function bindNodeStep(step: NodeStep): BoundStep {
  const retry = step.retry;
  const onError = step.onError?.policy ?? "fail";
  // The definition schema checked the config against its node type's schema whenever it is set
  // (always for action.call and the waits), so each view below is what was validated. A step
  // without a config gets {}.
  const config = isJsonObject(step.config) ? step.config : {};
  switch (step.type) {
    case "state.set":
      return { retry, onError, execute: (ctx) => executeStateSet(ctx, config as Partial<StateSetConfig>) };
    case "transform.assign":
      return {
        retry,
        onError,
        execute: (ctx) => executeTransformAssign(ctx, config as Partial<TransformAssignConfig>),
      };
    case "action.call": {
      const call = config as ActionCallConfig;
      // action.call can also set onError in its config; the step's own onError wins.
      return {
        retry,
        onError: step.onError?.policy ?? call.onError?.policy ?? "fail",
        execute: (ctx) => executeActionCall(ctx, call),
      };
    }
    case "event.wait":
      return { retry, onError, execute: (ctx) => executeEventWait(ctx, config as EventWaitConfig) };
    case "time.wait":
      return { retry, onError, execute: (ctx) => executeTimeWait(ctx, config as TimeWaitConfig) };
    case "human.task":
      // Alga's publish checks a node's config only when one is set, so a human.task may come
      // without one; there is then no task to create, and the step fails saying so.
      if (!isJsonObject(step.config)) return { retry, onError, execute: failHumanTaskWithoutConfig };
      return { retry, onError, execute: (ctx) => executeHumanTask(ctx, config as HumanTaskConfig) };
    default:
      return { retry, onError, execute: () => failUnexecutable(step.type) };
  }
}

function failHumanTaskWithoutConfig(): never {
  throw createActionFailure(
    "ValidationError",
    'human.task needs a config with taskType and title, and this step has none: add one, e.g. {"taskType": "approval", "title": {"$expr": "\'Approve\'"}}',
  );
}

function failUnexecutable(type: string): never {
  if (UNSUPPORTED_NODE_TYPES.has(type))
    throw createActionFailure(
      "ValidationError",
      `node type ${type} is not supported by the reference runtime (it has no email parser); register the workflow's behaviour in Alga to test it`,
    );
  throw createActionFailure("ValidationError", `Unknown node type ${type}`);
}
