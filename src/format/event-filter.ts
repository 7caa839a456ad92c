/** The rules of an `event.wait` filter, shared by the definition schema and its fast path. */

/** The operators of an `event.wait` filter condition. */
export const FILTER_OPERATORS = [
  "=",
  "!=",
  "in",
  "not_in",
  "exists",
  "not_exists",
  ">",
  ">=",
  "<",
  "<=",
  "contains",
  "starts_with",
  "ends_with",
] as const;

/** What is wrong with an `event.wait` filter's value for its operator, or `null`. */
export function checkFilterValue(op: string, value: unknown, present: boolean): string | null {
  if (op === "in" || op === "not_in") return Array.isArray(value) ? null : `${op} requires an array value`;
  if (op === "exists" || op === "not_exists") return present ? `${op} does not accept a value` : null;
  if (Array.isArray(value)) return `${op} does not accept an array value`;
  if (!present) return `${op} requires a value`;
  if ((op === "contains" || op === "starts_with" || op === "ends_with") && typeof value !== "string")
    return `${op} requires a string value`;
  return null;
}
