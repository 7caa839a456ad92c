import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fail, WorkflowSeederError } from "../errors.js";
import type { KnexfileEnvironment } from "./connection.js";

const CANDIDATES = ["knexfile.js", "knexfile.mjs", "knexfile.cjs", "knexfile.ts"];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Finds the knexfile of a project directory, or `null`. */
export async function findKnexfile(projectDir: string): Promise<string | null> {
  for (const name of CANDIDATES) {
    const path = join(projectDir, name);
    if (await exists(path)) return path;
  }
  return null;
}

async function importModule(path: string, projectDir: string): Promise<unknown> {
  if (!path.endsWith(".ts")) return import(pathToFileURL(path).href);
  // This project compiles knexfile.ts into dist/; use that build when it is up to date, since
  // loading a TypeScript loader costs more than the rest of a no-op command.
  const compiled = join(projectDir, "dist", "knexfile.js");
  if ((await exists(compiled)) && (await stat(compiled)).mtimeMs >= (await stat(path)).mtimeMs)
    return import(pathToFileURL(compiled).href);
  const { tsImport } = await import("tsx/esm/api");
  return tsImport(pathToFileURL(path).href, import.meta.url);
}

function unwrapDefault(value: unknown): unknown {
  let current = value;
  for (let i = 0; i < 3 && current && typeof current === "object" && "default" in current; i++)
    current = (current as { default: unknown }).default;
  return current;
}

/**
 * Loads one environment of a knexfile (`module.exports = { development: {...}, ... }`, as knex's
 * own CLI reads it). Returns `undefined` when the file or the environment does not exist.
 */
export async function loadKnexfileEnvironment(
  path: string,
  projectDir: string,
  environment: string,
): Promise<KnexfileEnvironment | undefined> {
  let config: unknown;
  try {
    config = unwrapDefault(await importModule(path, projectDir));
  } catch (error) {
    if (error instanceof WorkflowSeederError) throw error;
    fail("INVALID_KNEXFILE", { file: path, reason: error instanceof Error ? error.message : String(error) }, error);
  }
  if (!config || typeof config !== "object")
    fail("INVALID_KNEXFILE", { file: path, reason: "it must export an object of environments" });
  const env = (config as Record<string, unknown>)[environment];
  if (env === undefined || env === null) return undefined;
  if (typeof env !== "object")
    fail("INVALID_KNEXFILE", { file: path, reason: `environment "${environment}" must be an object` });
  return env as KnexfileEnvironment;
}
