import { fail, type Issue, renderIssueMessage, WorkflowSeederError } from "../errors.js";
import type { ExportOptions } from "../export/export-bundle.js";
import type { ConflictPolicy, ImportResult } from "../import/import-bundle.js";
import { parseHttpErrorBody, rewordIssueReports } from "./error-body.js";

/** A workflow-seeder API to talk to. */
export interface RemoteServer {
  /** Base URL, e.g. `http://127.0.0.1:3000` (a path prefix behind a proxy is kept). */
  url: string;
  /** Bearer token; omitted for a server started with `--insecure-local`. */
  token?: string;
  /** How long to wait for an answer. Default {@link DEFAULT_REMOTE_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** How long a remote call waits by default: 5 minutes (a large import takes time). */
export const DEFAULT_REMOTE_TIMEOUT_MS = 300_000;

/** Options of {@link importBundleOverHttp}, as those of `importBundle`. */
export interface RemoteImportOptions {
  tenant: string;
  /** Default: the server's default, `fail`. */
  onConflict?: ConflictPolicy;
  actor?: string | null;
  /** The file the bundle came from: added to the details of errors about it, as a local import does. */
  file?: string;
}

// The codes whose details name the file of the bundle (`file?` in IssueDetailsByCode).
const FILE_CODES: ReadonlySet<string> = new Set([
  "INVALID_JSON",
  "INVALID_BUNDLE",
  "UNSUPPORTED_FORMAT",
  "UNSUPPORTED_FORMAT_VERSION",
  "SCHEMA_VALIDATION_FAILED",
  "DUPLICATE_WORKFLOW_KEY",
  "DUPLICATE_VERSION",
  "VALUE_OUT_OF_RANGE",
  "INVALID_DEFINITION",
  "MISSING_DEPENDENCIES",
]);

function endpoint(server: RemoteServer, path: string): URL {
  let base: URL;
  try {
    base = new URL(server.url.endsWith("/") ? server.url : `${server.url}/`);
  } catch {
    return fail("INVALID_ARGUMENT", {
      option: "--server",
      received: server.url,
      expected: "an http:// or https:// URL",
    });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:")
    fail("INVALID_ARGUMENT", { option: "--server", received: server.url, expected: "an http:// or https:// URL" });
  return new URL(path, base);
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === "ECONNREFUSED") return "connection refused (is `workflow-seeder serve` running there?)";
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function withFile(value: Issue, file: string | undefined): Issue {
  if (file === undefined || !FILE_CODES.has(value.code)) return value;
  const details = value.details as { file?: string };
  return details.file === undefined ? ({ code: value.code, details: { file, ...details } } as Issue) : value;
}

/** Turns an error answer back into the error the server raised (or `REMOTE_ERROR`). */
function toRemoteError(url: URL, status: number, text: string, file: string | undefined): WorkflowSeederError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const issues = parseHttpErrorBody(body);
  if (issues) return new WorkflowSeederError(issues.map((i) => withFile(i, file)));
  const shown = `${url.origin}${url.pathname}`;
  // Not ours, or from a newer server: keep what it says. Alga's server answers {"error": "<message>"}.
  const fields = (body ?? {}) as { error?: unknown; code?: unknown; message?: unknown };
  const nested = typeof fields.error === "object" && fields.error !== null ? (fields.error as typeof fields) : fields;
  const code = typeof nested.code === "string" ? nested.code : null;
  const message =
    typeof nested.message === "string"
      ? nested.message
      : typeof fields.error === "string"
        ? fields.error
        : `not a workflow-seeder API answer: ${JSON.stringify(text.slice(0, 200))}`;
  return new WorkflowSeederError({ code: "REMOTE_ERROR", details: { url: shown, status, code, message } });
}

async function call(
  server: RemoteServer,
  url: URL,
  init: { method: string; tenant: string; body?: string; file?: string },
): Promise<{ text: string; contentType: string | null }> {
  const timeoutMs = server.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
  const headers: Record<string, string> = { accept: "application/json", "x-tenant-id": init.tenant };
  if (server.token !== undefined) headers.authorization = `Bearer ${server.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: init.method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    return fail("REMOTE_UNAVAILABLE", { url: url.origin, reason: describeFetchError(error, timeoutMs) }, error);
  }
  if (!response.ok) throw toRemoteError(url, response.status, text, init.file);
  return { text, contentType: response.headers.get("content-type") };
}

/**
 * Imports a bundle through `POST /api/workflow-definitions/import` of a workflow-seeder API. Errors
 * of the server come back as the same {@link WorkflowSeederError} (code and details) a local
 * `importBundle` throws; an unreachable server is `REMOTE_UNAVAILABLE`.
 *
 * @example await importBundleOverHttp({ url, token }, bundle, { tenant, onConflict: "update" })
 */
export async function importBundleOverHttp(
  server: RemoteServer,
  bundle: unknown,
  options: RemoteImportOptions,
): Promise<ImportResult> {
  const url = endpoint(server, "api/workflow-definitions/import");
  if (options.onConflict !== undefined) url.searchParams.set("onConflict", options.onConflict);
  if (options.actor) url.searchParams.set("actor", options.actor);
  const { text } = await call(server, url, {
    method: "POST",
    tenant: options.tenant,
    body: JSON.stringify(bundle),
    ...(options.file === undefined ? {} : { file: options.file }),
  });
  let result: ImportResult;
  try {
    result = JSON.parse(text) as ImportResult;
  } catch {
    throw toRemoteError(url, 200, text, undefined);
  }
  // The server words its warnings for HTTP clients: in the CLI's wording again, as a local import has them.
  return Array.isArray(result.warnings)
    ? { ...result, warnings: rewordIssueReports(result.warnings, (i) => renderIssueMessage(i)) }
    : result;
}

/**
 * Exports workflows through `GET /api/workflow-definitions/export` of a workflow-seeder API and
 * returns the canonical bundle text exactly as served (the same bytes a local export writes).
 *
 * @example const text = await exportBundleOverHttp({ url, token }, { tenant, keys: ["a"] })
 */
export async function exportBundleOverHttp(server: RemoteServer, options: ExportOptions): Promise<string> {
  const url = endpoint(server, "api/workflow-definitions/export");
  for (const key of options.keys ?? []) url.searchParams.append("key", key);
  for (const id of options.workflowIds ?? []) url.searchParams.append("workflowId", id);
  if (options.all) url.searchParams.set("all", "true");
  if (options.withCalledWorkflows) url.searchParams.set("withCalledWorkflows", "true");
  if (options.exportedAt !== undefined) url.searchParams.set("exportedAt", options.exportedAt);
  const { text, contentType } = await call(server, url, { method: "GET", tenant: options.tenant });
  if (!contentType?.startsWith("application/json")) throw toRemoteError(url, 200, text, undefined);
  return text;
}
