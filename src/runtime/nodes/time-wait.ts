import type { TimeWaitConfig } from "../../format/definition-schema.js";
import { createActionFailure } from "../runtime-error.js";
import { applyAssignMap } from "./assign-map.js";
import type { NodeResult, StepContext } from "./step-context.js";

/**
 * `time.wait`: records a wait due after `durationMs` or at the evaluated `until`, and stops the run
 * (a wait already due is resolved at once). When it goes on it binds `vars.timeWait` and applies
 * `assign`.
 */
export async function executeTimeWait(ctx: StepContext, config: TimeWaitConfig): Promise<NodeResult> {
  const { mode } = config;
  if (ctx.resume) {
    const { delivery, wait } = ctx.resume;
    ctx.record.resolveWait(wait, delivery);
    await finishTimeWait(ctx, config, wait.timeout_at ?? ctx.clock.timestamp());
    return "completed";
  }
  let dueMs: number;
  if (mode === "until") {
    const until = config.until === undefined ? undefined : await ctx.evaluate(config.until);
    dueMs = typeof until === "string" || typeof until === "number" ? new Date(until).getTime() : Number.NaN;
    if (Number.isNaN(dueMs))
      throw createActionFailure("ValidationError", "time.wait until did not evaluate to a valid date", {
        received: until,
      });
  } else {
    dueMs = ctx.clock.epochMs() + Number(config.durationMs);
  }
  const dueAt = new Date(dueMs).toISOString();
  const payload = { mode, durationMs: mode === "duration" ? Number(config.durationMs) : null, dueAt };
  const wait = ctx.record.createWait(ctx.runId, ctx.stepPath, {
    wait_type: "time",
    key: null,
    event_name: null,
    timeout_at: dueAt,
    payload,
  });
  if (dueMs > ctx.clock.epochMs()) return "waiting";
  // Already due: the wait is recorded and resolved at once.
  ctx.record.resolveWait(wait, { kind: "timer" });
  await finishTimeWait(ctx, config, dueAt);
  return "completed";
}

async function finishTimeWait(ctx: StepContext, config: TimeWaitConfig, dueAt: string): Promise<void> {
  ctx.env.vars.timeWait = { mode: config.mode, dueAt, resumedAt: new Date(ctx.clock.epochMs()).toISOString() };
  await applyAssignMap(ctx, config.assign, "sequential");
}
