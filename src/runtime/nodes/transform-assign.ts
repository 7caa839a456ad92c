import type { TransformAssignConfig } from "../../format/definition-schema.js";
import { applyAssignMap } from "./assign-map.js";
import type { NodeResult, StepContext } from "./step-context.js";

/** `transform.assign`: evaluates and writes its entries one at a time (Alga's newer handler). */
export async function executeTransformAssign(
  ctx: StepContext,
  config: Partial<TransformAssignConfig>,
): Promise<NodeResult> {
  await applyAssignMap(ctx, config.assign, "sequential");
  return "completed";
}
