import { type ActionCallConfig, isExpr, isSecretRef } from "../../format/definition-schema.js";
import { getJsonProperty, isJsonObject, setJsonProperty } from "../../format/json-value.js";
import { cloneJson } from "../run-envelope.js";
import { createActionFailure } from "../runtime-error.js";
import type { NodeResult, StepContext } from "./step-context.js";

const REDACTED = "[REDACTED]";

/** Alga's 31-multiplier rolling hash, base 36 (`utils/idempotencyUtils.ts`). */
export function hashIdempotencyInput(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    h = (h << 5) - h + text.charCodeAt(i);
    h |= 0;
  }
  return Math.abs(h).toString(36);
}

/**
 * Alga's automatic idempotency key of an action call:
 * `<tenant>:<runId>:<stepPath>:<actionId>:<version>:<hash of the call and its input>`.
 */
export function computeIdempotencyKey(
  tenant: string,
  runId: string,
  stepPath: string,
  actionId: string,
  version: number,
  input: unknown,
): string {
  const hash = hashIdempotencyInput(JSON.stringify({ runId, stepPath, actionId, version, input }));
  return `${tenant}:${runId}:${stepPath}:${actionId}:${version}:${hash}`;
}

/**
 * `action.call`: resolves the input mapping (expressions, secrets, literals), computes the
 * idempotency key, and calls the action's handler, unless an invocation of the same key already
 * succeeded (its recorded output is used); the output is saved at `saveAs`.
 */
export async function executeActionCall(ctx: StepContext, config: ActionCallConfig): Promise<NodeResult> {
  const { actionId, version } = config;
  const secretPaths: (string | number)[][] = [];
  const input = await resolveMapping(ctx, config.inputMapping ?? {}, [], secretPaths);
  const tenant = ctx.tenant;
  let key: string | undefined;
  if (config.idempotencyKey) {
    const explicit = await ctx.evaluate(config.idempotencyKey);
    if (explicit !== null && explicit !== undefined) key = String(explicit);
  }
  key ??= computeIdempotencyKey(tenant, ctx.runId, ctx.stepPath, actionId, version, input);
  if (!key.startsWith(`${tenant}:`)) key = `${tenant}:${key}`;
  const handler = ctx.resolveAction(actionId, version);
  if (!handler)
    throw createActionFailure(
      "ValidationError",
      `Unknown action ${actionId}@${version}: no handler is registered (register one with createActionRegistry().register)`,
    );

  let output: unknown;
  const existing = await ctx.findInvocation(actionId, version, key);
  if (existing?.status === "SUCCEEDED") {
    output = existing.output_json;
  } else {
    if (existing?.status === "STARTED")
      throw createActionFailure("TransientError", `action invocation ${key} is already in progress`);
    const invocation = ctx.record.claimInvocation(existing, {
      runId: ctx.runId,
      stepPath: ctx.stepPath,
      actionId,
      version,
      idempotencyKey: key,
      input: redact(input, secretPaths),
    });
    try {
      const raw = await handler(cloneJson(input), {
        tenant,
        runId: ctx.runId,
        workflowId: ctx.workflowId,
        stepPath: ctx.stepPath,
        actionId,
        version,
        idempotencyKey: key,
        attempt: invocation.attempt,
      });
      output = toJsonOutput(raw);
    } catch (thrown) {
      ctx.record.failInvocation(invocation, thrown instanceof Error ? thrown.message : String(thrown));
      throw thrown;
    }
    ctx.record.completeInvocation(invocation, output);
  }
  const saveAs = config.saveAs?.trim() ?? "";
  if (saveAs !== "") ctx.assign(saveAs, cloneJson(output));
  return "completed";
}

/** Resolves a mapping value: Exprs evaluated, secrets looked up (their paths collected for redaction), literals kept. */
async function resolveMapping(
  ctx: StepContext,
  value: unknown,
  at: (string | number)[],
  secretPaths: (string | number)[][],
): Promise<unknown> {
  if (isExpr(value)) return ctx.evaluate(value);
  if (isSecretRef(value)) {
    const secret = ctx.secret(value.$secret);
    if (secret === undefined)
      throw createActionFailure(
        "ActionError",
        `Failed to resolve secret "${value.$secret}": no such secret was given to the runtime (pass secrets: {"${value.$secret}": ...} or --secret ${value.$secret}=...)`,
        { secret: value.$secret },
      );
    secretPaths.push(at);
    return secret;
  }
  if (Array.isArray(value)) {
    const result: unknown[] = [];
    for (let i = 0; i < value.length; i++) result.push(await resolveMapping(ctx, value[i], [...at, i], secretPaths));
    return result;
  }
  if (isJsonObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      setJsonProperty(result, k, await resolveMapping(ctx, v, [...at, k], secretPaths));
    return result;
  }
  return value;
}

function toJsonOutput(raw: unknown): unknown {
  if (raw === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch (error) {
    throw createActionFailure("ActionError", `Action output is not JSON-serializable: ${(error as Error).message}`);
  }
  if (text === undefined) throw createActionFailure("ActionError", "Action output is not JSON-serializable");
  return JSON.parse(text);
}

/** A copy of an action input with the values that came from secrets replaced, for recording. */
function redact(input: unknown, paths: readonly (string | number)[][]): unknown {
  let copy = cloneJson(input);
  for (const path of paths) copy = redactAt(copy, path, 0);
  return copy;
}

function redactAt(node: unknown, path: readonly (string | number)[], depth: number): unknown {
  if (depth === path.length) return REDACTED;
  const key = path[depth];
  // The paths were collected while resolving this input: they go through its own keys and indexes
  // only, so a key such as "__proto__" names the input's property, never its prototype.
  if (Array.isArray(node) && typeof key === "number") node[key] = redactAt(node[key], path, depth + 1);
  else if (isJsonObject(node) && typeof key === "string" && Object.hasOwn(node, key))
    setJsonProperty(node, key, redactAt(getJsonProperty(node, key), path, depth + 1));
  return node;
}
