import { isJsonObject, type JsonObject } from "./json-value.js";

/** The nested step lists of each control block (a table without a prototype: any type is safe to look up). */
export const CHILD_BRANCHES: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, readonly string[]>, {
    "control.if": ["then", "else"],
    "control.forEach": ["body"],
    "control.tryCatch": ["try", "catch"],
  }),
);

/** Alga's step path for a JSON path inside a definition: `root.steps[2].then.steps[0]`. */
export function toStepPath(path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== "steps" || typeof path[1] !== "number") return undefined;
  let stepPath = `root.steps[${path[1]}]`;
  let i = 2;
  while (i + 1 < path.length) {
    const branch = path[i];
    const index = path[i + 1];
    if (typeof index !== "number" || !["then", "else", "body", "try", "catch"].includes(String(branch))) break;
    stepPath += `.${String(branch)}.steps[${index}]`;
    i += 2;
  }
  return stepPath;
}

/** Walks every step of a definition depth-first, with its step path. Total: skips malformed parts. */
export function* walkSteps(definition: unknown): Generator<{ step: JsonObject; stepPath: string }> {
  if (!isJsonObject(definition) || !Array.isArray(definition.steps)) return;
  yield* walkStepList(definition.steps, "root");
}

function* walkStepList(steps: unknown[], prefix: string): Generator<{ step: JsonObject; stepPath: string }> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!isJsonObject(step)) continue;
    const stepPath = `${prefix}.steps[${i}]`;
    yield { step, stepPath };
    for (const branch of CHILD_BRANCHES[String(step.type)] ?? []) {
      const children = step[branch];
      if (Array.isArray(children)) yield* walkStepList(children, `${stepPath}.${branch}`);
    }
  }
}
