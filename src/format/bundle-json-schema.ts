import { z } from "zod";
import { WorkflowBundleSchema } from "./bundle-schema.js";
import { isJsonObject, type JsonObject } from "./json-value.js";

/** Where the generated schema is committed, relative to the project root. */
export const BUNDLE_JSON_SCHEMA_PATH = "docs/schemas/workflow-bundle.v1.schema.json";

/**
 * Generates the draft-07 JSON Schema of workflow bundle v1 from {@link WorkflowBundleSchema}.
 * Checks that JSON Schema cannot express the same way as zod (custom refinements) carry a
 * `jsonSchema` override in their metadata, which replaces the generated node.
 */
export function generateBundleJsonSchema(): JsonObject {
  const generated = z.toJSONSchema(WorkflowBundleSchema, {
    target: "draft-07",
    unrepresentable: "any",
    override(ctx) {
      const meta = z.globalRegistry.get(ctx.zodSchema as unknown as z.ZodType);
      const replacement = meta?.jsonSchema;
      const node = ctx.jsonSchema as Record<string, unknown>;
      if (isJsonObject(replacement)) Object.assign(node, replacement);
      delete node.jsonSchema;
    },
  }) as JsonObject;
  return {
    $schema: generated.$schema,
    $id: "https://workflow-seeder.dev/schemas/workflow-bundle.v1.schema.json",
    title: "Alga PSA workflow bundle, format version 1",
    description:
      "Generated from src/format/bundle-schema.ts by `npm run generate:schema`; do not edit by hand. Accepts exactly what Alga PSA's workflow-bundle v1 schema accepts.",
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== "$schema")),
  };
}
