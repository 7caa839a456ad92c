import { getJsonProperty, isJsonObject, setJsonProperty } from "../format/json-value.js";

/**
 * Where a `control.forEach` keeps its position while its body runs: in the run's vars, so that a
 * run waiting inside the loop resumes at the same item from its last snapshot.
 */

/** The variable that holds the state of every running loop, by the forEach step's id. */
export const FOREACH_STATE_VAR = "__forEach";

/** A running loop: its items, the current index, and the value its item variable had before. */
export interface LoopState {
  items: unknown[];
  index: number;
  itemVar: string;
  previous?: unknown;
  hadPrevious: boolean;
}

function loopsOf(vars: Record<string, unknown>): Record<string, LoopState> | undefined {
  const loops = vars[FOREACH_STATE_VAR];
  // Only saveLoopState writes this variable (in this run, or in the snapshot the run resumes from).
  return isJsonObject(loops) ? (loops as Record<string, LoopState>) : undefined;
}

// Step ids are any strings: an id such as "__proto__" or "constructor" names an own key of the
// table, never its prototype or an inherited property.

/** The saved state of the loop of a forEach step, if it is running. */
export function readLoopState(vars: Record<string, unknown>, stepId: string): LoopState | undefined {
  const loops = loopsOf(vars);
  return loops && (getJsonProperty(loops, stepId) as LoopState | undefined);
}

/** Saves the state of the loop of a forEach step (at its current index). */
export function saveLoopState(vars: Record<string, unknown>, stepId: string, state: LoopState): void {
  const loops = loopsOf(vars) ?? {};
  setJsonProperty(loops, stepId, state);
  vars[FOREACH_STATE_VAR] = loops;
}

/** Ends a loop: its item variable gets its previous value back (or is removed), and its state is dropped. */
export function clearLoopState(vars: Record<string, unknown>, stepId: string, state: LoopState): void {
  if (state.hadPrevious) vars[state.itemVar] = state.previous;
  else delete vars[state.itemVar];
  const loops = loopsOf(vars);
  if (loops) {
    delete loops[stepId];
    if (Object.keys(loops).length === 0) delete vars[FOREACH_STATE_VAR];
  }
}
