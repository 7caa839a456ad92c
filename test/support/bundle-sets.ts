/**
 * The sets of real-looking workflow bundles the data-driven suites run on: the project's own
 * fixture set (`test/fixtures/bundles`, always there, described by its generated manifest) and,
 * when it is present, Alga's corpus (`../shared/corpus/alga`, described by the facts in
 * `alga-corpus.ts`). A suite declared with {@link describeEachBundleSet} runs once per available
 * set, so a fresh clone without `../shared` runs every test, none pending.
 *
 * Environment: `WORKFLOW_SEEDER_CORPUS` moves the corpus folder (point it at a missing folder to
 * run as a fresh clone would); `WORKFLOW_SEEDER_REQUIRE_CORPUS=1` turns a missing corpus into a
 * failing test (the project's CI sets it, so the compatibility checks cannot vanish silently).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  FIXTURE_BUNDLES_DIR,
  FIXTURE_MANIFEST_FILE,
  type FixtureManifest,
  type FixtureRole,
} from "../fixtures/fixture-bundles.js";
import { ALGA_CORPUS_FACTS } from "./alga-corpus.js";

type Json = Record<string, unknown>;

/** The project root: tests run from it (`npm test`, `npx mocha dist/test/...`). */
export const PROJECT_DIR = process.cwd();

/** Names a file needs that the default catalog does not register. */
export interface MissingNames {
  actions: string[];
  nodeTypes: string[];
  schemaRefs: string[];
}

/** A file the dependency check must reject, and with what. */
export interface MissingDependencyFile extends MissingNames {
  file: string;
}

/** One set of bundle files and the facts the suites may rely on. */
export interface BundleSet {
  /** For test titles: "fixtures" or "alga corpus". */
  name: string;
  /** Absolute folder of the files. */
  dir: string;
  /** Every `.json` file name, sorted. */
  files: readonly string[];
  /** Files every check accepts with the default catalog. */
  validFiles: readonly string[];
  /** Files rejected with MISSING_DEPENDENCIES, each with exactly what it lacks. */
  missingDependencyFiles: readonly MissingDependencyFile[];
  /** The file that is not JSON, and where a parser stops (1-based). */
  invalidJson: { file: string; line: number; column: number };
  /** Workflows in the valid files. */
  workflowCount: number;
  /** Names of the `$secret` references the valid files use. */
  secrets: readonly string[];
  /** Absolute path of a file. */
  path(file: string): string;
  readText(file: string): string;
  /** A file parsed (throws on the invalid one). */
  readBundle(file: string): Json;
}

function createBundleSet(fields: Omit<BundleSet, "path" | "readText" | "readBundle">): BundleSet {
  const path = (file: string) => join(fields.dir, file);
  const readText = (file: string) => readFileSync(path(file), "utf8");
  return { ...fields, path, readText, readBundle: (file) => JSON.parse(readText(file)) as Json };
}

function listJson(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

/** The fixture manifest, parsed. */
export function readFixtureManifest(): FixtureManifest {
  return JSON.parse(readFileSync(join(PROJECT_DIR, FIXTURE_MANIFEST_FILE), "utf8")) as FixtureManifest;
}

let fixtures: BundleSet | undefined;

/** The project's own fixture set; its facts come from `test/fixtures/bundles.manifest.json`. */
export function fixtureSet(): BundleSet {
  if (fixtures) return fixtures;
  const manifest = readFixtureManifest();
  const invalid = manifest.files.find((f) => f.kind === "invalid-json");
  if (!invalid?.invalidJson) throw new Error("the fixture manifest names no invalid-JSON file");
  fixtures = createBundleSet({
    name: "fixtures",
    dir: join(PROJECT_DIR, FIXTURE_BUNDLES_DIR),
    files: manifest.files.map((f) => f.file),
    validFiles: manifest.files.filter((f) => f.kind === "valid").map((f) => f.file),
    missingDependencyFiles: manifest.files.flatMap((f) =>
      f.kind === "missing-dependencies" && f.missing ? [{ file: f.file, ...f.missing }] : [],
    ),
    invalidJson: { file: invalid.file, ...invalid.invalidJson },
    workflowCount: manifest.counts.workflows,
    secrets: manifest.coverage.secrets,
  });
  return fixtures;
}

/** The file of a scenario role in the fixture set, with its workflow keys. */
export function fixtureFile(role: FixtureRole): { file: string; path: string; keys: string[] } {
  const manifest = readFixtureManifest();
  const file = manifest.roles[role];
  const entry = manifest.files.find((f) => f.file === file);
  if (!entry) throw new Error(`the fixture manifest has no file for role ${role}`);
  return { file, path: fixtureSet().path(file), keys: entry.workflows };
}

/** Absolute path of Alga's corpus folder (`WORKFLOW_SEEDER_CORPUS` overrides it). */
export const CORPUS_DIR = resolve(
  process.env.WORKFLOW_SEEDER_CORPUS ?? join(PROJECT_DIR, "..", "shared", "corpus", "alga"),
);

/** True when a missing corpus must fail the run (`WORKFLOW_SEEDER_REQUIRE_CORPUS=1`). */
export const CORPUS_REQUIRED = process.env.WORKFLOW_SEEDER_REQUIRE_CORPUS === "1";

let corpus: BundleSet | null | undefined;

/** Alga's corpus as a set, or null when its folder is missing. Its facts come from `alga-corpus.ts`. */
export function corpusSet(): BundleSet | null {
  if (corpus !== undefined) return corpus;
  if (!existsSync(CORPUS_DIR)) {
    corpus = null;
    return corpus;
  }
  const files = listJson(CORPUS_DIR);
  const facts = ALGA_CORPUS_FACTS;
  const excluded = new Set([facts.invalidJson.file, ...facts.missingDependencyFiles.map((f) => f.file)]);
  const set = createBundleSet({
    name: "alga corpus",
    dir: CORPUS_DIR,
    files,
    validFiles: files.filter((f) => !excluded.has(f)),
    missingDependencyFiles: facts.missingDependencyFiles,
    invalidJson: facts.invalidJson,
    workflowCount: facts.workflows,
    secrets: [],
  });
  corpus = set;
  return corpus;
}

/** The sets available here: the fixtures always, the corpus when present. */
export function bundleSets(): BundleSet[] {
  const found = corpusSet();
  return found ? [fixtureSet(), found] : [fixtureSet()];
}

/**
 * Declares `fn` as a suite per available bundle set ("<title> [fixtures]", "<title> [alga corpus]").
 * Without the corpus its suite is left out (one note on stderr), or, with
 * `WORKFLOW_SEEDER_REQUIRE_CORPUS=1`, replaced by one failing test.
 */
export function describeEachBundleSet(title: string, fn: (set: BundleSet) => void): void {
  for (const set of bundleSets()) describe(`${title} [${set.name}]`, () => fn(set));
  if (!corpusSet()) declareMissingCorpus(`${title} [alga corpus]`, "describe");
}

/** Declares `fn` as one test per available bundle set, inside the current suite; a missing corpus as above. */
export function itEachBundleSet(
  title: string,
  fn: (this: Mocha.Context, set: BundleSet) => void | Promise<void>,
): void {
  for (const set of bundleSets())
    it(`${title} [${set.name}]`, function () {
      return fn.call(this, set);
    });
  if (!corpusSet()) declareMissingCorpus(`${title} [alga corpus]`, "it");
}

/**
 * Declares `fn` only when the corpus is present (for suites about particular corpus bundles); a
 * missing corpus as in {@link describeEachBundleSet}.
 */
export function describeCorpus(title: string, fn: (set: BundleSet) => void): void {
  const found = corpusSet();
  if (found) describe(`${title} [alga corpus]`, () => fn(found));
  else declareMissingCorpus(`${title} [alga corpus]`, "describe");
}

let reported = false;

function declareMissingCorpus(title: string, level: "describe" | "it"): void {
  if (CORPUS_REQUIRED) {
    const fail = () => {
      throw new Error(`WORKFLOW_SEEDER_REQUIRE_CORPUS=1 and the corpus is missing: ${CORPUS_DIR}`);
    };
    if (level === "it") it(title, fail);
    else describe(title, () => it("needs the corpus", fail));
  } else if (!reported) {
    reported = true;
    console.warn(`note: Alga's corpus is not at ${CORPUS_DIR}; its suites are left out (the fixture set runs)`);
  }
}
