/**
 * `event.wait` filters: which delivered events a wait accepts. Pure; Alga's interpreter rules.
 */

/** One filter of an `event.wait` config. */
export interface EventWaitFilter {
  path: string;
  op: string;
  value?: unknown;
}

/** Reads a dot path (`$.a.b`, `.a.b` or `a.b`) from an event payload; undefined when absent. */
export function readEventField(payload: unknown, path: string): unknown {
  const trimmed = path.replace(/^\$?\./, "");
  let node: unknown = payload;
  for (const segment of trimmed.split(".")) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** True when one filter accepts the payload. */
export function matchesEventFilter(payload: unknown, filter: EventWaitFilter): boolean {
  const field = readEventField(payload, filter.path);
  const value = filter.value;
  switch (filter.op) {
    case "=":
      return field === value;
    case "!=":
      return field !== value;
    case "in":
      return Array.isArray(value) && value.includes(field);
    case "not_in":
      return Array.isArray(value) && !value.includes(field);
    case "exists":
      return field !== undefined;
    case "not_exists":
      return field === undefined;
    case ">":
    case ">=":
    case "<":
    case "<=": {
      if (typeof field !== "number" || typeof value !== "number") return false;
      if (filter.op === ">") return field > value;
      if (filter.op === ">=") return field >= value;
      if (filter.op === "<") return field < value;
      return field <= value;
    }
    case "contains":
      return typeof field === "string" && typeof value === "string" && field.includes(value);
    case "starts_with":
      return typeof field === "string" && typeof value === "string" && field.startsWith(value);
    case "ends_with":
      return typeof field === "string" && typeof value === "string" && field.endsWith(value);
    default:
      return false;
  }
}

/** True when every filter accepts the payload (no filters: always). */
export function matchesEventFilters(payload: unknown, filters: readonly EventWaitFilter[] | undefined): boolean {
  return (filters ?? []).every((f) => matchesEventFilter(payload, f));
}
