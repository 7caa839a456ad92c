/**
 * A seeds folder as every command reads it: the seed naming pattern, which entries are seeds,
 * and the state a folder of seeds leaves once applied in order (a later seed's version of a key
 * wins), for the commands that read the folder as a whole (`verify`, the fixtures).
 */

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { fail, type Issue, WorkflowSeederError } from "../errors.js";
import type { WorkflowBundle } from "../format/bundle-schema.js";
import { parseJsonText } from "../format/parse-json.js";
import type { BundleSource } from "./import-bundle.js";
import { readTextFile } from "./read-files.js";

/** The suffix every seed file has. */
export const SEED_SUFFIX = ".bundle.json";

/**
 * A seed file name: a sortable version prefix (a UTC timestamp `YYYY-MM-DDTHH.MM.SS`, or digits),
 * a separator, a name, and `.bundle.json`. Example: `2026-01-25T10.00.00.ticket-created-hello.bundle.json`.
 * After a digits-only prefix the name starts with a letter: otherwise a mistyped timestamp such as
 * `2026-01-25.hello` would pass as version `2026` instead of being reported.
 */
export const SEED_FILE_PATTERN =
  /^(?:(\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2})[._-][A-Za-z0-9]|(\d+)[._-][A-Za-z])[A-Za-z0-9._-]*\.bundle\.json$/;

/** The pattern as users read it in messages. */
export const SEED_FILE_PATTERN_TEXT = "<YYYY-MM-DDTHH.MM.SS>.<name>.bundle.json";

/** One seed file. `name` (the file name without `.bundle.json`) is what the seeder records. */
export interface SeedFile {
  name: string;
  file: string;
  path: string;
  version: string;
}

/** The seeds of a folder, in apply order. */
export interface SeedListing {
  dir: string;
  seeds: SeedFile[];
}

/**
 * True for a folder entry that is no business of the seeder, skipped without a word: dot files
 * (`.gitkeep`), `README*` in any case, folders, and any file whose name does not end in `.json`.
 * Every other entry must be a seed.
 */
export function isIgnoredSeedFolderEntry(name: string, isFile: boolean): boolean {
  if (name.startsWith(".") || /^readme/i.test(name)) return true;
  return !isFile || !/\.json$/i.test(name);
}

/** Parses a seed file name; `null` when it does not follow the pattern. */
export function parseSeedFileName(file: string): { name: string; version: string } | null {
  const m = SEED_FILE_PATTERN.exec(file);
  if (!m) return null;
  return { name: file.slice(0, -SEED_SUFFIX.length), version: (m[1] ?? m[2]) as string };
}

/**
 * Lists the seeds of a folder in name order. A `.json` file whose name does not follow the
 * pattern is an error (`INVALID_SEED_NAME`, naming every such file): a seed that a typo keeps out
 * of the run must not pass as "nothing to do". Entries {@link isIgnoredSeedFolderEntry} are
 * skipped. A missing folder has no seeds, or is `FILE_NOT_FOUND` with `mustExist`.
 */
export async function listSeedFiles(dir: string, options: { mustExist?: boolean } = {}): Promise<SeedListing> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      // A mistyped --dir must not look like "nothing to do".
      if (options.mustExist) fail("FILE_NOT_FOUND", { file: dir }, error);
      return { dir, seeds: [] };
    }
    fail("FILE_READ_ERROR", { file: dir, reason: (error as Error).message }, error);
  }
  const seeds: SeedFile[] = [];
  const misnamed: string[] = [];
  for (const entry of entries) {
    // A link to a seed file is a seed file (read through the link).
    if (isIgnoredSeedFolderEntry(entry.name, entry.isFile() || entry.isSymbolicLink())) continue;
    const parsed = parseSeedFileName(entry.name);
    if (parsed) seeds.push({ ...parsed, file: entry.name, path: join(dir, entry.name) });
    else misnamed.push(entry.name);
  }
  if (misnamed.length > 0) fail("INVALID_SEED_NAME", { dir, files: misnamed.sort(), pattern: SEED_FILE_PATTERN_TEXT });
  const byName = (a: { file: string }, b: { file: string }) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  return { dir, seeds: seeds.sort(byName) };
}

/** True when `dir` is a folder that holds at least one file named like a seed. */
export async function isSeedFolder(dir: string): Promise<boolean> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some(
    (e) => !isIgnoredSeedFolderEntry(e.name, e.isFile() || e.isSymbolicLink()) && parseSeedFileName(e.name) !== null,
  );
}

/** One seed's bundle, checked for structure, with the file it came from. */
export interface SeedBundle {
  bundle: WorkflowBundle;
  file: string;
}

/**
 * The workflows a folder of seeds leaves in a tenant once `up` applied them in order: each seed
 * keeps the workflows no later seed ships again (a later seed's version of a key wins); a seed
 * left with none is dropped. A key twice in one seed was refused by that seed's own check.
 */
export function collectFinalSeedState(seeds: readonly SeedBundle[]): SeedBundle[] {
  const lastSeedOfKey = new Map<string, number>();
  seeds.forEach((s, i) => {
    for (const w of s.bundle.workflows) lastSeedOfKey.set(w.key, i);
  });
  const result: SeedBundle[] = [];
  seeds.forEach((s, i) => {
    const workflows = s.bundle.workflows.filter((w) => lastSeedOfKey.get(w.key) === i);
    if (workflows.length === s.bundle.workflows.length) result.push(s);
    else if (workflows.length > 0) result.push({ file: s.file, bundle: { ...s.bundle, workflows } });
  });
  return result;
}

/**
 * Reads a seeds folder as `up` would leave it (see {@link collectFinalSeedState}): the bundles to
 * import, each with its file. A misnamed file is `INVALID_SEED_NAME`. Every seed is first checked
 * whole, as `up` checks a seed before applying it (a later seed does not excuse an earlier seed's
 * bad version), so each problem names its own place in its own file; every bad seed is reported
 * in one error.
 */
export async function readSeedFolderSources(dir: string, catalog: RuntimeCatalog): Promise<BundleSource[]> {
  const listing = await listSeedFiles(dir, { mustExist: true });
  // Loaded here, not statically: the seed runner reads seed names from this module and must not
  // load the schema library on a no-op `up`.
  const { checkSources } = await import("./check-sources.js");
  const seeds: SeedBundle[] = [];
  const issues: Issue[] = [];
  for (const seed of listing.seeds) {
    const parsed = parseJsonText(await readTextFile(seed.path), { file: seed.path });
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    const source = { bundle: parsed.value, file: seed.path };
    try {
      checkSources([source], catalog);
    } catch (error) {
      if (!(error instanceof WorkflowSeederError)) throw error;
      issues.push(...error.issues);
      continue;
    }
    // It passed the checks: a workflow bundle.
    seeds.push(source as SeedBundle);
  }
  if (issues.length > 0) throw new WorkflowSeederError(issues);
  return collectFinalSeedState(seeds);
}
