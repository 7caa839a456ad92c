/** Alga's step paths (`root.steps[2].then.steps[0]`), parsed into the positions they name. Pure. */

/** The branches a step path can go through. */
export type StepBranch = "then" | "else" | "body" | "try" | "catch";

/** One position of a step path: the first has no branch, each later one enters a branch of the previous step. */
export interface StepPathSegment {
  branch: StepBranch | null;
  index: number;
}

const SEGMENT = /\.(then|else|body|try|catch)\.steps\[(\d+)\]/y;

/**
 * Parses a step path; `null` when it is not one.
 *
 * @example parseStepPath("root.steps[2].then.steps[0]") // [{branch: null, index: 2}, {branch: "then", index: 0}]
 */
export function parseStepPath(path: string): StepPathSegment[] | null {
  const first = /^root\.steps\[(\d+)\]/.exec(path);
  if (!first) return null;
  const segments: StepPathSegment[] = [{ branch: null, index: Number(first[1]) }];
  SEGMENT.lastIndex = first[0].length;
  while (SEGMENT.lastIndex < path.length) {
    const m = SEGMENT.exec(path);
    if (!m) return null;
    segments.push({ branch: m[1] as StepBranch, index: Number(m[2]) });
  }
  return segments;
}
