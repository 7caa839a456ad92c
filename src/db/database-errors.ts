import { type Issue, issue, WorkflowSeederError } from "../errors.js";

interface PgError {
  code?: string;
  constraint?: string;
  table?: string;
  detail?: string;
  message?: string;
}

function isPgError(error: unknown): error is PgError {
  return typeof error === "object" && error !== null && typeof (error as PgError).code === "string";
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08003",
  "08006",
  "08001",
  "08004",
]);

/**
 * Finds which workflow a database message is about: first by a workflow id it contains (the
 * failing row of either workflow table holds one), then by a key that appears as a whole value.
 * Keys are written with [a-z0-9._-] only, so the message is cut into runs of those characters; a
 * substring match would name key "published" for any row whose status is 'published'.
 */
function findKey(text: string, keys: readonly string[], keysById: ReadonlyMap<string, string>): string | null {
  const lower = text.toLowerCase();
  for (const [id, key] of keysById) if (lower.includes(id.toLowerCase())) return key;
  const values = new Set(text.split(/[^a-z0-9._-]+/));
  let best: string | null = null;
  for (const key of keys) if (values.has(key) && (best === null || key.length > best.length)) best = key;
  return best;
}

/**
 * Maps a database error to an issue: SQLSTATE class 23 (integrity constraint violation: unique,
 * foreign key, not-null, check, exclusion) to `DATABASE_CONSTRAINT_VIOLATION` with the
 * constraint, table and (when the message names one) the workflow key; anything else that the
 * server reported to `DATABASE_ERROR`. Returns `null` for errors that are not database errors.
 */
export function toDatabaseIssue(
  error: unknown,
  keys: readonly string[] = [],
  keysById: ReadonlyMap<string, string> = new Map(),
): Issue | null {
  if (error instanceof WorkflowSeederError) return error.issue;
  const message = error instanceof Error ? error.message : "";
  if (
    (isPgError(error) && CONNECTION_ERROR_CODES.has(error.code as string)) ||
    /Connection terminated|Client has encountered a connection error|connection timeout|Knex: Timeout acquiring a connection/i.test(
      message,
    )
  )
    return issue("DATABASE_UNAVAILABLE", {
      target: "the database",
      reason: `the connection was lost (${message || (error as PgError).code})`,
    });
  if (!isPgError(error) || !/^[0-9A-Z]{5}$/.test(error.code ?? "")) return null;
  const sqlState = error.code as string;
  if (sqlState.startsWith("23"))
    return issue("DATABASE_CONSTRAINT_VIOLATION", {
      constraint: error.constraint ?? null,
      table: error.table ?? null,
      sqlState,
      workflowKey: findKey(`${error.detail ?? ""} ${error.message ?? ""}`, keys, keysById),
      detail: error.detail ?? null,
    });
  return issue("DATABASE_ERROR", { sqlState, reason: (error.message ?? "").replace(/^.* - /s, "") });
}

/**
 * Rethrows a database error as a {@link WorkflowSeederError}; anything else unchanged. `keys` and
 * `keysById` (workflow id → key) name the workflow a constraint violation is about.
 */
export function rethrowAsDatabaseError(
  error: unknown,
  keys: readonly string[] = [],
  keysById: ReadonlyMap<string, string> = new Map(),
): never {
  if (error instanceof WorkflowSeederError) throw error;
  const mapped = toDatabaseIssue(error, keys, keysById);
  if (mapped) throw new WorkflowSeederError(mapped, { cause: error });
  throw error;
}
