/**
 * The real Alga bundles in ../shared/corpus/alga. Tests that need them fail on CI when the folder
 * is missing (and are skipped, loudly, elsewhere).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Absolute path of the corpus folder. */
export const CORPUS_DIR = resolve(
  process.env.WORKFLOW_SEEDER_CORPUS ?? join(process.cwd(), "..", "shared", "corpus", "alga"),
);

/** The file that is known not to be valid JSON. */
export const BROKEN_JSON_FILE = "server-fixture.email-processing.v1.json";

/** True when the corpus is available. */
export function hasCorpus(): boolean {
  return existsSync(CORPUS_DIR);
}

/** Call in a `before` hook: fails on CI without the corpus, skips the suite elsewhere. */
export function requireCorpus(context: Mocha.Context): void {
  if (hasCorpus()) return;
  if (process.env.CI) throw new Error(`the corpus is missing: ${CORPUS_DIR}`);
  console.warn(`skipping: corpus not found at ${CORPUS_DIR}`);
  context.skip();
}

/** Names of every corpus file, sorted. */
export function listCorpusFiles(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

/** The text of one corpus file. */
export function readCorpusText(name: string): string {
  return readFileSync(join(CORPUS_DIR, name), "utf8");
}

/** One corpus bundle, parsed. */
export function readCorpusBundle(name: string): Record<string, unknown> {
  return JSON.parse(readCorpusText(name)) as Record<string, unknown>;
}

/** Files expected to import: everything but the broken JSON and the company-* fixtures. */
export function listValidCorpusFiles(): string[] {
  return listCorpusFiles().filter((f) => f !== BROKEN_JSON_FILE && !f.startsWith("company-"));
}
