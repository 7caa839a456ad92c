import type { EventWaitConfig } from "../../format/definition-schema.js";
import { cloneJson } from "../run-envelope.js";
import { createActionFailure } from "../runtime-error.js";
import { applyAssignMap } from "./assign-map.js";
import type { NodeResult, StepContext } from "./step-context.js";

/**
 * `event.wait`: records a wait for an event with the evaluated correlation key (and a timeout), and
 * stops the run. Resumed by the event, it binds `vars.event` / `vars.eventName` and applies
 * `assign`; resumed by the timeout, it fails with a `TimeoutError`.
 */
export async function executeEventWait(ctx: StepContext, config: EventWaitConfig): Promise<NodeResult> {
  const { eventName } = config;
  if (ctx.resume) {
    const { delivery, wait } = ctx.resume;
    ctx.record.resolveWait(wait, delivery);
    if (delivery.kind === "timeout")
      throw createActionFailure("TimeoutError", `event.wait timed out waiting for ${eventName}`, {
        eventName,
        correlationKey: wait.key,
        timeoutAt: wait.timeout_at,
      });
    if (delivery.kind === "event") {
      ctx.env.vars.event = cloneJson(delivery.payload);
      ctx.env.vars.eventName = delivery.eventName;
    }
    await applyAssignMap(ctx, config.assign, "sequential");
    return "completed";
  }
  const keyValue = await ctx.evaluate(config.correlationKey);
  const key = keyValue === null || keyValue === undefined ? null : String(keyValue);
  const timeoutMs = config.timeoutMs ?? null;
  const timeoutAt = timeoutMs === null ? null : new Date(ctx.clock.epochMs() + timeoutMs).toISOString();
  ctx.record.createWait(ctx.runId, ctx.stepPath, {
    wait_type: "event",
    key,
    event_name: eventName,
    timeout_at: timeoutAt,
    payload: { eventName, correlationKey: key, filters: config.filters ?? [], timeoutAt },
  });
  return "waiting";
}
