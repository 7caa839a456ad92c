import { createHash } from "node:crypto";
import { canonicalizeJson } from "./canonical-json.js";

/** The checksum algorithm recorded with every checksum, so it can change later. */
export const CHECKSUM_ALGORITHM = "sha256-canonical-json-v1";

/**
 * Hashes the canonical form of a JSON value: formatting, key order and line endings of the
 * source file do not change the result.
 */
export function hashCanonicalJson(value: unknown): string {
  return createHash("sha256").update(canonicalizeJson(value)).digest("hex");
}
