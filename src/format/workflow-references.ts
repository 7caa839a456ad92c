import { isJsonObject, type JsonObject } from "./json-value.js";
import { branchListPath, ROOT_STEP_LIST, stepPathAt } from "./step-paths.js";
import { CHILD_BRANCHES, someStep, walkSteps } from "./step-walk.js";

/** One `control.callWorkflow` step of a definition. */
export interface CallReference {
  stepPath: string;
  workflowId: string;
  workflowVersion: number | null;
}

/** Every `control.callWorkflow` target of a definition, with its step path. Total on malformed input. */
export function collectCallReferences(definition: unknown): CallReference[] {
  const found: CallReference[] = [];
  for (const { step, stepPath } of walkSteps(definition))
    if (step.type === "control.callWorkflow" && typeof step.workflowId === "string")
      found.push({
        stepPath,
        workflowId: step.workflowId,
        workflowVersion: typeof step.workflowVersion === "number" ? step.workflowVersion : null,
      });
  return found;
}

/** True when a definition has a `control.callWorkflow` step with a target (cheaper than collecting them). */
export function hasCallReferences(definition: unknown): boolean {
  return someStep(definition, (step) => step.type === "control.callWorkflow" && typeof step.workflowId === "string");
}

/** How {@link rewriteWorkflowReferences} changes a definition. */
export interface RewriteReferencesOptions {
  /** The new `definition.id`; unchanged when undefined. */
  id?: string;
  /** The new target of a `control.callWorkflow` step; unchanged when it returns undefined. */
  mapTarget?: (reference: CallReference) => string | undefined;
}

/**
 * Returns the definition with its `id` and `control.callWorkflow` targets rewritten. Copy on
 * write: the input is never mutated, and only the objects on a changed path are copied.
 */
export function rewriteWorkflowReferences(definition: unknown, options: RewriteReferencesOptions): unknown {
  if (!isJsonObject(definition)) return definition;
  let result: JsonObject = definition;
  if (options.id !== undefined && definition.id !== options.id) result = { ...definition, id: options.id };
  const mapTarget = options.mapTarget;
  if (mapTarget && Array.isArray(definition.steps)) {
    const steps = rewriteSteps(definition.steps, ROOT_STEP_LIST, mapTarget);
    if (steps !== definition.steps) result = { ...result, steps };
  }
  return result;
}

function rewriteSteps(
  steps: unknown[],
  listPath: string,
  mapTarget: (reference: CallReference) => string | undefined,
): unknown[] {
  let copy: unknown[] | undefined;
  steps.forEach((step, i) => {
    if (!isJsonObject(step)) return;
    const stepPath = stepPathAt(listPath, i);
    let next: JsonObject = step;
    if (step.type === "control.callWorkflow" && typeof step.workflowId === "string") {
      const target = mapTarget({
        stepPath,
        workflowId: step.workflowId,
        workflowVersion: typeof step.workflowVersion === "number" ? step.workflowVersion : null,
      });
      if (target !== undefined && target !== step.workflowId) next = { ...next, workflowId: target };
    }
    for (const branch of CHILD_BRANCHES[String(step.type)] ?? []) {
      const children = step[branch];
      if (!Array.isArray(children)) continue;
      const rewritten = rewriteSteps(children, branchListPath(stepPath, branch), mapTarget);
      if (rewritten !== children) next = { ...next, [branch]: rewritten };
    }
    if (next !== step) {
      copy ??= [...steps];
      copy[i] = next;
    }
  });
  return copy ?? steps;
}
