const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a UUID string in 8-4-4-4-12 hex form, whatever its version and variant bits: exactly
 * what a Postgres `uuid` column stores (real bundles carry ids such as version-2 placeholders).
 */
export function isUuidString(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}
