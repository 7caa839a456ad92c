import { z } from "zod";
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, WORKFLOW_KEY_PATTERN } from "./bundle-format.js";
import { canonicalizeJsonCompact } from "./canonical-json.js";
import { isRfc3339DateTime } from "./date-time.js";
import { isJsonObject, type JsonObject } from "./json-value.js";

/**
 * Any JSON object, passed through by reference and unchanged (the schema does not constrain it,
 * as in Alga's schema). A `__proto__` key stays an own property: nothing is copied.
 */
export const JsonObjectSchema = z
  .custom<JsonObject>(isJsonObject, { error: "expected an object" })
  .meta({ jsonSchema: { type: "object" } });

/**
 * A JSON integer. Unlike `z.int()` this accepts integers beyond 2^53, exactly as JSON Schema's
 * `"type": "integer"` does; column ranges are checked separately (VALUE_OUT_OF_RANGE).
 */
export function jsonInteger() {
  return z
    .number({ error: "expected an integer" })
    .refine((n) => Number.isInteger(n), { error: "expected an integer" })
    .meta({ jsonSchema: { type: "integer" } });
}

// Re-exported: the constants live in bundle-format.ts, which needs no schema library.
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, WORKFLOW_KEY_PATTERN };

/** True when no two items are equal JSON values (key order ignored). */
function hasUniqueItems(items: readonly unknown[]): boolean {
  try {
    return new Set(items.map((i) => canonicalizeJsonCompact(i))).size === items.length;
  } catch {
    // An item that is not JSON at all (undefined, NaN, a function: API callers can pass anything)
    // is already reported by the item schema.
    return true;
  }
}

function uniqueItems<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .refine(hasUniqueItems, {
      error: "items must be unique",
      // Also when some items are invalid: a validator reports every problem, as Alga's Ajv
      // (allErrors) does. The value is still an array of JSON values here.
      when: (payload) => Array.isArray(payload.value),
    })
    .meta({ jsonSchema: { uniqueItems: true } });
}

const nullableString = z.string().nullable();

/** `workflows[].metadata`: the operational settings of a workflow (all 14 keys required). */
export const WorkflowMetadataSchema = z.strictObject({
  name: z.string().min(1),
  description: nullableString,
  payloadSchemaRef: z.string().min(1),
  payloadSchemaMode: nullableString,
  pinnedPayloadSchemaRef: nullableString,
  trigger: JsonObjectSchema.nullable(),
  isSystem: z.boolean(),
  isVisible: z.boolean(),
  isPaused: z.boolean(),
  concurrencyLimit: jsonInteger().nullable(),
  autoPauseOnFailure: z.boolean(),
  failureRateThreshold: z.union([z.number(), z.string()], { error: "expected a number, a string or null" }).nullable(),
  failureRateMinRuns: jsonInteger().nullable(),
  retentionPolicyOverride: JsonObjectSchema.nullable(),
});

/** One action a workflow calls: `actionId@version`. */
export const ActionDependencySchema = z.strictObject({
  actionId: z.string().min(1),
  version: jsonInteger()
    .refine((n) => n >= 1, { error: "must be >= 1" })
    .meta({ jsonSchema: { type: "integer", minimum: 1 } }),
});

/** `workflows[].dependencies`: what the workflow needs from the runtime. */
export const WorkflowDependenciesSchema = z.strictObject({
  actions: uniqueItems(ActionDependencySchema),
  nodeTypes: uniqueItems(z.string().min(1)),
  schemaRefs: uniqueItems(z.string().min(1)),
});

/** `workflows[].draft`: the editable definition. */
export const WorkflowDraftSchema = z.strictObject({
  draftVersion: jsonInteger(),
  definition: JsonObjectSchema,
});

/** `workflows[].publishedVersions[]`: one immutable published definition. */
export const PublishedVersionSchema = z.strictObject({
  version: jsonInteger(),
  definition: JsonObjectSchema,
  payloadSchemaJson: JsonObjectSchema.nullable(),
});

/** One workflow of a bundle. */
export const BundleWorkflowSchema = z.strictObject({
  key: z.string().min(1).regex(WORKFLOW_KEY_PATTERN, {
    error: "must match ^[a-z0-9][a-z0-9._-]*$ (lower-case letters, digits, '.', '_', '-')",
  }),
  metadata: WorkflowMetadataSchema,
  dependencies: WorkflowDependenciesSchema,
  draft: WorkflowDraftSchema,
  publishedVersions: z.array(PublishedVersionSchema),
});

/**
 * The workflow bundle, format v1: the single source of truth. Types are inferred from it and
 * `docs/schemas/workflow-bundle.v1.schema.json` is generated from it. It accepts exactly what
 * Alga's draft-07 schema accepts; `definition` objects are not constrained here (see
 * {@link WorkflowDefinitionSchema} for that).
 */
export const WorkflowBundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z
    .literal(BUNDLE_FORMAT_VERSION)
    .meta({ jsonSchema: { type: "integer", const: BUNDLE_FORMAT_VERSION } }),
  exportedAt: z
    .string()
    .refine(isRfc3339DateTime, { error: "must be an RFC 3339 date-time, e.g. 2026-01-26T00:00:00.000Z" })
    .meta({ jsonSchema: { type: "string", format: "date-time" } }),
  workflows: z.array(BundleWorkflowSchema).min(1),
});

export type WorkflowBundle = z.infer<typeof WorkflowBundleSchema>;
export type BundleWorkflow = z.infer<typeof BundleWorkflowSchema>;
export type WorkflowMetadata = z.infer<typeof WorkflowMetadataSchema>;
export type WorkflowDependencies = z.infer<typeof WorkflowDependenciesSchema>;
export type ActionDependency = z.infer<typeof ActionDependencySchema>;
export type PublishedVersion = z.infer<typeof PublishedVersionSchema>;
