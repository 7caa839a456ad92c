import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, WORKFLOW_KEY_PATTERN } from "./bundle-format.js";
import type { WorkflowBundle } from "./bundle-schema.js";
import { isRfc3339DateTime } from "./date-time.js";
import { checkFilterValue, FILTER_OPERATORS } from "./event-filter.js";
import { isStorableString, MAX_JSON_DEPTH } from "./json-limits.js";

/**
 * The fast path of validation: hand-written predicates that answer "valid" for exactly the JSON
 * values the zod schemas accept (the schemas stay the source of truth; `test/unit/format/
 * bundle-screen.test.ts` holds the two to the same verdicts with fast-check and the corpus). They
 * walk a document once, without building issues, paths or output copies, and fold in the value
 * limits of `collectJsonLimitProblems`. They only say yes or no: on "no" the caller runs the
 * schemas, which find and describe every problem. Anything that is not plain JSON (undefined,
 * functions, class instances, objects without `Object.prototype`) is "no", whatever the schemas
 * would say of it.
 */

type Plain = Record<string, unknown>;

/** The verdict of {@link screenBundle} on a bundle it vouches for. */
export interface BundleScreen {
  /** The input itself, typed: `validateBundle` returns an equal value for it. */
  bundle: WorkflowBundle;
  /** The definitions (objects of the input) that `validateWorkflowDefinition` accepts. */
  validDefinitions: ReadonlySet<unknown>;
}

const PROTOTYPE = Object.prototype;

function isPlainObjectAt(v: unknown, depth: number): v is Plain {
  return typeof v === "object" && v !== null && depth <= MAX_JSON_DEPTH && Object.getPrototypeOf(v) === PROTOTYPE;
}

function isPlainArrayAt(v: unknown, depth: number): v is unknown[] {
  return Array.isArray(v) && depth <= MAX_JSON_DEPTH && Object.getPrototypeOf(v) === Array.prototype;
}

function isText(v: unknown): v is string {
  return typeof v === "string" && isStorableString(v);
}

function isNonEmptyText(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && isStorableString(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** `z.int()`: a safe integer. */
function isSafeInt(v: unknown): v is number {
  return Number.isSafeInteger(v);
}

function isPositiveSafeInt(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

/** `jsonInteger()` of the bundle schema: any finite integer, beyond 2^53 too. */
function isJsonInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** Any JSON value within the limits: finite numbers, storable strings and keys, nesting. */
function isStorableJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
      return isStorableString(v);
    case "number":
      return Number.isFinite(v);
    case "boolean":
      return true;
    case "object": {
      if (v === null) return true;
      if (Array.isArray(v)) {
        if (!isPlainArrayAt(v, depth)) return false;
        for (let i = 0; i < v.length; i++) if (!isStorableJson(v[i], depth + 1)) return false;
        return true;
      }
      if (!isPlainObjectAt(v, depth)) return false;
      for (const key in v) if (!isStorableString(key) || !isStorableJson(v[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** `z.array(item)` */
function isArrayOf(v: unknown, depth: number, item: (x: unknown, depth: number) => boolean): boolean {
  if (!isPlainArrayAt(v, depth)) return false;
  for (let i = 0; i < v.length; i++) if (!item(v[i], depth + 1)) return false;
  return true;
}

/**
 * `z.record(z.string(), value)`: a plain object whose values pass; zod skips a `__proto__` key
 * (neither validated nor copied), so only the limits apply to it.
 */
function isRecordOf(v: unknown, depth: number, value: (x: unknown, depth: number) => boolean): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  for (const key in v) {
    if (!isStorableString(key)) return false;
    if (!(key === "__proto__" ? isStorableJson(v[key], depth + 1) : value(v[key], depth + 1))) return false;
  }
  return true;
}

/** `ExprSchema`: a loose object with a string `$expr`; its other members are any JSON. */
function isExpr(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth) || typeof v.$expr !== "string") return false;
  return isStorableJson(v, depth);
}

function isExprMap(v: unknown, depth: number): boolean {
  return isRecordOf(v, depth, isExpr);
}

/** `MappingValueSchema`: a literal that may nest expressions and secret references. */
function isMappingValue(v: unknown, depth: number): boolean {
  if (typeof v !== "object" || v === null) return isStorableJson(v, depth);
  if (Array.isArray(v)) return isArrayOf(v, depth, isMappingValue);
  if (!isPlainObjectAt(v, depth)) return false;
  if ("$expr" in v) return typeof v.$expr === "string" && isStorableJson(v, depth);
  if ("$secret" in v) return typeof v.$secret === "string" && Object.keys(v).length === 1 && isStorableJson(v, depth);
  for (const key in v) if (!isStorableString(key) || !isMappingValue(v[key], depth + 1)) return false;
  return true;
}

function isInputMapping(v: unknown, depth: number): boolean {
  return isRecordOf(v, depth, isMappingValue);
}

const RETRY_POLICY_REQUIRED = 2;

function isRetryPolicy(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let required = 0;
  for (const key in v) {
    const x = v[key];
    switch (key) {
      case "maxAttempts":
        if (!isPositiveSafeInt(x)) return false;
        required++;
        break;
      case "backoffMs":
        if (!(isSafeInt(x) && x >= 0)) return false;
        required++;
        break;
      case "backoffMultiplier":
        if (!(isFiniteNumber(x) && x > 0)) return false;
        break;
      case "jitter":
        if (typeof x !== "boolean") return false;
        break;
      case "maxDelayMs":
        if (!isPositiveSafeInt(x)) return false;
        break;
      case "retryOn":
        if (!isArrayOf(x, depth + 1, isText)) return false;
        break;
      default:
        return false;
    }
  }
  return required === RETRY_POLICY_REQUIRED;
}

function isOnErrorPolicy(v: unknown): boolean {
  return v === "fail" || v === "continue";
}

/** `OnErrorSchema`: exactly `{ policy }`. */
function isOnError(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let required = 0;
  for (const key in v) {
    if (key !== "policy" || !isOnErrorPolicy(v[key])) return false;
    required++;
  }
  return required === 1;
}

function isTrigger(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  const type = v.type;
  let required = 0;
  for (const key in v) {
    const x = v[key];
    if (key === "type") {
      required++;
      continue;
    }
    if (type === "event") {
      if (key === "eventName" && isNonEmptyText(x)) required++;
      else if (
        !(key === "sourcePayloadSchemaRef" && isNonEmptyText(x)) &&
        !(key === "payloadMapping" && isInputMapping(x, depth + 1))
      )
        return false;
    } else if (type === "schedule") {
      if (!(key === "runAt" && isNonEmptyText(x))) return false;
      required++;
    } else if (type === "recurring") {
      if (!((key === "cron" || key === "timezone") && isNonEmptyText(x))) return false;
      required++;
    } else if (type === "date") {
      if (key === "source" && DATE_TRIGGER_SOURCES.has(x)) required++;
      else if (key === "offsetDays" && isSafeInt(x) && x >= -365 && x <= 365) required++;
      else if (
        !(key === "localTime" && typeof x === "string" && LOCAL_TIME.test(x)) &&
        !(key === "timezone" && isNonEmptyText(x))
      )
        return false;
    } else return false;
  }
  const expected = type === "event" || type === "schedule" ? 2 : 3;
  return required === expected;
}

const DATE_TRIGGER_SOURCES: ReadonlySet<unknown> = new Set([
  "client.anniversary",
  "contract.renewal_decision",
  "contract.end",
  "asset.warranty_end",
]);
const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const FILTER_OPERATOR_SET: ReadonlySet<unknown> = new Set(FILTER_OPERATORS);

function isScalar(v: unknown): boolean {
  return v === null || typeof v === "boolean" || isFiniteNumber(v) || isText(v);
}

function isEventFilter(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let required = 0;
  let present = false;
  for (const key in v) {
    const x = v[key];
    if (key === "path" && isNonEmptyText(x)) required++;
    else if (key === "op" && FILTER_OPERATOR_SET.has(x)) required++;
    else if (key === "value" && (isScalar(x) || isArrayOf(x, depth + 1, isScalar))) present = true;
    else return false;
  }
  return required === 2 && checkFilterValue(v.op as string, v.value, present) === null;
}

type ConfigCheck = (config: Plain, depth: number) => boolean;

/** A strict config object: every key known (`check` says whether its value passes), `required` of them required. */
function strictConfig(
  required: readonly string[],
  check: (key: string, value: unknown, depth: number) => boolean,
): ConfigCheck {
  return (config, depth) => {
    let count = 0;
    for (const key in config) {
      if (!check(key, config[key], depth + 1)) return false;
      if (required.includes(key)) count++;
    }
    return count === required.length;
  };
}

const TILE_KINDS: ReadonlySet<unknown> = new Set(["core-object", "transform", "app", "ai"]);
const AI_SCHEMA_MODES: ReadonlySet<unknown> = new Set(["simple", "advanced"]);

/** `ActionCallConfigSchema.onError`: a loose object with a valid `policy`. */
function isLooseOnError(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth) || !isOnErrorPolicy(v.policy)) return false;
  return isStorableJson(v, depth);
}

function isEmailField(key: string, x: unknown, depth: number): boolean {
  return key === "saveAs" ? isText(x) : (key === "text" || key === "html") && isExpr(x, depth);
}

const isTimeWaitMembers = strictConfig(["mode"], (key, x, depth) => {
  switch (key) {
    case "mode":
      return x === "duration" || x === "until";
    case "durationMs":
      return isPositiveSafeInt(x);
    case "until":
      return isExpr(x, depth);
    case "assign":
      return isExprMap(x, depth);
    default:
      return false;
  }
});

/** The config checks of `NODE_CONFIG_SCHEMAS`, by node type (a table without a prototype). */
export const SCREENED_CONFIGS: Readonly<Record<string, ConfigCheck>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, ConfigCheck>, {
    "state.set": strictConfig(["state"], (key, x) => key === "state" && isNonEmptyText(x)),
    "transform.assign": strictConfig(["assign"], (key, x, depth) => key === "assign" && isExprMap(x, depth)),
    "action.call": strictConfig(["actionId", "version"], (key, x, depth) => {
      switch (key) {
        case "actionId":
        case "designerGroupKey":
        case "designerAppKey":
          return isNonEmptyText(x);
        case "version":
          return isSafeInt(x) && x >= 1;
        case "inputMapping":
          return isInputMapping(x, depth);
        case "outputs":
          return isArrayOf(x, depth, isStorableJson);
        case "saveAs":
        case "aiOutputSchemaText":
          return isText(x);
        case "designerTileKind":
          return TILE_KINDS.has(x);
        case "aiOutputSchemaMode":
          return AI_SCHEMA_MODES.has(x);
        case "aiOutputSchema":
          return isRecordOf(x, depth, isStorableJson);
        case "onError":
          return isLooseOnError(x, depth);
        case "idempotencyKey":
          return isExpr(x, depth);
        default:
          return false;
      }
    }),
    "event.wait": strictConfig(["eventName", "correlationKey"], (key, x, depth) => {
      switch (key) {
        case "eventName":
          return isNonEmptyText(x);
        case "correlationKey":
          return isExpr(x, depth);
        case "filters":
          return isArrayOf(x, depth, isEventFilter);
        case "timeoutMs":
          return isPositiveSafeInt(x);
        case "assign":
          return isExprMap(x, depth);
        default:
          return false;
      }
    }),
    "time.wait": (config: Plain, depth: number) =>
      isTimeWaitMembers(config, depth) &&
      (config.mode === "duration" ? config.durationMs !== undefined : config.until !== undefined),
    "email.parseBody": strictConfig([], isEmailField),
    "email.renderCommentBlocks": strictConfig([], isEmailField),
    "human.task": strictConfig(["taskType", "title"], (key, x, depth) => {
      switch (key) {
        case "taskType":
          return isNonEmptyText(x);
        case "title":
        case "description":
          return isExpr(x, depth);
        case "contextData":
        case "assign":
          return isExprMap(x, depth);
        default:
          return false;
      }
    }),
  }),
);

/** Node types whose steps must have a config (as `CONFIG_REQUIRED` of the definition schema). */
const CONFIG_REQUIRED: ReadonlySet<string> = new Set(["action.call", "event.wait", "time.wait"]);

function isStepList(v: unknown, depth: number): boolean {
  return isArrayOf(v, depth, isStep);
}

function isStep(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  const type = v.type;
  if (typeof type !== "string") return false;
  switch (type) {
    case "control.if":
      return isControlStep(v, depth, 4, (key, x, d) => {
        if (key === "condition") return isExpr(x, d) ? 1 : -1;
        if (key === "then") return isStepList(x, d) ? 1 : -1;
        return key === "else" && isStepList(x, d) ? 0 : -1;
      });
    case "control.forEach":
      return isControlStep(v, depth, 5, (key, x, d) => {
        if (key === "items") return isExpr(x, d) ? 1 : -1;
        if (key === "itemVar") return isNonEmptyText(x) ? 1 : -1;
        if (key === "body") return isStepList(x, d) ? 1 : -1;
        if (key === "concurrency") return x === 1 ? 0 : -1;
        return key === "onItemError" && (x === "continue" || x === "fail") ? 0 : -1;
      });
    case "control.tryCatch":
      return isControlStep(v, depth, 4, (key, x, d) => {
        if (key === "try" || key === "catch") return isStepList(x, d) ? 1 : -1;
        return key === "captureErrorAs" && isNonEmptyText(x) ? 0 : -1;
      });
    case "control.callWorkflow":
      return isControlStep(v, depth, 4, (key, x, d) => {
        if (key === "workflowId") return isNonEmptyText(x) ? 1 : -1;
        if (key === "workflowVersion") return isPositiveSafeInt(x) ? 1 : -1;
        if (key === "inputMapping" || key === "outputMapping") return isExprMap(x, d) ? 0 : -1;
        if (key === "retry") return isRetryPolicy(x, d) ? 0 : -1;
        return key === "onError" && isOnError(x, d) ? 0 : -1;
      });
    case "control.return":
      return isControlStep(v, depth, 2, () => -1);
    default:
      return isNodeStep(v, type, depth);
  }
}

/**
 * A strict control step: `id` and `type` plus the keys `member` knows (it returns 1 for a valid
 * required key, 0 for a valid optional one, -1 otherwise); `required` counts id and type too.
 */
function isControlStep(
  step: Plain,
  depth: number,
  required: number,
  member: (key: string, value: unknown, depth: number) => 1 | 0 | -1,
): boolean {
  let count = 0;
  for (const key in step) {
    if (key === "type") count++;
    else if (key === "id") {
      if (!isNonEmptyText(step.id)) return false;
      count++;
    } else {
      const verdict = member(key, step[key], depth + 1);
      if (verdict < 0) return false;
      count += verdict;
    }
  }
  return count === required;
}

function isNodeStep(step: Plain, type: string, depth: number): boolean {
  if (type.length === 0 || type.startsWith("control.") || !isStorableString(type)) return false;
  let required = 0;
  let hasConfig = false;
  for (const key in step) {
    const x = step[key];
    switch (key) {
      case "type":
        required++;
        break;
      case "id":
        if (!isNonEmptyText(x)) return false;
        required++;
        break;
      case "name":
        if (!isText(x)) return false;
        break;
      case "config":
        hasConfig = true;
        break;
      case "retry":
        if (!isRetryPolicy(x, depth + 1)) return false;
        break;
      case "onError":
        if (!isOnError(x, depth + 1)) return false;
        break;
      default:
        return false;
    }
  }
  if (required !== 2) return false;
  const config = SCREENED_CONFIGS[type];
  // As the schema: a registered type's config is checked when truthy, or always where required
  // (the typed checks apply the limits too); any other config only has to be storable JSON.
  if (config !== undefined && (Boolean(step.config) || CONFIG_REQUIRED.has(type)))
    return isPlainObjectAt(step.config, depth + 1) && config(step.config, depth + 1);
  return !hasConfig || isStorableJson(step.config, depth + 1);
}

/** A definition the screen accepts, at `depth` (1 for a definition on its own). */
function isDefinitionAt(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let required = 0;
  for (const key in v) {
    const x = v[key];
    switch (key) {
      case "id":
      case "name":
      case "payloadSchemaRef":
        if (!isNonEmptyText(x)) return false;
        required++;
        break;
      case "version":
        if (!isPositiveSafeInt(x)) return false;
        required++;
        break;
      case "steps":
        if (!isStepList(x, depth + 1)) return false;
        required++;
        break;
      case "description":
        if (!isText(x)) return false;
        break;
      case "trigger":
        if (!isTrigger(x, depth + 1)) return false;
        break;
      default:
        return false;
    }
  }
  return required === 5;
}

/**
 * True when `validateWorkflowDefinition(value)` accepts `value` and the value is within the JSON
 * limits. False means "ask the schema": the value may still be valid.
 */
export function isScreenedDefinition(value: unknown): boolean {
  return isDefinitionAt(value, 1);
}

function isNullableText(v: unknown): boolean {
  return v === null || isText(v);
}

function isObjectOrNull(v: unknown, depth: number): boolean {
  return v === null || (isPlainObjectAt(v, depth) && isStorableJson(v, depth));
}

function isMetadata(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let count = 0;
  for (const key in v) {
    const x = v[key];
    switch (key) {
      case "name":
      case "payloadSchemaRef":
        if (!isNonEmptyText(x)) return false;
        break;
      case "description":
      case "payloadSchemaMode":
      case "pinnedPayloadSchemaRef":
        if (!isNullableText(x)) return false;
        break;
      case "trigger":
      case "retentionPolicyOverride":
        if (!isObjectOrNull(x, depth + 1)) return false;
        break;
      case "isSystem":
      case "isVisible":
      case "isPaused":
      case "autoPauseOnFailure":
        if (typeof x !== "boolean") return false;
        break;
      case "concurrencyLimit":
      case "failureRateMinRuns":
        if (!(x === null || isJsonInteger(x))) return false;
        break;
      case "failureRateThreshold":
        if (!(x === null || isFiniteNumber(x) || isText(x))) return false;
        break;
      default:
        return false;
    }
    count++;
  }
  return count === 14;
}

function isUniqueTextList(v: unknown, depth: number): boolean {
  if (!isArrayOf(v, depth, isNonEmptyText)) return false;
  return new Set(v as string[]).size === (v as string[]).length;
}

function isActionList(v: unknown, depth: number): boolean {
  if (!isPlainArrayAt(v, depth)) return false;
  const seen = new Set<string>();
  for (const action of v) {
    if (!isPlainObjectAt(action, depth + 1)) return false;
    let count = 0;
    for (const key in action) {
      const x = action[key];
      if (key === "actionId" ? !isNonEmptyText(x) : key !== "version" || !(isJsonInteger(x) && x >= 1)) return false;
      count++;
    }
    if (count !== 2) return false;
    // actionId holds no NUL (checked above): the pair is unambiguous.
    seen.add(`${action.actionId as string}\u0000${action.version as number}`);
  }
  return seen.size === v.length;
}

function isDependencies(v: unknown, depth: number): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let count = 0;
  for (const key in v) {
    const x = v[key];
    if (
      key === "actions"
        ? !isActionList(x, depth + 1)
        : !(key === "nodeTypes" || key === "schemaRefs") || !isUniqueTextList(x, depth + 1)
    )
      return false;
    count++;
  }
  return count === 3;
}

/**
 * A definition of a bundle: within the limits in any case (else the whole screen fails), and
 * recorded in `valid` when the definition schema accepts it.
 */
function screenDefinition(v: unknown, depth: number, valid: Set<unknown>): boolean {
  if (isDefinitionAt(v, depth)) {
    valid.add(v);
    return true;
  }
  return isPlainObjectAt(v, depth) && isStorableJson(v, depth);
}

function screenDraft(v: unknown, depth: number, valid: Set<unknown>): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let count = 0;
  for (const key in v) {
    const x = v[key];
    if (key === "draftVersion" ? !isJsonInteger(x) : key !== "definition" || !screenDefinition(x, depth + 1, valid))
      return false;
    count++;
  }
  return count === 2;
}

function screenVersions(v: unknown, depth: number, valid: Set<unknown>): boolean {
  if (!isPlainArrayAt(v, depth)) return false;
  const seen = new Set<number>();
  for (const version of v) {
    if (!isPlainObjectAt(version, depth + 1)) return false;
    let count = 0;
    for (const key in version) {
      const x = version[key];
      switch (key) {
        case "version":
          if (!isJsonInteger(x)) return false;
          break;
        case "definition":
          if (!screenDefinition(x, depth + 2, valid)) return false;
          break;
        case "payloadSchemaJson":
          if (!isObjectOrNull(x, depth + 2)) return false;
          break;
        default:
          return false;
      }
      count++;
    }
    if (count !== 3) return false;
    seen.add(version.version as number);
  }
  // A version twice is DUPLICATE_VERSION.
  return seen.size === v.length;
}

function screenWorkflow(v: unknown, depth: number, keys: Set<string>, valid: Set<unknown>): boolean {
  if (!isPlainObjectAt(v, depth)) return false;
  let count = 0;
  for (const key in v) {
    const x = v[key];
    switch (key) {
      case "key":
        if (typeof x !== "string" || !WORKFLOW_KEY_PATTERN.test(x) || keys.has(x)) return false;
        keys.add(x);
        break;
      case "metadata":
        if (!isMetadata(x, depth + 1)) return false;
        break;
      case "dependencies":
        if (!isDependencies(x, depth + 1)) return false;
        break;
      case "draft":
        if (!screenDraft(x, depth + 1, valid)) return false;
        break;
      case "publishedVersions":
        if (!screenVersions(x, depth + 1, valid)) return false;
        break;
      default:
        return false;
    }
    count++;
  }
  return count === 5;
}

/**
 * The fast path of `validateBundle`: the bundle, typed, when `validateBundle` accepts it (value
 * limits, header, schema, duplicate keys and versions), with the definitions that are valid on
 * their own; `undefined` when the screen cannot vouch for it (then `validateBundle` decides).
 */
export function screenBundle(value: unknown): BundleScreen | undefined {
  if (!isPlainObjectAt(value, 1)) return undefined;
  const valid = new Set<unknown>();
  const keys = new Set<string>();
  let count = 0;
  for (const key in value) {
    const x = value[key];
    switch (key) {
      case "format":
        if (x !== BUNDLE_FORMAT) return undefined;
        break;
      case "formatVersion":
        if (x !== BUNDLE_FORMAT_VERSION) return undefined;
        break;
      case "exportedAt":
        if (!isText(x) || !isRfc3339DateTime(x)) return undefined;
        break;
      case "workflows":
        if (!isPlainArrayAt(x, 2) || x.length === 0) return undefined;
        for (const workflow of x) if (!screenWorkflow(workflow, 3, keys, valid)) return undefined;
        break;
      default:
        return undefined;
    }
    count++;
  }
  return count === 4 ? { bundle: value as unknown as WorkflowBundle, validDefinitions: valid } : undefined;
}
