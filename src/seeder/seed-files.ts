import { createHash } from "node:crypto";
import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { type Issue, issue, WorkflowSeederError } from "../errors.js";
import type { WorkflowBundle } from "../format/bundle-schema.js";
import { CHECKSUM_ALGORITHM, hashCanonicalJson } from "../format/checksum.js";
import { collectJsonLimitProblems } from "../format/json-limits.js";
import { parseJsonText } from "../format/parse-json.js";
import { readTextFileSync } from "../import/read-files.js";
import { parseSeedFileName, SEED_SUFFIX, type SeedFile } from "../import/seed-folder.js";

/** The default seeds folder, relative to the project directory. */
export const DEFAULT_SEEDS_DIR = "seeds/workflows";

export {
  isIgnoredSeedFolderEntry,
  listSeedFiles,
  parseSeedFileName,
  SEED_FILE_PATTERN,
  SEED_FILE_PATTERN_TEXT,
  SEED_SUFFIX,
  type SeedFile,
  type SeedListing,
} from "../import/seed-folder.js";

/** A seed read from disk: its checked bundle and the checksum of its canonical content. */
export interface LoadedSeed extends SeedFile {
  bundle: WorkflowBundle;
  checksum: string;
  checksumAlgorithm: string;
  /** SHA-256 of the file's bytes as read. */
  fileHash: string;
  warnings: Issue[];
}

/** SHA-256 of a seed file's text (its bytes, for UTF-8 files). */
export function hashSeedText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Reads a seed file's text and the hash of its bytes. */
export async function readSeedText(seed: SeedFile): Promise<{ text: string; fileHash: string }> {
  let text: string;
  try {
    // Seed files are small and read by the hundred: synchronous reads cost a fraction of async ones.
    text = readTextFileSync(seed.path);
  } catch (error) {
    // Bytes that are not UTF-8 are a problem of the seed, named like any other.
    if (error instanceof WorkflowSeederError && error.code === "INVALID_JSON")
      throw new WorkflowSeederError(issue("INVALID_SEED_BUNDLE", { seed: seed.name, issue: error.issue }));
    throw error;
  }
  return { text, fileHash: hashSeedText(text) };
}

/** Reads a seed file and computes its checksum (no validation; for drift checks). */
export async function readSeedChecksum(
  seed: SeedFile,
  read?: { text: string; fileHash: string },
): Promise<{ value: unknown; checksum: string; fileHash: string }> {
  const { text, fileHash } = read ?? (await readSeedText(seed));
  const json = parseJsonText(text, { file: seed.path });
  if (!json.ok)
    throw new WorkflowSeederError(issue("INVALID_SEED_BUNDLE", { seed: seed.name, issue: json.issues[0] as Issue }));
  // The canonical serializer behind the checksum throws on values no bundle may hold (Infinity,
  // thousands of levels): refuse them as a bundle problem first.
  const limits = collectJsonLimitProblems(json.value);
  if (limits.length > 0)
    throw new WorkflowSeederError(
      issue("INVALID_SEED_BUNDLE", {
        seed: seed.name,
        issue: issue("VALUE_OUT_OF_RANGE", { file: seed.path, errors: limits }),
      }),
    );
  return { value: json.value, checksum: hashCanonicalJson(json.value), fileHash };
}

/**
 * Reads and checks a seed (every offline check of a bundle, with the given catalog). A seed that
 * fails is `INVALID_SEED_BUNDLE` naming the seed.
 */
export async function loadSeed(seed: SeedFile, catalog: RuntimeCatalog): Promise<LoadedSeed> {
  const { value, checksum, fileHash } = await readSeedChecksum(seed);
  // Loaded on demand: the schemas are not needed to tell that nothing is pending.
  const { checkBundle } = await import("../catalog/check-bundle.js");
  const checked = checkBundle(value, { file: seed.path, catalog });
  if (!checked.ok)
    throw new WorkflowSeederError(
      checked.issues.map((i) => issue("INVALID_SEED_BUNDLE", { seed: seed.name, issue: i })),
    );
  return {
    ...seed,
    bundle: checked.bundle,
    checksum,
    checksumAlgorithm: CHECKSUM_ALGORITHM,
    fileHash,
    warnings: checked.warnings,
  };
}

/**
 * Loads seeds in order, checking every one before failing: one error carries the issues of every
 * bad seed, so a run that writes nothing names all of them at once.
 */
export async function loadSeeds(seeds: readonly SeedFile[], catalog: RuntimeCatalog): Promise<LoadedSeed[]> {
  const loaded: LoadedSeed[] = [];
  const failures: Issue[] = [];
  for (const seed of seeds) {
    try {
      loaded.push(await loadSeed(seed, catalog));
    } catch (error) {
      if (!(error instanceof WorkflowSeederError)) throw error;
      failures.push(...error.issues);
    }
  }
  if (failures.length > 0) throw new WorkflowSeederError(failures);
  return loaded;
}

/**
 * True when `target` (a `--to` value) names the seed called `name`: its name, its file name, or
 * its version prefix.
 */
export function isSeedTarget(name: string, target: string): boolean {
  const file = `${name}${SEED_SUFFIX}`;
  return name === target || file === target || parseSeedFileName(file)?.version === target;
}

/** A version prefix for a seed created at `now` (UTC, `YYYY-MM-DDTHH.MM.SS`). */
export function formatSeedVersion(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/:/g, ".");
}

/**
 * The version prefix for a new seed: `now`, or one second after the latest existing timestamp
 * prefix when the clock is behind it, so the new seed always sorts last.
 */
export function planNextSeedVersion(existing: readonly SeedFile[], now: Date): string {
  let candidate = formatSeedVersion(now);
  const latest = existing
    .map((s) => s.version)
    .filter((v) => v.includes("T"))
    .sort()
    .at(-1);
  if (latest !== undefined && candidate <= latest) {
    const parsed = new Date(`${latest.slice(0, 10)}T${latest.slice(11).replace(/\./g, ":")}Z`);
    candidate = formatSeedVersion(new Date(parsed.getTime() + 1000));
  }
  return candidate;
}

/**
 * A seed name from free text: lower case, `[a-z0-9._-]`, no leading separator. An accented
 * letter keeps its base letter (`Café` gives `cafe`, not `caf`); other characters become `-`.
 */
export function slugifySeedName(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "")
    .slice(0, 100);
}
