import type { StateSetConfig } from "../../format/definition-schema.js";
import type { NodeResult, StepContext } from "./step-context.js";

/** `state.set`: sets `meta.state` (a step without a config sets it to nothing). */
export function executeStateSet(ctx: StepContext, config: Partial<StateSetConfig>): NodeResult {
  ctx.env.meta.state = config.state;
  return "completed";
}
