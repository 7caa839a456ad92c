/**
 * The benchmark's workload: N copies of the real Alga corpus under new keys and ids, plus the
 * project's own seeds. `build*`/`collect*` are pure; `read*`/`write*` touch the file system.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { v5 as uuidv5 } from "uuid";
import { isJsonObject, type JsonObject } from "../src/format/json-value.js";
import { computePortableWorkflowId, PORTABLE_WORKFLOW_ID_NAMESPACE } from "../src/format/portable-id.js";

/** Corpus files that cannot be imported: invalid JSON, and the company-* bundles (missing dependencies). */
export function isBenchCorpusFile(file: string): boolean {
  return file.endsWith(".json") && file !== "server-fixture.email-processing.v1.json" && !file.startsWith("company-");
}

/** One bundle file: its name, its text and its parsed value. */
export interface BenchBundle {
  file: string;
  text: string;
  bundle: JsonObject;
}

/** Reads every `.json` file of a folder (sorted by name); `filter` picks the files. */
export async function readBundleFiles(dir: string, filter: (file: string) => boolean): Promise<BenchBundle[]> {
  const files = (await readdir(dir)).filter(filter).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(join(dir, file), "utf8");
      return { file, text, bundle: JSON.parse(text) as JsonObject };
    }),
  );
}

/** The text of every file of a folder that `filter` picks, parsed or not (for validation runs). */
export async function readTexts(
  dir: string,
  filter: (file: string) => boolean,
): Promise<{ file: string; text: string }[]> {
  const files = (await readdir(dir)).filter(filter).sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(join(dir, file), "utf8") })));
}

/** The key a corpus workflow gets in copy `copy` (1-based). */
export function buildCopyKey(key: string, copy: number): string {
  return `bench.s${copy}.${key}`;
}

/** The definition id a corpus definition id gets in copy `copy`: deterministic, unique per copy. */
export function buildCopyId(id: string, copy: number): string {
  return uuidv5(`bench.s${copy}:${id.toLowerCase()}`, PORTABLE_WORKFLOW_ID_NAMESPACE);
}

function workflowsOf(bundle: JsonObject): JsonObject[] {
  return Array.isArray(bundle.workflows) ? bundle.workflows.filter(isJsonObject) : [];
}

function definitionsOf(workflow: JsonObject): unknown[] {
  const draft = isJsonObject(workflow.draft) ? workflow.draft.definition : undefined;
  const versions = Array.isArray(workflow.publishedVersions) ? workflow.publishedVersions : [];
  return [draft, ...versions.map((v) => (isJsonObject(v) ? v.definition : undefined))];
}

/**
 * Every id a copy must rename: the definition ids of the given bundles and the portable ids of
 * their keys, mapped to their copy's counterparts (so references inside a copy stay inside it).
 */
export function collectCopyIdMap(bundles: readonly JsonObject[], copy: number): Map<string, string> {
  const map = new Map<string, string>();
  for (const bundle of bundles)
    for (const workflow of workflowsOf(bundle))
      for (const definition of definitionsOf(workflow))
        if (isJsonObject(definition) && typeof definition.id === "string")
          map.set(definition.id.toLowerCase(), buildCopyId(definition.id, copy));
  // Portable ids last: a definition id that is its key's portable id (as in exported bundles)
  // becomes the copy key's portable id, keeping that invariant.
  for (const bundle of bundles)
    for (const workflow of workflowsOf(bundle))
      if (typeof workflow.key === "string")
        map.set(computePortableWorkflowId(workflow.key), computePortableWorkflowId(buildCopyKey(workflow.key, copy)));
  return map;
}

/** Replaces every string of a JSON value that `ids` maps (copy on write). */
function renameIds(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") return ids.get(value.toLowerCase()) ?? value;
  if (Array.isArray(value)) return value.map((item) => renameIds(item, ids));
  if (isJsonObject(value)) {
    const result: JsonObject = {};
    for (const [k, v] of Object.entries(value)) result[k] = renameIds(v, ids);
    return result;
  }
  return value;
}

/** One bundle of the corpus as it appears in copy `copy`: new keys, new definition ids. */
export function buildBundleCopy(bundle: JsonObject, copy: number, ids: ReadonlyMap<string, string>): JsonObject {
  return {
    ...bundle,
    workflows: workflowsOf(bundle).map((workflow) => {
      const draft = isJsonObject(workflow.draft) ? workflow.draft : {};
      const versions = Array.isArray(workflow.publishedVersions) ? workflow.publishedVersions : [];
      return {
        ...workflow,
        key: buildCopyKey(String(workflow.key), copy),
        draft: { ...draft, definition: renameIds(draft.definition, ids) },
        publishedVersions: versions.map((v) =>
          isJsonObject(v) ? { ...v, definition: renameIds(v.definition, ids) } : v,
        ),
      };
    }),
  };
}

/** Options of {@link buildWorkload}. */
export interface WorkloadOptions {
  /** How many copies of the corpus. */
  scale: number;
}

/** The workload: every copy of every corpus bundle, in copy order, then the project's seeds. */
export interface Workload {
  bundles: { file: string; bundle: JsonObject }[];
  workflows: number;
  versions: number;
}

/** Counts the workflows and published versions of bundles. */
export function countWorkload(bundles: readonly { bundle: JsonObject }[]): { workflows: number; versions: number } {
  let workflows = 0;
  let versions = 0;
  for (const { bundle } of bundles)
    for (const w of workflowsOf(bundle)) {
      workflows++;
      versions += Array.isArray(w.publishedVersions) ? w.publishedVersions.length : 0;
    }
  return { workflows, versions };
}

/**
 * N copies of the corpus under keys `bench.s<copy>.<key>` (definition ids renamed per copy, so
 * copies never collide), followed by the project's own seeds under their own keys.
 *
 * @example buildWorkload(corpus, seeds, { scale: 10 }) // ~1,970 corpus workflows + the seeds
 */
export function buildWorkload(
  corpus: readonly { file: string; bundle: JsonObject }[],
  seeds: readonly { file: string; bundle: JsonObject }[],
  options: WorkloadOptions,
): Workload {
  if (!Number.isInteger(options.scale) || options.scale < 1) throw new RangeError("scale must be a positive integer");
  const bundles: Workload["bundles"] = [];
  const values = corpus.map((c) => c.bundle);
  for (let copy = 1; copy <= options.scale; copy++) {
    const ids = collectCopyIdMap(values, copy);
    for (const c of corpus) bundles.push({ file: `s${copy}/${c.file}`, bundle: buildBundleCopy(c.bundle, copy, ids) });
  }
  for (const s of seeds) bundles.push({ file: s.file, bundle: s.bundle });
  return { bundles, ...countWorkload(bundles) };
}

/**
 * The first `count` workflows of a workload, bundle by bundle (the last bundle is cut when it
 * holds more than needed). Throws when the workload is smaller than `count`.
 */
export function takeWorkflows(bundles: readonly { file: string; bundle: JsonObject }[], count: number): Workload {
  const taken: Workload["bundles"] = [];
  let left = count;
  for (const b of bundles) {
    if (left === 0) break;
    const workflows = workflowsOf(b.bundle);
    if (workflows.length === 0) continue;
    const kept = workflows.slice(0, left);
    taken.push(kept.length === workflows.length ? b : { file: b.file, bundle: { ...b.bundle, workflows: kept } });
    left -= kept.length;
  }
  if (left > 0) throw new RangeError(`the workload has fewer than ${count} workflows`);
  return { bundles: taken, ...countWorkload(taken) };
}

/**
 * Seed file names for bundles, in order: `2026-03-01T00.00.00.<n>-<name>.bundle.json` with one
 * second between seeds, so they sort (and apply) in the given order after the project's seeds.
 */
export function buildSeedFileNames(files: readonly string[]): string[] {
  const start = Date.UTC(2026, 2, 1);
  return files.map((file, i) => {
    const stamp = new Date(start + i * 1000).toISOString().slice(0, 19).replace(/:/g, ".");
    const name = file
      .replace(/\.bundle\.json$|\.json$/, "")
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "");
    return `${stamp}.${String(i).padStart(4, "0")}-${name}.bundle.json`;
  });
}

/**
 * Writes a seeds folder: the project's seed files as they are, then the other bundles as seeds
 * named by {@link buildSeedFileNames}. Returns the folder.
 */
export async function writeSeedsDir(
  dir: string,
  projectSeeds: readonly BenchBundle[],
  bundles: readonly { file: string; bundle: JsonObject }[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const s of projectSeeds) await writeFile(join(dir, s.file), s.text);
  const names = buildSeedFileNames(bundles.map((b) => b.file));
  await Promise.all(
    bundles.map((b, i) => writeFile(join(dir, names[i] as string), `${JSON.stringify(b.bundle, null, 2)}\n`)),
  );
  return dir;
}
