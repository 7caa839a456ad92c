import { fail } from "../errors.js";
import type { ExportOptionsInput } from "../export/export-options.js";
import type { ImportOptionsInput } from "../import/import-options.js";

/** A parsed query string: repeated names arrive as arrays. */
export type QueryParams = Readonly<Record<string, string | string[] | undefined>>;

function values(query: QueryParams, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Throws `INVALID_ARGUMENT` for a query parameter the route does not know, so a typo such as
 * `?onconflict=replace` is reported instead of silently falling back to the default.
 */
export function assertKnownParams(query: QueryParams, known: readonly string[]): void {
  for (const name of Object.keys(query))
    if (!known.includes(name))
      fail("INVALID_ARGUMENT", {
        option: `query parameter ${name}`,
        received: values(query, name).join(","),
        expected: known.length > 0 ? `one of the parameters ${known.join(", ")}` : "no query parameters",
      });
}

/** The single value of a parameter, `undefined` when absent; repeating it is an error. */
export function parseStringParam(query: QueryParams, name: string): string | undefined {
  const all = values(query, name);
  if (all.length > 1)
    fail("INVALID_ARGUMENT", {
      option: `query parameter ${name}`,
      received: all.join(","),
      expected: "a single value",
    });
  return all[0];
}

/** A `true`/`false` parameter (`undefined` when absent). */
export function parseBooleanParam(query: QueryParams, name: string): boolean | undefined {
  const value = parseStringParam(query, name);
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  return fail("INVALID_ARGUMENT", { option: `query parameter ${name}`, received: value, expected: "true or false" });
}

/** Every value of a repeatable parameter (`?key=a&key=b`), empty values dropped. */
export function parseListParam(query: QueryParams, name: string): string[] {
  return values(query, name).filter((v) => v !== "");
}

/** The import options of a query string (`onConflict`, `force`, `actor`), for `parseImportOptions`. */
export function readImportQuery(query: QueryParams): ImportOptionsInput {
  return {
    force: parseBooleanParam(query, "force"),
    onConflict: parseStringParam(query, "onConflict"),
    actor: parseStringParam(query, "actor"),
  };
}

/**
 * The export options of a query string (`key` and `workflowId` repeatable, `all`,
 * `withCalledWorkflows`, `exportedAt`), for `parseExportOptions`.
 */
export function readExportQuery(query: QueryParams): ExportOptionsInput {
  return {
    keys: parseListParam(query, "key"),
    workflowIds: parseListParam(query, "workflowId"),
    all: parseBooleanParam(query, "all"),
    withCalledWorkflows: parseBooleanParam(query, "withCalledWorkflows"),
    exportedAt: parseStringParam(query, "exportedAt"),
  };
}
