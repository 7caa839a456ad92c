import { parseCatalog } from "../catalog/catalog-file.js";
import { DEFAULT_CATALOG, mergeCatalog, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { WorkflowSeederError } from "../errors.js";
import { parseJsonText } from "../format/parse-bundle.js";
import { readTextFile } from "./read-files.js";

/**
 * Reads a catalog file (`--catalog`, `WORKFLOW_SEEDER_CATALOG`) and applies it to `base` (default
 * {@link DEFAULT_CATALOG}, Alga's registrations): its `mode` says whether it extends or replaces.
 * `FILE_NOT_FOUND`, `INVALID_JSON` or `INVALID_CATALOG` when it cannot be used.
 *
 * @example const catalog = await readCatalogFile("test/catalog.json"); // then { catalog } in the fixture options
 */
export async function readCatalogFile(file: string, base: RuntimeCatalog = DEFAULT_CATALOG): Promise<RuntimeCatalog> {
  const json = parseJsonText(await readTextFile(file), { file });
  if (!json.ok) throw new WorkflowSeederError(json.issues);
  const parsed = parseCatalog(json.value, { file });
  if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
  return mergeCatalog(base, parsed.value);
}
