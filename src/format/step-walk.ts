import { isJsonObject, type JsonObject } from "./json-value.js";
import { branchListPath, ROOT_STEP_LIST, type StepBranch, stepPathAt } from "./step-paths.js";

/** The nested step lists of each control block (a table without a prototype: any type is safe to look up). */
export const CHILD_BRANCHES: Readonly<Record<string, readonly StepBranch[]>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, readonly StepBranch[]>, {
    "control.if": ["then", "else"],
    "control.forEach": ["body"],
    "control.tryCatch": ["try", "catch"],
  }),
);

/** Walks every step of a definition depth-first, with its step path. Total: skips malformed parts. */
export function* walkSteps(definition: unknown): Generator<{ step: JsonObject; stepPath: string }> {
  if (!isJsonObject(definition) || !Array.isArray(definition.steps)) return;
  yield* walkStepList(definition.steps, ROOT_STEP_LIST);
}

function* walkStepList(steps: unknown[], listPath: string): Generator<{ step: JsonObject; stepPath: string }> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!isJsonObject(step)) continue;
    const stepPath = stepPathAt(listPath, i);
    yield { step, stepPath };
    for (const branch of CHILD_BRANCHES[String(step.type)] ?? []) {
      const children = step[branch];
      if (Array.isArray(children)) yield* walkStepList(children, branchListPath(stepPath, branch));
    }
  }
}

/**
 * Calls `visit` on every step of a definition, depth-first, without building step paths (the
 * cheap walk, for callers that need no paths). Stops early when `visit` returns true, and
 * returns true then. Total: skips malformed parts.
 */
export function someStep(definition: unknown, visit: (step: JsonObject) => boolean | undefined): boolean {
  return isJsonObject(definition) && Array.isArray(definition.steps) && someStepIn(definition.steps, visit);
}

function someStepIn(steps: unknown[], visit: (step: JsonObject) => boolean | undefined): boolean {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!isJsonObject(step)) continue;
    if (visit(step) === true) return true;
    const branches = CHILD_BRANCHES[String(step.type)];
    if (branches === undefined) continue;
    for (const branch of branches) {
      const children = step[branch];
      if (Array.isArray(children) && someStepIn(children, visit)) return true;
    }
  }
  return false;
}
