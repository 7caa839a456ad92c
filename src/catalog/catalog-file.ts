import { z } from "zod";
import { issue, type ValidationResult } from "../errors.js";
import { collectPathProblems, type SourceOptions } from "../format/parse-bundle.js";
import type { CatalogFile } from "./runtime-catalog.js";

const ActionEntrySchema = z.union(
  [
    z.string().regex(/^[^@\s]+@[1-9]\d*$/, { error: 'expected "actionId@version"' }),
    z.strictObject({ actionId: z.string().min(1), version: z.int().min(1) }),
  ],
  { error: 'expected "actionId@version" or {"actionId": "...", "version": 1}' },
);

/**
 * A catalog file (`--catalog <file>`). `mode` "extend" (the default) adds its names to the
 * default catalog; "replace" uses only its names.
 *
 * @example {"mode": "extend", "actions": ["test.stub@1"], "nodeTypes": [], "schemaRefs": ["payload.Test.v1"]}
 */
export const CatalogFileSchema = z.strictObject({
  $schema: z.string().optional(),
  mode: z.enum(["extend", "replace"]).default("extend"),
  actions: z.array(ActionEntrySchema).default([]),
  nodeTypes: z.array(z.string().min(1)).default([]),
  schemaRefs: z.array(z.string().min(1)).default([]),
});

/** Validates a parsed catalog file. */
export function parseCatalog(value: unknown, options: SourceOptions = {}): ValidationResult<CatalogFile> {
  const parsed = CatalogFileSchema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const details = { errors: collectPathProblems(parsed.error.issues) };
  return {
    ok: false,
    issues: [issue("INVALID_CATALOG", options.file === undefined ? details : { file: options.file, ...details })],
  };
}
