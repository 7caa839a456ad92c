import type { CallWorkflowStep } from "../../format/definition-schema.js";
import { setJsonProperty } from "../../format/json-value.js";
import { cloneJson } from "../run-envelope.js";
import { createActionFailure } from "../runtime-error.js";
import type { NodeResult, StepContext } from "./step-context.js";

/** How deep `control.callWorkflow` may nest before the call fails (a guard against endless recursion). */
export const DEFAULT_MAX_CALL_DEPTH = 16;

/**
 * `control.callWorkflow`: starts a child run of a published version with the mapped input, within
 * this run (a child must end in the same run: one that waits is canceled), and maps the child's
 * final state back with `outputMapping`.
 */
export async function executeCallWorkflow(ctx: StepContext, step: CallWorkflowStep): Promise<NodeResult> {
  const { workflowId, workflowVersion } = step;
  const input: Record<string, unknown> = {};
  for (const [name, expr] of Object.entries(step.inputMapping ?? {}))
    setJsonProperty(input, name, await ctx.evaluate(expr));
  const details = { workflowId, workflowVersion };
  if (ctx.depth + 1 > ctx.maxCallDepth)
    throw createActionFailure("ChildWorkflowError", "Child workflow call depth limit reached", {
      ...details,
      maxDepth: ctx.maxCallDepth,
    });
  const target = await ctx.loadCallTarget(workflowId, workflowVersion);
  if (!target)
    throw createActionFailure(
      "ChildWorkflowError",
      `Child workflow ${workflowId} has no published version ${workflowVersion} in this tenant`,
      details,
    );
  const child = await ctx.startChildRun(target, input);
  if (child.status === "WAITING") ctx.record.cancelRun(child.runId);
  if (child.status !== "SUCCEEDED")
    throw createActionFailure(
      "ChildWorkflowError",
      child.status === "WAITING"
        ? "Child workflow execution failed: the child stopped in WAITING, and a called workflow must finish in the same run (it was canceled)"
        : `Child workflow execution failed${child.error ? `: ${child.error.message}` : ""}`,
      { ...details, childRunId: child.runId, rootRunId: ctx.rootRunId, cause: child.error },
    );
  const mapping = Object.entries(step.outputMapping ?? {});
  if (mapping.length === 0) return "completed";
  // Output expressions read the child's final state as vars.childRun (Alga's first engine).
  const vars = ctx.env.vars;
  const hadChildRun = Object.hasOwn(vars, "childRun");
  const previous = vars.childRun;
  vars.childRun = {
    runId: child.runId,
    payload: cloneJson(child.envelope.payload),
    vars: cloneJson(child.envelope.vars),
    meta: cloneJson(child.envelope.meta),
    error: cloneJson(child.envelope.error) ?? null,
  };
  const values: [string, unknown][] = [];
  try {
    for (const [path, expr] of mapping) values.push([path, await ctx.evaluate(expr)]);
  } finally {
    if (hadChildRun) vars.childRun = previous;
    else delete vars.childRun;
  }
  for (const [path, value] of values) ctx.assign(path, value);
  return "completed";
}
