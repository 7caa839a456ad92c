import type { HumanTaskConfig } from "../../format/definition-schema.js";
import { setJsonProperty } from "../../format/json-value.js";
import { cloneJson } from "../run-envelope.js";
import { applyAssignMap } from "./assign-map.js";
import type { NodeResult, StepContext } from "./step-context.js";

/**
 * `human.task`: records a task (a wait for `HUMAN_TASK_COMPLETED` keyed by a new task id) with its
 * evaluated title, description and context data, and stops the run. Resumed by the completion, it
 * binds `vars.event` / `vars.eventName` and applies `assign`, every expression evaluated before
 * anything is written (as in Alga).
 */
export async function executeHumanTask(ctx: StepContext, config: HumanTaskConfig): Promise<NodeResult> {
  if (ctx.resume) {
    const { delivery, wait } = ctx.resume;
    ctx.record.resolveWait(wait, delivery);
    if (delivery.kind === "human") {
      ctx.env.vars.event = cloneJson(delivery.payload);
      ctx.env.vars.eventName = delivery.eventName;
    }
    await applyAssignMap(ctx, config.assign, "batch");
    return "completed";
  }
  const title = await ctx.evaluate(config.title);
  const description = config.description ? await ctx.evaluate(config.description) : null;
  const contextData: Record<string, unknown> = {};
  for (const [name, expr] of Object.entries(config.contextData ?? {}))
    setJsonProperty(contextData, name, await ctx.evaluate(expr));
  const taskId = ctx.generateId();
  ctx.record.createWait(ctx.runId, ctx.stepPath, {
    wait_type: "human",
    key: taskId,
    event_name: "HUMAN_TASK_COMPLETED",
    timeout_at: null,
    payload: { taskId, taskType: config.taskType, title, description, contextData },
  });
  return "waiting";
}
