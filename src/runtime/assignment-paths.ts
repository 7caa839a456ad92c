/**
 * Where `transform.assign`, `saveAs`, wait `assign` and `outputMapping` write: Alga's assignment
 * paths. Pure.
 */

/** The parts of the run state a path can write. */
export type AssignmentScope = "payload" | "vars" | "meta" | "error";

/** A parsed assignment path: the scope and the property names under it. */
export interface AssignmentTarget {
  scope: AssignmentScope;
  segments: string[];
}

/** Segments that would reach an object's prototype; Alga forbids them. */
export const FORBIDDEN_PATH_SEGMENTS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);

const SCOPES: readonly AssignmentScope[] = ["payload", "vars", "meta", "error"];

/** True when a path names its scope (`payload.`, `vars.`, `meta.`, `error.`) or is a JSON pointer. */
export function isScopedAssignmentPath(path: string): boolean {
  const p = path.trim();
  return p.startsWith("/") || SCOPES.some((s) => p.startsWith(`${s}.`));
}

/**
 * Parses an assignment path. `payload.a.b`, `vars.x`, `meta.x`, `error.x`; `/a/b` is a JSON pointer
 * into the payload (`~1` is `/`, `~0` is `~`); anything else is a name under `vars` (`x` →
 * `vars.x`), as Alga does for `saveAs`. Returns a message when the path is empty or has an empty
 * or forbidden segment.
 *
 * @example parseAssignmentPath("lookup") // { ok: true, target: { scope: "vars", segments: ["lookup"] } }
 */
export function parseAssignmentPath(
  path: string,
): { ok: true; target: AssignmentTarget } | { ok: false; message: string } {
  const p = path.trim();
  if (p === "") return { ok: false, message: "Assignment path is empty" };
  let target: AssignmentTarget;
  if (p.startsWith("/")) {
    target = {
      scope: "payload",
      segments: p
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~")),
    };
  } else {
    const scope = SCOPES.find((s) => p.startsWith(`${s}.`));
    target = scope
      ? { scope, segments: p.slice(scope.length + 1).split(".") }
      : { scope: "vars", segments: p.split(".") };
  }
  for (const segment of target.segments) {
    if (segment === "") return { ok: false, message: `Assignment path has an empty segment: ${path}` };
    // Alga splits on both separators for this check, so "/a.__proto__" is refused as well.
    for (const part of segment.split(/[./]/))
      if (FORBIDDEN_PATH_SEGMENTS.has(part))
        return { ok: false, message: `Assignment path contains forbidden segment: ${part}` };
  }
  return { ok: true, target };
}

/** The mutable state assignments write into. */
export interface AssignableState {
  payload: unknown;
  vars: Record<string, unknown>;
  meta: Record<string, unknown>;
  error: Record<string, unknown> | undefined;
}

function isContainer(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Writes `value` at a parsed target, in place. Missing or non-object intermediates become `{}`;
 * arrays are objects here, so `vars.list.0` writes an index. Writing under `error.` when the run has
 * no error creates `{message: "", at}` first, as Alga does.
 */
export function applyAssignment(state: AssignableState, target: AssignmentTarget, value: unknown, at: string): void {
  let root: Record<string, unknown>;
  if (target.scope === "payload") {
    if (!isContainer(state.payload)) state.payload = {};
    root = state.payload as Record<string, unknown>;
  } else if (target.scope === "error") {
    state.error ??= { message: "", at };
    root = state.error;
  } else {
    root = state[target.scope];
  }
  let node = root;
  const last = target.segments.length - 1;
  for (let i = 0; i < last; i++) {
    const key = target.segments[i] as string;
    const next = node[key];
    if (!isContainer(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[target.segments[last] as string] = value;
}
