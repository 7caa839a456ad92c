import type { Expr } from "../../format/definition-schema.js";
import type { StepContext } from "./step-context.js";

/**
 * Applies an `assign` map (`{path: Expr}`). `sequential`: one entry at a time, so later entries see
 * what earlier ones wrote; `batch` (`human.task`, as in Alga): every expression is evaluated before
 * anything is written.
 */
export async function applyAssignMap(
  ctx: StepContext,
  assign: Readonly<Record<string, Expr>> | undefined,
  mode: "sequential" | "batch",
): Promise<void> {
  const entries = Object.entries(assign ?? {});
  if (mode === "sequential") {
    for (const [target, expr] of entries) ctx.assign(target, await ctx.evaluate(expr));
    return;
  }
  const values: [string, unknown][] = [];
  for (const [target, expr] of entries) values.push([target, await ctx.evaluate(expr)]);
  for (const [target, value] of values) ctx.assign(target, value);
}
