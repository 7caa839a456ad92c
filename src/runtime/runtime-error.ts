/**
 * Failures inside a workflow run. They are data of the run (recorded in `error_json`, bound to
 * `captureErrorAs`, set as the run's `error`), not errors of this tool: a run that fails is a
 * result, not an exception.
 */

/** Alga's error categories, plus the ones its interpreter uses for child runs and cancellation. */
export type RuntimeErrorCategory =
  | "ValidationError"
  | "ExpressionError"
  | "TransientError"
  | "ActionError"
  | "TimeoutError"
  | "ChildWorkflowError"
  | "Cancellation";

/** The categories, for checks of values read back from JSON. */
export const RUNTIME_ERROR_CATEGORIES: readonly RuntimeErrorCategory[] = Object.freeze([
  "ValidationError",
  "ExpressionError",
  "TransientError",
  "ActionError",
  "TimeoutError",
  "ChildWorkflowError",
  "Cancellation",
]);

/**
 * A failure as Alga records it: `{category, message, nodePath, at, code?, details?}`. `nodePath` is
 * the step path where it happened, `at` an ISO timestamp.
 */
export interface RuntimeError {
  category: string;
  message: string;
  nodePath: string;
  at: string;
  code?: string;
  details?: unknown;
}

/** An `Error` that carries a category (and optionally a code and details) for the run to record. */
export interface CategorizedError extends Error {
  category: string;
  code?: string;
  details?: unknown;
}

/**
 * Builds an `Error` with a category: what an action handler throws to fail with a category other
 * than `ActionError`, e.g. a `TransientError` that a step's `retry.retryOn` retries.
 *
 * @example throw createActionFailure("TransientError", "rate limited", { retryAfterMs: 1000 })
 */
export function createActionFailure(
  category: RuntimeErrorCategory | (string & {}),
  message: string,
  details?: unknown,
  code?: string,
): CategorizedError {
  const error = new Error(message) as CategorizedError;
  error.name = "WorkflowActionFailure";
  error.category = category;
  if (code !== undefined) error.code = code;
  if (details !== undefined) error.details = details;
  return error;
}

function isCategorized(value: unknown): value is { category: string; message: string; code?: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { category?: unknown }).category === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/**
 * Turns anything thrown into a {@link RuntimeError} at `nodePath`. A value with a string
 * `category` keeps it (as in Alga); anything else becomes `fallbackCategory` (Alga's
 * `ActionError`), with the original message.
 */
export function toRuntimeError(
  thrown: unknown,
  nodePath: string,
  at: string,
  fallbackCategory: RuntimeErrorCategory = "ActionError",
): RuntimeError {
  if (isCategorized(thrown)) {
    const result: RuntimeError = { category: thrown.category, message: thrown.message, nodePath, at };
    const { code, details } = thrown as { code?: unknown; details?: unknown };
    if (typeof code === "string") result.code = code;
    if (details !== undefined) result.details = toJsonSafe(details);
    return result;
  }
  if (thrown instanceof Error) return { category: fallbackCategory, message: thrown.message, nodePath, at };
  return { category: fallbackCategory, message: String(thrown), nodePath, at };
}

function toJsonSafe(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return String(value);
  }
}
