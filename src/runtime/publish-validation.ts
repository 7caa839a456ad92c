import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import type { DefinitionProblem } from "../errors.js";
import { isExpr, validateWorkflowDefinition, walkSteps } from "../format/definition-schema.js";
import { isJsonObject, type JsonObject, toJsonPointer } from "../format/json-value.js";
import { toStepPointer } from "../format/step-paths.js";
import { FORBIDDEN_PATH_SEGMENTS, isScopedAssignmentPath, parseAssignmentPath } from "./assignment-paths.js";
import { validateExpressionSource } from "./expression-engine.js";
import { UNSUPPORTED_NODE_TYPES } from "./nodes/unsupported-node-types.js";

/**
 * What publishing checks, as Alga's publish does: structure, unique step ids, known node types
 * and actions, valid expressions, the payload schema ref, trigger rules, and (this project's
 * addition) that every `control.callWorkflow` target exists. Pure: what the database knows is
 * passed in.
 */

/** Options of {@link validateWorkflowForPublish}. */
export interface PublishValidationOptions {
  /** The runtime catalog node types, actions and schema refs are checked against. */
  catalog: RuntimeCatalog;
  /** Published versions of the workflows of the tenant the definition calls, by lower-case id. */
  calledWorkflowVersions: ReadonlyMap<string, readonly number[]>;
  /** The workflow being published and the version it will get: a workflow may call itself at that version. */
  self?: { workflowId: string; version: number };
  /** "Now", for schedule triggers (their `runAt` must be in the future). */
  now: Date;
}

/** Errors block publishing; warnings are recorded and do not. */
export interface PublishValidationResult {
  errors: DefinitionProblem[];
  warnings: DefinitionProblem[];
}

/** Alga's secret name rule. */
const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Validates a draft definition for publishing and returns every error and warning, each with
 * Alga's code, its step path (`root` or `root.trigger...` for definition-level problems) and a
 * JSON pointer into the definition.
 */
export function validateWorkflowForPublish(
  definition: unknown,
  options: PublishValidationOptions,
): PublishValidationResult {
  const errors: DefinitionProblem[] = [];
  const warnings: DefinitionProblem[] = [];
  const add = (
    list: DefinitionProblem[],
    code: string,
    stepPath: string,
    pointer: readonly (string | number)[],
    message: string,
  ) => list.push({ code, stepPath, path: toJsonPointer(pointer), message });

  const schema = validateWorkflowDefinition(definition);
  if (!schema.ok)
    for (const p of schema.problems) {
      const isConfig = p.stepPath !== undefined && /\/config(\/|$)/.test(p.path);
      errors.push({
        code: isConfig ? "INVALID_CONFIG" : "INVALID_WORKFLOW_DEFINITION",
        stepPath: p.stepPath ?? (p.path.startsWith("/trigger") ? "root.trigger" : "root"),
        path: p.path,
        message: p.message,
      });
    }
  if (!isJsonObject(definition)) return { errors, warnings };

  const checkExpr = (
    value: unknown,
    stepPath: string,
    pointer: readonly (string | number)[],
    codes: { empty: string; invalid: string },
  ) => {
    if (!isExpr(value)) return;
    const problem = validateExpressionSource(value.$expr);
    if (problem)
      add(errors, problem.kind === "empty" ? codes.empty : codes.invalid, stepPath, pointer, problem.message);
  };
  const stepExpr = { empty: "INVALID_EXPR", invalid: "INVALID_EXPR" };
  const mappingExpr = { empty: "EMPTY_EXPRESSION", invalid: "INVALID_EXPRESSION" };

  /** Every Expr inside a value (not inside nested step lists), checked as step expressions. */
  const checkExprsIn = (value: unknown, stepPath: string, pointer: (string | number)[], skip: ReadonlySet<string>) => {
    if (isExpr(value)) return checkExpr(value, stepPath, pointer, stepExpr);
    if (Array.isArray(value)) for (const [i, v] of value.entries()) checkExprsIn(v, stepPath, [...pointer, i], skip);
    else if (isJsonObject(value))
      for (const [k, v] of Object.entries(value)) if (!skip.has(k)) checkExprsIn(v, stepPath, [...pointer, k], skip);
  };

  /** An input mapping: Exprs, secrets (checked names), literals; `$` keys other than the two are warned about. */
  const checkMapping = (value: unknown, stepPath: string, pointer: (string | number)[]) => {
    if (isExpr(value)) return checkExpr(value, stepPath, pointer, mappingExpr);
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) checkMapping(v, stepPath, [...pointer, i]);
      return;
    }
    if (!isJsonObject(value)) return;
    if (typeof value.$secret === "string") {
      if (!SECRET_NAME.test(value.$secret) || value.$secret.length > 255)
        add(
          errors,
          "INVALID_SECRET_NAME",
          stepPath,
          pointer,
          `Secret name "${value.$secret}" is invalid: use 1-255 characters, upper-case letters, digits and _, starting with a letter`,
        );
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("$"))
        add(
          warnings,
          "UNKNOWN_SPECIAL_KEY",
          stepPath,
          [...pointer, k],
          `Unknown special key "${k}" (only $expr and $secret have a meaning)`,
        );
      checkMapping(v, stepPath, [...pointer, k]);
    }
  };

  const checkAssignKeys = (assign: unknown, stepPath: string, pointer: (string | number)[]) => {
    if (!isJsonObject(assign)) return;
    for (const key of Object.keys(assign)) {
      const parsed = parseAssignmentPath(key);
      if (!parsed.ok) add(errors, "INVALID_ASSIGN_PATH", stepPath, [...pointer, key], parsed.message);
      else if (!isScopedAssignmentPath(key))
        add(
          errors,
          "INVALID_ASSIGN_PATH",
          stepPath,
          [...pointer, key],
          `Assignment path must be scoped (payload/vars/meta/error or JSON pointer): ${key}`,
        );
    }
  };

  const checkName = (name: unknown, what: string, stepPath: string, pointer: (string | number)[]) => {
    if (typeof name !== "string") return;
    const parsed = parseAssignmentPath(name);
    if (!parsed.ok || FORBIDDEN_PATH_SEGMENTS.has(name))
      add(
        errors,
        "INVALID_ASSIGN_PATH",
        stepPath,
        pointer,
        `${what} "${name}" is not usable: ${parsed.ok ? "forbidden name" : parsed.message}`,
      );
  };

  const seenIds = new Set<string>();
  for (const { step, stepPath } of walkSteps(definition)) {
    const pointer = toStepPointer(stepPath);
    const type = step.type;
    if (typeof step.id === "string") {
      if (seenIds.has(step.id))
        add(errors, "DUPLICATE_STEP_ID", stepPath, [...pointer, "id"], `Duplicate step id ${step.id}`);
      seenIds.add(step.id);
    }
    if (typeof type !== "string") continue;
    if (type === "control.if") checkExpr(step.condition, stepPath, [...pointer, "condition"], stepExpr);
    else if (type === "control.forEach") {
      checkExpr(step.items, stepPath, [...pointer, "items"], stepExpr);
      checkName(step.itemVar, "itemVar", stepPath, [...pointer, "itemVar"]);
    } else if (type === "control.tryCatch")
      checkName(step.captureErrorAs, "captureErrorAs", stepPath, [...pointer, "captureErrorAs"]);
    else if (type === "control.callWorkflow") checkCallWorkflow(step, stepPath, pointer);
    else if (!type.startsWith("control.")) checkNodeStep(step, type, stepPath, pointer);
  }

  function checkCallWorkflow(step: JsonObject, stepPath: string, pointer: string[]) {
    for (const field of ["inputMapping", "outputMapping"] as const) {
      const mapping = step[field];
      if (isJsonObject(mapping))
        for (const [k, v] of Object.entries(mapping)) checkExpr(v, stepPath, [...pointer, field, k], stepExpr);
    }
    if (isJsonObject(step.outputMapping))
      for (const key of Object.keys(step.outputMapping)) {
        const parsed = parseAssignmentPath(key);
        if (!parsed.ok)
          add(errors, "INVALID_ASSIGN_PATH", stepPath, [...pointer, "outputMapping", key], parsed.message);
      }
    const target = step.workflowId;
    const version = step.workflowVersion;
    if (typeof target !== "string" || typeof version !== "number") return;
    const id = target.toLowerCase();
    if (options.self && id === options.self.workflowId.toLowerCase() && version === options.self.version) return;
    const versions = options.calledWorkflowVersions.get(id);
    if (versions === undefined)
      add(
        errors,
        "CALL_WORKFLOW_TARGET_NOT_FOUND",
        stepPath,
        [...pointer, "workflowId"],
        `control.callWorkflow calls workflow ${target}, which does not exist in this tenant: import it (the bundle import rewrites references to workflows it contains) and publish it first`,
      );
    else if (!versions.includes(version))
      add(
        errors,
        "CALL_WORKFLOW_TARGET_NOT_FOUND",
        stepPath,
        [...pointer, "workflowVersion"],
        `control.callWorkflow calls version ${version} of workflow ${target}, which has ${versions.length === 0 ? "no published version" : `published versions ${versions.join(", ")} only`}: publish it first or call an existing version`,
      );
  }

  function checkNodeStep(step: JsonObject, type: string, stepPath: string, pointer: string[]) {
    if (!options.catalog.nodeTypes.has(type)) {
      add(errors, "UNKNOWN_NODE_TYPE", stepPath, [...pointer, "type"], `Unknown node type: ${type}`);
      return;
    }
    if (UNSUPPORTED_NODE_TYPES.has(type))
      add(
        warnings,
        "NODE_TYPE_NOT_EXECUTED",
        stepPath,
        [...pointer, "type"],
        `The reference runtime cannot execute ${type}; a run that reaches this step fails (Alga executes it)`,
      );
    const config = step.config;
    if (!isJsonObject(config)) return;
    const configPointer = [...pointer, "config"];
    checkExprsIn(config, stepPath, configPointer, new Set(type === "action.call" ? ["inputMapping"] : []));
    if (type === "transform.assign" || type === "time.wait" || type === "event.wait" || type === "human.task")
      checkAssignKeys(config.assign, stepPath, [...configPointer, "assign"]);
    if (type !== "action.call") return;
    const { actionId, version } = config;
    if (typeof actionId !== "string" || typeof version !== "number") return;
    const ref = `${actionId}@${version}`;
    if (!options.catalog.actions.has(ref)) {
      const others = [...options.catalog.actions].filter((a) => a.startsWith(`${actionId}@`));
      add(
        errors,
        "UNKNOWN_ACTION",
        stepPath,
        [...configPointer, "actionId"],
        `Unknown action ${ref}${others.length > 0 ? ` (registered: ${others.join(", ")})` : ""}`,
      );
    }
    if (isJsonObject(config.inputMapping))
      for (const [k, v] of Object.entries(config.inputMapping))
        checkMapping(v, stepPath, [...configPointer, "inputMapping", k]);
    if (typeof config.saveAs === "string" && config.saveAs.trim() !== "") {
      const parsed = parseAssignmentPath(config.saveAs);
      if (!parsed.ok) add(errors, "INVALID_ASSIGN_PATH", stepPath, [...configPointer, "saveAs"], parsed.message);
    }
  }

  const ref = definition.payloadSchemaRef;
  if (typeof ref === "string" && ref.trim() === "")
    add(
      errors,
      "PAYLOAD_SCHEMA_REF_MISSING",
      "root.payloadSchemaRef",
      ["payloadSchemaRef"],
      "The payload schema ref is empty",
    );
  else if (typeof ref === "string" && !options.catalog.schemaRefs.has(ref))
    add(
      errors,
      "PAYLOAD_SCHEMA_REF_UNKNOWN",
      "root.payloadSchemaRef",
      ["payloadSchemaRef"],
      `Unknown payload schema ref ${ref}: the runtime catalog does not register it`,
    );

  if (isJsonObject(definition.trigger)) checkTrigger(definition.trigger, typeof ref === "string" ? ref : null);

  function checkTrigger(trigger: JsonObject, payloadRef: string | null) {
    if (trigger.type === "event") {
      const source = trigger.sourcePayloadSchemaRef;
      if (typeof source === "string" && !options.catalog.schemaRefs.has(source))
        add(
          errors,
          "UNKNOWN_TRIGGER_SOURCE_SCHEMA_REF",
          "root.trigger",
          ["trigger", "sourcePayloadSchemaRef"],
          `Unknown trigger source schema ref ${source}`,
        );
      const mapping = trigger.payloadMapping;
      if (typeof source === "string" && source !== payloadRef && !isJsonObject(mapping))
        add(
          errors,
          "TRIGGER_MAPPING_REQUIRED",
          "root.trigger.payloadMapping",
          ["trigger", "payloadMapping"],
          `The event's payload (${source}) differs from the workflow's (${payloadRef}): map it with trigger.payloadMapping`,
        );
      if (isJsonObject(mapping))
        for (const [k, v] of Object.entries(mapping)) {
          checkMapping(v, "root.trigger.payloadMapping", ["trigger", "payloadMapping", k]);
          if (isExpr(v) && /(^|[^.\w$])payload\./.test(v.$expr))
            add(
              errors,
              "TRIGGER_MAPPING_INVALID_ROOT",
              "root.trigger.payloadMapping",
              ["trigger", "payloadMapping", k],
              "A trigger mapping reads the event: use event.payload.<field>, not payload.<field>",
            );
        }
    } else if (trigger.type === "schedule") {
      const runAt = trigger.runAt;
      if (typeof runAt !== "string" || runAt.trim() === "")
        add(
          errors,
          "TIME_TRIGGER_RUN_AT_REQUIRED",
          "root.trigger.runAt",
          ["trigger", "runAt"],
          "A schedule trigger needs runAt",
        );
      else {
        const at = Date.parse(runAt);
        if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(runAt))
          add(
            errors,
            "TIME_TRIGGER_INVALID_RUN_AT",
            "root.trigger.runAt",
            ["trigger", "runAt"],
            `runAt ${runAt} is not an ISO 8601 timestamp`,
          );
        else if (at <= options.now.getTime())
          add(
            errors,
            "TIME_TRIGGER_INVALID_RUN_AT",
            "root.trigger.runAt",
            ["trigger", "runAt"],
            `runAt ${runAt} is not in the future`,
          );
      }
    } else if (trigger.type === "recurring") {
      if (typeof trigger.cron === "string") {
        const problem = checkCron(trigger.cron);
        if (problem) add(errors, "TIME_TRIGGER_INVALID_CRON", "root.trigger.cron", ["trigger", "cron"], problem);
      }
      if (typeof trigger.timezone === "string" && !isTimeZone(trigger.timezone))
        add(
          errors,
          "TIME_TRIGGER_INVALID_TIMEZONE",
          "root.trigger.timezone",
          ["trigger", "timezone"],
          `${trigger.timezone} is not an IANA time zone`,
        );
    }
  }

  return { errors, warnings };
}

/** Alga's cron rules for recurring triggers; a message, or null when the expression is accepted. */
export function checkCron(cron: string): string | null {
  if (cron.length > 128) return "The cron expression is longer than 128 characters";
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return "The cron expression must have exactly 5 fields (minute hour day-of-month month day-of-week)";
  if (!fields.every((f) => /^[0-9*/,-]+$/.test(f))) return "Cron fields may only contain digits, *, /, , and -";
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (dayOfMonth !== "*" && dayOfWeek !== "*") return "Set day-of-month or day-of-week, not both";
  if (
    ["*", "*/1", "*/2", "*/3", "*/4"].includes(minute) &&
    hour === "*" &&
    dayOfMonth === "*" &&
    month === "*" &&
    dayOfWeek === "*"
  )
    return "Recurring triggers cannot run more often than every 5 minutes";
  return null;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
