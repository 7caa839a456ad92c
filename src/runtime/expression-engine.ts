import jsonata from "jsonata";
import { ALGA_EXPRESSION_FUNCTIONS } from "../catalog/alga-registrations.js";
import { createActionFailure } from "./runtime-error.js";

/**
 * Workflow expressions: JSONata with exactly five functions (`nowIso`, `coalesce`, `len`,
 * `toString`, `append`), callable with or without `$`, and Alga's result rules. The JSONata
 * library parses and evaluates; this module only adds Alga's source rewriting, the function
 * allow-list and the checks on results.
 */

/** The functions an expression may call (Alga's five). */
export const ALLOWED_EXPRESSION_FUNCTIONS: ReadonlySet<string> = new Set(ALGA_EXPRESSION_FUNCTIONS);

/** The largest result, as `JSON.stringify` length (UTF-16 code units, as Alga measures it): 256 KiB. */
export const MAX_EXPRESSION_RESULT_CHARS = 256 * 1024;

/** What an expression is evaluated against. */
export interface ExpressionContext {
  payload: unknown;
  vars: unknown;
  meta: unknown;
  error: unknown;
}

/** Options of {@link evaluateExpression}. */
export interface EvaluateExpressionOptions {
  /** The clock behind `nowIso()`. Default: the system clock. */
  now?: () => Date;
}

/** Why a source cannot be used, for publish validation. */
export type ExpressionSourceProblem = { kind: "empty" | "disallowed-function" | "syntax"; message: string };

const CALL_SITE = /(^|[^.$A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)(?=\s*\()/g;
const CALLED_NAME = /([A-Za-z_$][A-Za-z0-9_]*)\s*\(/g;

/**
 * Alga's source rewriting: a call of an allowed function without `$` gets one (`coalesce(x, 'y')`
 * → `$coalesce(x, 'y')`), and every `==` becomes JSONata's `=`. Like Alga, both rewrites are plain
 * text substitutions, so they also apply inside string literals.
 *
 * @example normalizeExpressionSource("coalesce(vars.a, 'x') == 'x'") // "$coalesce(vars.a, 'x') = 'x'"
 */
export function normalizeExpressionSource(source: string): string {
  return source
    .replace(CALL_SITE, (match, before: string, name: string) =>
      ALLOWED_EXPRESSION_FUNCTIONS.has(name) ? `${before}$${name}` : match,
    )
    .replace(/==/g, "=");
}

/**
 * Checks a source as Alga's publish does, after {@link normalizeExpressionSource}: not empty, every
 * `name(` calls one of the allowed functions (Alga's textual check: a word followed by `(` inside a
 * string literal counts too), and JSONata parses it. It also rejects what that textual check
 * misses but JSONata would run: lambdas, calls of computed functions and `~> $builtin`. Returns
 * `null` when the source is usable.
 */
export function validateExpressionSource(source: string): ExpressionSourceProblem | null {
  if (source.trim() === "")
    return { kind: "empty", message: "Expression is empty. Pick a source field or enter an expression." };
  const normalized = normalizeExpressionSource(source);
  for (const match of normalized.matchAll(CALLED_NAME)) {
    const name = (match[1] as string).replace(/^\$/, "");
    if (!ALLOWED_EXPRESSION_FUNCTIONS.has(name)) return disallowed(name);
  }
  let ast: unknown;
  try {
    ast = jsonata(normalized).ast();
  } catch (error) {
    return { kind: "syntax", message: `Invalid expression: ${describeJsonataError(error)}` };
  }
  const hidden = findHiddenCall(ast);
  return hidden === null ? null : disallowed(hidden);
}

function disallowed(name: string): ExpressionSourceProblem {
  return {
    kind: "disallowed-function",
    message: `Expression uses disallowed function: ${name} (allowed: ${[...ALLOWED_EXPRESSION_FUNCTIONS].join(", ")})`,
  };
}

/** The name of a call the allow-list does not cover (a lambda, a computed function, `~> $f`), or null. */
function findHiddenCall(node: unknown): string | null {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findHiddenCall(item);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof node !== "object" || node === null) return null;
  const n = node as { type?: unknown; value?: unknown; procedure?: { type?: unknown; value?: unknown }; rhs?: unknown };
  if (n.type === "lambda") return "function";
  if (n.type === "function" || n.type === "partial") {
    const procedure = n.procedure;
    if (procedure?.type !== "variable" || !ALLOWED_EXPRESSION_FUNCTIONS.has(String(procedure.value)))
      return procedure?.type === "variable" ? String(procedure.value) : "(computed function)";
  }
  if (n.type === "apply") {
    const rhs = n.rhs as { type?: unknown; value?: unknown } | undefined;
    if (rhs?.type === "variable" && !ALLOWED_EXPRESSION_FUNCTIONS.has(String(rhs.value))) return String(rhs.value);
  }
  for (const value of Object.values(n)) {
    const found = findHiddenCall(value);
    if (found !== null) return found;
  }
  return null;
}

function describeJsonataError(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const e = error as { message?: unknown; position?: unknown; code?: unknown };
    const position = typeof e.position === "number" ? ` at position ${e.position}` : "";
    const code = typeof e.code === "string" ? ` (${e.code})` : "";
    return `${String(e.message ?? error)}${position}${code}`;
  }
  return String(error);
}

type Compiled = ReturnType<typeof jsonata>;

const CACHE_LIMIT = 2000;
const cache = new Map<string, Compiled>();

/**
 * Compiles a source (validated, normalized, cached). Throws an `ExpressionError` failure when the
 * source is not usable.
 */
function compileExpression(source: string): Compiled {
  const cached = cache.get(source);
  if (cached) return cached;
  const problem = validateExpressionSource(source);
  if (problem) throw createActionFailure("ExpressionError", problem.message, { expression: source });
  const compiled = jsonata(normalizeExpressionSource(source));
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** Alga's five functions. */
function createFunctionBindings(now: () => Date): Record<string, (...args: unknown[]) => unknown> {
  return {
    nowIso: () => now().toISOString(),
    coalesce: (...values: unknown[]) => values.find((v) => v !== null && v !== undefined) ?? null,
    len: (value: unknown) => (typeof value === "string" || Array.isArray(value) ? value.length : 0),
    toString: (value: unknown) => (value === null || value === undefined ? "" : String(value)),
    append: (list: unknown, value: unknown) => {
      const base = Array.isArray(list) ? [...list] : list === null || list === undefined ? [] : [list];
      if (Array.isArray(value)) base.push(...value);
      else base.push(value);
      return base;
    },
  };
}

/** False when a value (at any depth) is undefined, a function, a symbol or a bigint. */
function isJsonSerializable(value: unknown): boolean {
  if (value === undefined || typeof value === "function" || typeof value === "symbol" || typeof value === "bigint")
    return false;
  if (value === null || typeof value !== "object" || value instanceof Date) return true;
  if (Array.isArray(value)) return value.every(isJsonSerializable);
  return Object.values(value).every(isJsonSerializable);
}

/**
 * Evaluates JSONata source against `{payload, vars, meta, error}` with Alga's rules: a result that
 * is undefined (a missing path) or not JSON-serializable is an `ExpressionError`, and so is one
 * whose JSON is longer than {@link MAX_EXPRESSION_RESULT_CHARS}. The result is returned as plain
 * JSON (JSONata's sequence markers and `Date`s are converted as `JSON.stringify` does).
 *
 * @example await evaluateExpression("coalesce(payload.a, 'x')", { payload: {}, vars: {}, meta: {}, error: undefined }) // "x"
 */
export async function evaluateExpression(
  source: string,
  context: ExpressionContext,
  options: EvaluateExpressionOptions = {},
): Promise<unknown> {
  const compiled = compileExpression(source);
  let result: unknown;
  try {
    result = await compiled.evaluate(context, createFunctionBindings(options.now ?? (() => new Date())));
  } catch (error) {
    throw createActionFailure("ExpressionError", `Expression evaluation failed: ${describeJsonataError(error)}`, {
      expression: source,
    });
  }
  if (!isJsonSerializable(result))
    throw createActionFailure("ExpressionError", "Expression result is not JSON-serializable", {
      expression: source,
      reason: result === undefined ? "the result is undefined (a missing path?)" : "the result is not JSON data",
    });
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch {
    text = undefined;
  }
  if (text === undefined)
    throw createActionFailure("ExpressionError", "Expression result is not JSON-serializable", { expression: source });
  if (text.length > MAX_EXPRESSION_RESULT_CHARS)
    throw createActionFailure("ExpressionError", "Expression result exceeded max output size", {
      expression: source,
      size: text.length,
      max: MAX_EXPRESSION_RESULT_CHARS,
    });
  return JSON.parse(text);
}
