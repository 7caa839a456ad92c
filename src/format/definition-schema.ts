import { z } from "zod";
import type { DefinitionProblem } from "../errors.js";
import { isScreenedDefinition } from "./bundle-screen.js";
import { checkFilterValue, FILTER_OPERATORS } from "./event-filter.js";
import { isJsonObject, toJsonPointer } from "./json-value.js";
import { toStepPath } from "./step-paths.js";
import { CHILD_BRANCHES, walkSteps } from "./step-walk.js";

// Re-exported for callers that read definitions and walk them, or check event filters.
export { CHILD_BRANCHES, checkFilterValue, toStepPath, walkSteps };

/**
 * An expression: JSONata source evaluated against `{payload, vars, meta, error}`. As in Alga, the
 * `$expr` key must be present; an empty source is allowed here (a draft in progress) and rejected
 * at publish.
 */
export const ExprSchema = z.looseObject({ $expr: z.string() });
export type Expr = { $expr: string };

/** A reference to a tenant secret, resolved at run time. */
export const SecretRefSchema = z.strictObject({ $secret: z.string().min(1) });
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** True for an expression object (`{"$expr": "..."}`). */
export function isExpr(value: unknown): value is Expr {
  return isJsonObject(value) && typeof value.$expr === "string";
}

/** True for `{"$secret": "NAME"}`. */
export function isSecretRef(value: unknown): value is SecretRef {
  return isJsonObject(value) && typeof value.$secret === "string" && Object.keys(value).length === 1;
}

/**
 * A mapping value: an Expr, a secret reference, or a literal. Literals may nest Exprs and secrets
 * at any depth; an object that has a `$expr` or `$secret` key must be exactly that reference.
 */
export const MappingValueSchema: z.ZodType<unknown> = z.unknown().superRefine((value, ctx) => {
  const visit = (v: unknown, path: (string | number)[]): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) visit(v[i], [...path, i]);
      return;
    }
    if (!isJsonObject(v)) return;
    if ("$expr" in v) {
      if (!isExpr(v))
        ctx.addIssue({ code: "custom", path, message: 'an expression must be {"$expr": "<JSONata source>"}' });
      return;
    }
    if ("$secret" in v) {
      if (!isSecretRef(v))
        ctx.addIssue({ code: "custom", path, message: 'a secret reference must be exactly {"$secret": "<NAME>"}' });
      return;
    }
    for (const [k, item] of Object.entries(v)) visit(item, [...path, k]);
  };
  visit(value, []);
});

/** `{name: MappingValue}`: how inputs are built from the run's data. */
export const InputMappingSchema = z.record(z.string(), MappingValueSchema);

/** Retry policy of a step. */
export const RetryPolicySchema = z.strictObject({
  maxAttempts: z.int().positive(),
  backoffMs: z.int().nonnegative(),
  backoffMultiplier: z.number().positive().optional(),
  jitter: z.boolean().optional(),
  maxDelayMs: z.int().positive().optional(),
  retryOn: z.array(z.string()).optional(),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/** What happens when a step fails after its retries. */
export const OnErrorSchema = z.strictObject({ policy: z.enum(["fail", "continue"]) });
export type OnError = z.infer<typeof OnErrorSchema>;

/** Workflow triggers. */
export const EventTriggerSchema = z.strictObject({
  type: z.literal("event"),
  eventName: z.string().min(1),
  sourcePayloadSchemaRef: z.string().min(1).optional(),
  payloadMapping: InputMappingSchema.optional(),
});
export const ScheduleTriggerSchema = z.strictObject({ type: z.literal("schedule"), runAt: z.string().min(1) });
export const RecurringTriggerSchema = z.strictObject({
  type: z.literal("recurring"),
  cron: z.string().min(1),
  timezone: z.string().min(1),
});
export const DateTriggerSchema = z.strictObject({
  type: z.literal("date"),
  source: z.enum(["client.anniversary", "contract.renewal_decision", "contract.end", "asset.warranty_end"]),
  offsetDays: z.int().min(-365).max(365),
  localTime: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
    .optional(),
  timezone: z.string().min(1).optional(),
});
export const TriggerSchema = z.discriminatedUnion("type", [
  EventTriggerSchema,
  ScheduleTriggerSchema,
  RecurringTriggerSchema,
  DateTriggerSchema,
]);
export type Trigger = z.infer<typeof TriggerSchema>;

/** A step as the types see it; each kind is validated by its own schema below. */
export interface Step {
  id: string;
  type: string;
  name?: string;
  [field: string]: unknown;
}

const stepId = z.string().min(1);
const exprMap = z.record(z.string(), ExprSchema);

/** Recursive step list; each element is dispatched on its `type`. */
export const StepListSchema: z.ZodType<Step[]> = z.lazy(() => z.array(StepSchema));

// Every step schema is strict, as in Alga: an unknown key is an error, not silently dropped.
export const IfStepSchema = z.strictObject({
  id: stepId,
  type: z.literal("control.if"),
  condition: ExprSchema,
  // biome-ignore lint/suspicious/noThenProperty: "then" is the branch name in Alga's format.
  then: StepListSchema,
  else: StepListSchema.optional(),
});
export const ForEachStepSchema = z.strictObject({
  id: stepId,
  type: z.literal("control.forEach"),
  items: ExprSchema,
  itemVar: z.string().min(1),
  body: StepListSchema,
  concurrency: z.int().positive().max(1, { error: "control.forEach concurrency > 1 is not supported" }).optional(),
  onItemError: z.enum(["continue", "fail"]).optional(),
});
export const TryCatchStepSchema = z.strictObject({
  id: stepId,
  type: z.literal("control.tryCatch"),
  try: StepListSchema,
  catch: StepListSchema,
  captureErrorAs: z.string().min(1).optional(),
});
export const CallWorkflowStepSchema = z.strictObject({
  id: stepId,
  type: z.literal("control.callWorkflow"),
  workflowId: z.string().min(1),
  workflowVersion: z.int().positive(),
  inputMapping: exprMap.optional(),
  outputMapping: exprMap.optional(),
  retry: RetryPolicySchema.optional(),
  onError: OnErrorSchema.optional(),
});
export const ReturnStepSchema = z.strictObject({ id: stepId, type: z.literal("control.return") });

/** A `control.if` step as its schema validated it. */
export type IfStep = z.infer<typeof IfStepSchema>;
/** A `control.forEach` step as its schema validated it. */
export type ForEachStep = z.infer<typeof ForEachStepSchema>;
/** A `control.tryCatch` step as its schema validated it. */
export type TryCatchStep = z.infer<typeof TryCatchStepSchema>;
/** A `control.callWorkflow` step as its schema validated it. */
export type CallWorkflowStep = z.infer<typeof CallWorkflowStepSchema>;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** `event.wait` config: wait for an event with a matching correlation key. */
export const EventWaitConfigSchema = z.strictObject({
  eventName: z.string().min(1),
  correlationKey: ExprSchema,
  filters: z
    .array(
      z
        .strictObject({
          path: z.string().min(1),
          op: z.enum(FILTER_OPERATORS),
          value: z.union([scalar, z.array(scalar)]).optional(),
        })
        .superRefine((f, ctx) => {
          const problem = checkFilterValue(f.op, f.value, "value" in f);
          if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
        }),
    )
    .optional(),
  timeoutMs: z.int().positive().optional(),
  assign: z.record(z.string(), ExprSchema).optional(),
});
export type EventWaitConfig = z.infer<typeof EventWaitConfigSchema>;

/** `time.wait` config: wait a duration or until a time. */
export const TimeWaitConfigSchema = z
  .strictObject({
    mode: z.enum(["duration", "until"]),
    durationMs: z.int().positive().optional(),
    until: ExprSchema.optional(),
    assign: z.record(z.string(), ExprSchema).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.mode === "duration" && c.durationMs === undefined)
      ctx.addIssue({ code: "custom", path: ["durationMs"], message: "duration mode requires durationMs" });
    if (c.mode === "until" && c.until === undefined)
      ctx.addIssue({ code: "custom", path: ["until"], message: "until mode requires an until expression" });
  });
export type TimeWaitConfig = z.infer<typeof TimeWaitConfigSchema>;

/** `action.call` config (strict, with the designer fields Alga's editor writes). */
export const ActionCallConfigSchema = z.strictObject({
  actionId: z.string().min(1),
  version: z.int().min(1),
  inputMapping: InputMappingSchema.optional(),
  outputs: z.array(z.unknown()).optional(),
  saveAs: z.string().optional(),
  designerGroupKey: z.string().min(1).optional(),
  designerTileKind: z.enum(["core-object", "transform", "app", "ai"]).optional(),
  designerAppKey: z.string().min(1).optional(),
  aiOutputSchemaMode: z.enum(["simple", "advanced"]).optional(),
  aiOutputSchema: z.record(z.string(), z.unknown()).optional(),
  aiOutputSchemaText: z.string().optional(),
  // Alga leaves this one object open.
  onError: z.looseObject({ policy: z.enum(["fail", "continue"]) }).optional(),
  idempotencyKey: ExprSchema.optional(),
});
export type ActionCallConfig = z.infer<typeof ActionCallConfigSchema>;

/** `state.set` config: the workflow state name written to `meta.state`. */
export const StateSetConfigSchema = z.strictObject({ state: z.string().min(1) });
export type StateSetConfig = z.infer<typeof StateSetConfigSchema>;

/** `transform.assign` config: expressions written to assignment paths. */
export const TransformAssignConfigSchema = z.strictObject({ assign: exprMap });
export type TransformAssignConfig = z.infer<typeof TransformAssignConfigSchema>;

/** `human.task` config: a task to create, and what to assign from its response. */
export const HumanTaskConfigSchema = z.strictObject({
  taskType: z.string().min(1),
  title: ExprSchema,
  description: ExprSchema.optional(),
  contextData: exprMap.optional(),
  assign: exprMap.optional(),
});
export type HumanTaskConfig = z.infer<typeof HumanTaskConfigSchema>;

/**
 * A frozen lookup table keyed by step type, without a prototype: a step typed "toString" or
 * "__proto__" must find nothing, not an inherited function.
 */
function lookupTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}

/** Config schemas of the node types Workflow Runtime V2 registers. Unknown types are left to the catalog check. */
export const NODE_CONFIG_SCHEMAS: Readonly<Record<string, z.ZodType>> = lookupTable({
  "state.set": StateSetConfigSchema,
  "transform.assign": TransformAssignConfigSchema,
  "action.call": ActionCallConfigSchema,
  "event.wait": EventWaitConfigSchema,
  "time.wait": TimeWaitConfigSchema,
  "email.parseBody": z.strictObject({
    text: ExprSchema.optional(),
    html: ExprSchema.optional(),
    saveAs: z.string().optional(),
  }),
  "email.renderCommentBlocks": z.strictObject({
    html: ExprSchema.optional(),
    text: ExprSchema.optional(),
    saveAs: z.string().optional(),
  }),
  "human.task": HumanTaskConfigSchema,
});

/** Any node step (a type that is not `control.*`); a registered node type's config is checked too. */
export const NodeStepSchema = z.strictObject({
  id: stepId,
  name: z.string().optional(),
  type: z
    .string()
    .min(1)
    .refine((t) => !t.startsWith("control."), {
      error: 'unknown control block: a node step type cannot start with "control."',
    }),
  config: z.unknown().optional(),
  retry: RetryPolicySchema.optional(),
  onError: OnErrorSchema.optional(),
});
/** A node step (any type that is not `control.*`); its config is checked by {@link NODE_CONFIG_SCHEMAS}. */
export type NodeStep = z.infer<typeof NodeStepSchema>;

const CONTROL_STEP_SCHEMAS: Readonly<Record<string, z.ZodType>> = lookupTable({
  "control.if": IfStepSchema,
  "control.forEach": ForEachStepSchema,
  "control.tryCatch": TryCatchStepSchema,
  "control.callWorkflow": CallWorkflowStepSchema,
  "control.return": ReturnStepSchema,
});

/** The control blocks of Workflow Runtime V2 (not node types: they have no registration). */
export const CONTROL_BLOCKS = Object.freeze(Object.keys(CONTROL_STEP_SCHEMAS));

/** Node types whose steps must have a config. */
const CONFIG_REQUIRED: ReadonlySet<string> = new Set(["action.call", "event.wait", "time.wait"]);

/**
 * One step, dispatched on `type`: a control block's own schema, or the generic node step. Nested
 * issues keep their paths relative to the step.
 */
export const StepSchema: z.ZodType<Step> = z.unknown().transform((value, ctx): Step => {
  if (!isJsonObject(value)) {
    ctx.addIssue({ code: "custom", message: "a step must be an object" });
    return z.NEVER;
  }
  const type = value.type;
  if (typeof type !== "string") {
    ctx.addIssue({ code: "custom", path: ["type"], message: "a step needs a string type" });
    return z.NEVER;
  }
  const schema = CONTROL_STEP_SCHEMAS[type] ?? NodeStepSchema;
  const result = schema.safeParse(value);
  let ok = result.success;
  if (!result.success) for (const i of result.error.issues) ctx.addIssue(i as never);
  const configSchema = NODE_CONFIG_SCHEMAS[type];
  // Alga's publish checks a node's config only when it is truthy (`config: null` passes), except
  // where a config is required: the wait steps (their step schemas) and action.call (publish
  // refuses one without actionId and version).
  if (configSchema && (Boolean(value.config) || CONFIG_REQUIRED.has(type))) {
    const config = configSchema.safeParse(value.config);
    if (!config.success) {
      ok = false;
      for (const i of config.error.issues) ctx.addIssue({ ...i, path: ["config", ...i.path] } as never);
    }
  }
  return ok ? (value as Step) : z.NEVER;
});

/** The workflow definition held in `draft.definition` and `publishedVersions[].definition`. */
export const WorkflowDefinitionSchema = z.strictObject({
  id: z.string().min(1),
  version: z.int().positive(),
  name: z.string().min(1),
  description: z.string().optional(),
  payloadSchemaRef: z.string().min(1),
  trigger: TriggerSchema.optional(),
  steps: StepListSchema,
});
export type WorkflowDefinition = z.infer<typeof WorkflowDefinitionSchema>;

/**
 * Validates a workflow definition and returns every problem, each with its JSON pointer
 * (relative to the definition) and, inside steps, its step path.
 */
export function validateWorkflowDefinition(
  definition: unknown,
): { ok: true; value: WorkflowDefinition } | { ok: false; problems: DefinitionProblem[] } {
  // The fast path vouches for most definitions; the schema decides (and describes) the rest.
  if (isScreenedDefinition(definition)) return { ok: true, value: definition as WorkflowDefinition };
  const result = WorkflowDefinitionSchema.safeParse(definition);
  if (result.success) return { ok: true, value: result.data as WorkflowDefinition };
  return { ok: false, problems: result.error.issues.flatMap((i) => toDefinitionProblems(i)) };
}

function toDefinitionProblems(i: z.core.$ZodIssue): DefinitionProblem[] {
  const segments = i.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (i.code === "unrecognized_keys") {
    return i.keys.map((k) => ({
      code: "UNKNOWN_PROPERTY",
      path: toJsonPointer([...segments, k]),
      message: `unknown property "${k}"`,
      ...stepPathOf(i.path),
    }));
  }
  return [{ code: "INVALID_VALUE", path: toJsonPointer(segments), message: i.message, ...stepPathOf(i.path) }];
}

function stepPathOf(path: readonly PropertyKey[]): { stepPath?: string } {
  const stepPath = toStepPath(path);
  return stepPath === undefined ? {} : { stepPath };
}
