/**
 * Alga's step paths (`root.steps[2].then.steps[0]`): the one place that builds and parses them,
 * for validation messages, the dependency walk and the runtime's rows alike. A path names the
 * definition's step list (`root`), then each step by its index in a list, and the branch (a nested
 * step list) each later step sits in. Pure.
 */

/** The branches (nested step lists) a step path can go through. */
export const STEP_BRANCHES = Object.freeze(["then", "else", "body", "try", "catch"] as const);

/** A branch a step path can go through. */
export type StepBranch = (typeof STEP_BRANCHES)[number];

/** One position of a step path: the first has no branch, each later one enters a branch of the previous step. */
export interface StepPathSegment {
  branch: StepBranch | null;
  index: number;
}

/** The path of the definition's own step list: its steps are `root.steps[i]`. */
export const ROOT_STEP_LIST = "root";

/** The path of the step at `index` in the step list at `listPath`: `stepPathAt("root", 2)` is `root.steps[2]`. */
export function stepPathAt(listPath: string, index: number): string {
  return `${listPath}.steps[${index}]`;
}

/** The path of a branch of the step at `stepPath`, as a step list: `root.steps[2].then`. */
export function branchListPath(stepPath: string, branch: StepBranch): string {
  return `${stepPath}.${branch}`;
}

function isStepBranch(value: unknown): value is StepBranch {
  return STEP_BRANCHES.some((b) => b === value);
}

/**
 * The step path of a JSON path inside a definition (a zod issue's path): the deepest step it goes
 * through; undefined outside the steps.
 *
 * @example toStepPath(["steps", 2, "then", 0, "config", "state"]) // "root.steps[2].then.steps[0]"
 */
export function toStepPath(path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== "steps" || typeof path[1] !== "number") return undefined;
  let stepPath = stepPathAt(ROOT_STEP_LIST, path[1]);
  for (let i = 2; i + 1 < path.length; i += 2) {
    const branch = path[i];
    const index = path[i + 1];
    if (typeof index !== "number" || !isStepBranch(branch)) break;
    stepPath = stepPathAt(branchListPath(stepPath, branch), index);
  }
  return stepPath;
}

const BRANCH = STEP_BRANCHES.join("|");
const FIRST = new RegExp(`^${ROOT_STEP_LIST}\\.steps\\[(\\d+)\\]`);
const SEGMENT = new RegExp(`\\.(${BRANCH})\\.steps\\[(\\d+)\\]`, "y");

/**
 * Parses a step path; `null` when it is not one.
 *
 * @example parseStepPath("root.steps[2].then.steps[0]") // [{branch: null, index: 2}, {branch: "then", index: 0}]
 */
export function parseStepPath(path: string): StepPathSegment[] | null {
  const first = FIRST.exec(path);
  if (!first) return null;
  const segments: StepPathSegment[] = [{ branch: null, index: Number(first[1]) }];
  SEGMENT.lastIndex = first[0].length;
  while (SEGMENT.lastIndex < path.length) {
    const m = SEGMENT.exec(path);
    const branch = m?.[1];
    if (!m || !isStepBranch(branch)) return null;
    segments.push({ branch, index: Number(m[2]) });
  }
  return segments;
}

/**
 * The JSON pointer segments of the step at a step path, inside its definition (a branch holds its
 * step list directly); empty when the path does not parse.
 *
 * @example toStepPointer("root.steps[2].then.steps[0]") // ["steps", "2", "then", "0"]
 */
export function toStepPointer(stepPath: string): string[] {
  return (parseStepPath(stepPath) ?? []).flatMap((s) => [s.branch ?? "steps", String(s.index)]);
}
