import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Knex } from "knex";
import type { RuntimeCatalog } from "../catalog/runtime-catalog.js";
import type { Database } from "../db/connection.js";
import { toDatabaseIssue } from "../db/database-errors.js";
import { fail, issue, type ValidationResult, WorkflowSeederError } from "../errors.js";
import { exportBundle } from "../export/export-bundle.js";
import { type ExportOptionSource, type ExportOptionsInput, parseExportOptions } from "../export/export-options.js";
import { canonicalizeJson } from "../format/canonical-json.js";
import { parseJsonText } from "../format/parse-bundle.js";
import { decodeUtf8 } from "../format/parse-json.js";
import { isUuidString } from "../format/portable-id.js";
import { importBundle } from "../import/import-bundle.js";
import { type ImportOptionSource, parseImportOptions } from "../import/import-options.js";
import {
  type ApiToken,
  createTokenMatcher,
  impliedTenantOf,
  isTenantAllowed,
  validateApiTokens,
} from "./api-tokens.js";
import { authenticateRequest } from "./authenticate-request.js";
import { renderHttpIssueMessage, rewordIssueReports, toHttpErrorBody } from "./error-body.js";
import { statusOfCode } from "./error-status.js";
import { assertKnownParams, type QueryParams, readExportQuery, readImportQuery } from "./query-params.js";
import { type LogSink, writeLogEntry } from "./request-log.js";

/** The largest request body accepted by default: 10 MiB. */
export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

/** The media type of bundles and of every JSON answer. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** The file name offered by the export routes. */
export const EXPORT_FILE_NAME = "workflow-bundle.json";

/**
 * How much of a refused body the server still reads (and discards) before it closes the
 * connection: 64 MiB. A client that is still sending when the server closes gets a broken pipe
 * or a reset instead of the answer; reading the rest lets it see the 413. A larger declared body
 * is not read (the client may then see the reset); a client that sends `Expect: 100-continue`
 * never sends a refused body at all.
 */
export const MAX_DISCARDED_BODY_BYTES = 64 * 1024 * 1024;

/** Settings of the server, shared by {@link createServer} and `startServer`. */
export interface ServerSettings {
  /** Accepted tokens (bearer header or `workflow_seeder_token` cookie). Required unless `insecureLocal`. */
  tokens?: readonly ApiToken[];
  /**
   * Serve without tokens, to loopback clients only (local development). Ignored when tokens are
   * configured: they are then always required. Default false.
   */
  insecureLocal?: boolean;
  /** Largest request body in bytes. Default {@link DEFAULT_BODY_LIMIT}. */
  bodyLimit?: number;
  /** Runtime catalog for the dependency check of imports. Default: Alga's registrations. */
  catalog?: RuntimeCatalog;
  /** Receives one JSON line per request and per fault. Default: no log. */
  logStream?: LogSink;
}

/** Options of {@link createServer}: settings and the database (borrowed: the caller closes it). */
export type ServerOptions = ServerSettings & ({ knex: Knex } | { database: Database });

/** Per-request facts kept out of the request object, for the log. */
interface RequestState {
  tenant: string | null;
  token: ApiToken | null;
  code?: string;
}

const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_ECHOED = 200;

/** True when a socket address is a loopback address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK_ADDRESS.test(address);
}

/**
 * Checks the server settings that do not depend on where it listens: valid tokens, at least one
 * unless `insecureLocal`. Returns the tokens, normalized (tenants in lower case).
 */
export function validateServerSettings(settings: ServerSettings): ValidationResult<ApiToken[]> {
  const tokens = validateApiTokens(settings.tokens ?? []);
  if (tokens.ok && tokens.value.length === 0 && !settings.insecureLocal)
    return {
      ok: false,
      issues: [
        issue("SERVER_CONFIG_INVALID", {
          reason:
            "no API token is configured; set WORKFLOW_SEEDER_API_TOKENS or --token-file (or, for local development only, --insecure-local on a loopback host)",
        }),
      ],
    };
  return tokens;
}

function truncate(value: string): string {
  return value.length > MAX_ECHOED ? `${value.slice(0, MAX_ECHOED)}...` : value;
}

/** How the API's errors name the import and export options: as the query parameters they are. */
const QUERY_OPTIONS: ImportOptionSource & ExportOptionSource = {
  names: {
    onConflict: "query parameter onConflict",
    force: "query parameter force",
    actor: "query parameter actor",
    keys: "query parameter key",
    workflowIds: "query parameter workflowId",
    all: "query parameter all",
    withCalledWorkflows: "query parameter withCalledWorkflows",
    exportedAt: "query parameter exportedAt",
  },
  echo: truncate,
};

/** The charsets a JSON body may declare: JSON is UTF-8 (RFC 8259, section 8.1). */
const JSON_CHARSETS: ReadonlySet<string> = new Set(["utf-8", "utf8"]);

/** The `charset` parameter of a content type, lower-cased; null when there is none. */
function charsetOf(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? "");
  return m ? (m[1] ?? m[2] ?? "").toLowerCase() : null;
}

function expectsContinue(raw: IncomingMessage): boolean {
  return (raw.headers.expect ?? "").toLowerCase() === "100-continue";
}

/**
 * Reads and discards what is left of a request body (at most {@link MAX_DISCARDED_BODY_BYTES}),
 * so that closing the connection after the answer does not reset it under a client still
 * sending. Resolves at once when the body was read, or is declared too large to read.
 */
function discardRequestBody(raw: IncomingMessage): Promise<void> {
  if (raw.complete || raw.readableEnded || raw.destroyed) return Promise.resolve();
  const declared = Number(raw.headers["content-length"]);
  if (declared > MAX_DISCARDED_BODY_BYTES) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      raw.off("data", onData);
      raw.off("end", done);
      raw.off("error", done);
      raw.off("close", done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > MAX_DISCARDED_BODY_BYTES) done();
    };
    raw.on("data", onData);
    raw.once("end", done);
    raw.once("error", done);
    raw.once("close", done);
    raw.resume();
  });
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Turns anything thrown while serving a request into an expected error, or `null` for a fault of
 * the server. Framework errors (body too large, media type) get their codes here.
 */
function toExpectedError(error: unknown, request: FastifyRequest, bodyLimit: number): WorkflowSeederError | null {
  if (error instanceof WorkflowSeederError) return error;
  if (typeof error !== "object" || error === null) return null;
  const code = (error as { code?: unknown }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return new WorkflowSeederError(issue("PAYLOAD_TOO_LARGE", { limitBytes: bodyLimit }));
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return new WorkflowSeederError(
      issue("UNSUPPORTED_MEDIA_TYPE", {
        received: request.headers["content-type"] ?? null,
        expected: "application/json",
      }),
    );
  const database = toDatabaseIssue(error);
  if (database) return new WorkflowSeederError(database, { cause: error });
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500)
    return new WorkflowSeederError(
      issue("INVALID_ARGUMENT", {
        option: "request",
        received: typeof code === "string" ? code : String(statusCode),
        expected: `a well-formed request (${error instanceof Error ? error.message : "rejected by the HTTP layer"})`,
      }),
    );
  return null;
}

/**
 * Creates the HTTP API (a fastify instance, not yet listening):
 *
 * - `GET /api/workflow-definitions/:workflowId/export` one workflow as a canonical bundle
 * - `GET /api/workflow-definitions/export?key=a&key=b|workflowId=...|all=true` several
 * - `POST /api/workflow-definitions/import?onConflict=fail|replace|update|skip&force=true|false`
 * - `GET /healthz` 200 when the database answers, else 503
 *
 * Every `/api` route needs a token, as `Authorization: Bearer <token>` or the
 * `workflow_seeder_token` cookie (see `authenticateRequest`), and an `x-tenant-id` header, which a
 * token restricted to exactly one tenant implies when absent. Errors answer `toHttpErrorBody`
 * (`{error: "<message>", code, message, details}`) with the status of {@link statusOfCode}; a fault
 * of the server answers 500 `INTERNAL_ERROR` with the request id only, and is logged.
 *
 * Throws `SERVER_CONFIG_INVALID` when no token is configured and `insecureLocal` is not set.
 *
 * @example
 * const server = createServer({ knex, tokens: [{ token: "9f3c1e7a2b8d4f60a5c7e9b1d3f5a7c9" }] });
 * await server.listen({ host: "127.0.0.1", port: 3000 });
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const tokens = validateServerSettings(options);
  if (!tokens.ok) throw new WorkflowSeederError(tokens.issues);
  const knex = "knex" in options ? options.knex : options.database.knex;
  const matchToken = createTokenMatcher(tokens.value);
  // With tokens configured they are always required; without, only loopback clients are served.
  const requireToken = tokens.value.length > 0;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const log = options.logStream;
  const states = new WeakMap<FastifyRequest, RequestState>();
  // Requests with `Expect: 100-continue` that were told to send their body.
  const continued = new WeakSet<IncomingMessage>();
  const stateOf = (request: FastifyRequest): RequestState => {
    let state = states.get(request);
    if (!state) {
      state = { tenant: null, token: null };
      states.set(request, state);
    }
    return state;
  };

  const server = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: true,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    frameworkErrors: (error, request, reply) => {
      sendError(request, reply, error);
    },
  });

  function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
    const state = stateOf(request);
    const expected = toExpectedError(error, request, bodyLimit);
    const status = expected ? statusOfCode(expected.code) : 500;
    // A client waiting for 100 Continue has not sent its body: the connection cannot carry another request.
    if (expectsContinue(request.raw) && !continued.has(request.raw) && !request.raw.complete)
      reply.header("connection", "close");
    if (expected && status < 500) {
      state.code = expected.code;
      if (status === 401) reply.header("www-authenticate", 'Bearer realm="workflow-seeder"');
      return reply.code(status).type(JSON_CONTENT_TYPE).send(toHttpErrorBody(expected));
    }
    // The body of a 5xx never carries internals (messages of the driver, hosts, stacks): the log does.
    const original = error instanceof Error ? error : new Error(String(error));
    writeLogEntry(log, {
      level: status === 503 ? "warn" : "error",
      msg: "fault",
      requestId: request.id,
      code: expected?.code ?? "INTERNAL_ERROR",
      message: original.message,
      ...(expected ? {} : { stack: original.stack ?? "" }),
    });
    const answer =
      status === 503
        ? issue("DATABASE_UNAVAILABLE", {
            target: "the server's database",
            reason: `it does not answer (request ${request.id}); retry later`,
          })
        : issue("INTERNAL_ERROR", { requestId: request.id });
    state.code = answer.code;
    return reply
      .code(status === 503 ? 503 : 500)
      .type(JSON_CONTENT_TYPE)
      .send(toHttpErrorBody(new WorkflowSeederError(answer)));
  }

  // node answers `Expect: 100-continue` with 100 at once by default, before anything is checked:
  // the request goes through the hooks first, and the preParsing hook below says 100 only to a
  // body that will be read.
  server.server.on("checkContinue", (req, res) => server.server.emit("request", req, res));

  server.setErrorHandler(async (error, request, reply) => {
    // Fastify closes the connection after a body it refuses: read what the client is still sending first.
    if ((error as { code?: unknown }).code === "FST_ERR_CTP_BODY_TOO_LARGE" && sendsBody(request.raw))
      await discardRequestBody(request.raw);
    return sendError(request, reply, error);
  });

  function sendsBody(raw: IncomingMessage): boolean {
    return !expectsContinue(raw) || continued.has(raw);
  }
  server.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new WorkflowSeederError(
        issue("ROUTE_NOT_FOUND", { method: request.method, path: truncate(pathOf(request.url)) }),
      ),
    ),
  );

  // Bodies are parsed here, from the raw text, so invalid JSON gets a line and a column; every
  // other media type is refused with 415 by fastify (no parser left for it).
  server.removeAllContentTypeParsers();
  server.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    // Malformed UTF-8 is refused, not replaced by U+FFFD and stored.
    const text = decodeUtf8(body as Buffer);
    const parsed = text.ok ? parseJsonText(text.value) : text;
    if (parsed.ok) done(null, parsed.value);
    else done(new WorkflowSeederError(parsed.issues), undefined);
  });

  server.addHook("onRequest", async (request) => {
    stateOf(request);
    if (!requireToken && !isLoopbackAddress(request.socket.remoteAddress))
      fail("UNAUTHORIZED", {
        reason: "this server runs without tokens (--insecure-local) and serves loopback clients only",
      });
  });
  // Runs after authentication and the tenant check, before the body is read.
  server.addHook("preParsing", async (request, reply) => {
    const contentType = request.headers["content-type"];
    const charset = charsetOf(contentType);
    if (charset !== null && /^application\/json\b/i.test(contentType ?? "") && !JSON_CHARSETS.has(charset))
      fail("UNSUPPORTED_MEDIA_TYPE", { received: truncate(contentType ?? ""), expected: JSON_CONTENT_TYPE });
    const raw = request.raw;
    if (!expectsContinue(raw) || continued.has(raw)) return;
    // A body over the limit is refused on its declared length, unread: no 100 for it.
    if (Number(raw.headers["content-length"]) > bodyLimit) fail("PAYLOAD_TOO_LARGE", { limitBytes: bodyLimit });
    continued.add(raw);
    reply.raw.writeContinue();
  });
  server.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  server.addHook("onResponse", async (request, reply) => {
    const state = stateOf(request);
    const status = reply.statusCode;
    writeLogEntry(log, {
      level: status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      msg: "request",
      requestId: request.id,
      method: request.method,
      path: truncate(pathOf(request.url)),
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      tenant: state.tenant,
      ...(state.code === undefined ? {} : { code: state.code }),
    });
  });

  server.get("/healthz", async (request, reply) => {
    try {
      await knex.raw("select 1");
    } catch (error) {
      // Whatever makes `select 1` fail, the database cannot serve requests: 503, details logged.
      const reason = error instanceof Error ? error.message : String(error);
      return sendError(
        request,
        reply,
        new WorkflowSeederError(issue("DATABASE_UNAVAILABLE", { target: "the database", reason }), { cause: error }),
      );
    }
    return reply.type(JSON_CONTENT_TYPE).send({ status: "ok" });
  });

  server.register(
    async (api) => {
      api.addHook("onRequest", async (request) => {
        const state = stateOf(request);
        if (requireToken) state.token = authenticateRequest(request.headers, matchToken);
        const header = request.headers["x-tenant-id"];
        // Alga's CLI sends x-tenant-id only when asked to: Alga then acts on the session's tenant.
        const tenant = header === undefined && state.token ? impliedTenantOf(state.token) : header;
        if (typeof tenant !== "string" || !isUuidString(tenant))
          fail("INVALID_TENANT", { received: truncate(Array.isArray(tenant) ? tenant.join(",") : (tenant ?? "")) });
        if (state.token && !isTenantAllowed(state.token, tenant)) fail("FORBIDDEN", { tenant: tenant.toLowerCase() });
        state.tenant = tenant.toLowerCase();
      });

      api.get("/workflow-definitions/export", async (request, reply) => {
        const query = request.query as QueryParams;
        assertKnownParams(query, ["key", "workflowId", "all", "withCalledWorkflows", "exportedAt"]);
        const input = readExportQuery(query);
        if (!input.all && input.keys?.length === 0 && input.workflowIds?.length === 0)
          fail("INVALID_ARGUMENT", {
            option: "query",
            received: request.url.slice(pathOf(request.url).length + 1),
            expected: "key=<key> (repeatable), workflowId=<uuid> (repeatable) or all=true",
          });
        return sendBundle(reply, request, input);
      });

      api.get("/workflow-definitions/:workflowId/export", async (request, reply) => {
        const { workflowId } = request.params as { workflowId: string };
        if (!isUuidString(workflowId))
          fail("INVALID_ARGUMENT", {
            option: "workflowId",
            received: truncate(workflowId),
            expected: "a workflow UUID",
          });
        const query = request.query as QueryParams;
        assertKnownParams(query, ["withCalledWorkflows", "exportedAt"]);
        return sendBundle(reply, request, { ...readExportQuery(query), workflowIds: [workflowId] });
      });

      api.post("/workflow-definitions/import", async (request, reply) => {
        const query = request.query as QueryParams;
        assertKnownParams(query, ["force", "onConflict", "actor"]);
        const parsed = parseImportOptions(readImportQuery(query), QUERY_OPTIONS);
        if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
        if (request.body === undefined)
          fail("UNSUPPORTED_MEDIA_TYPE", {
            received: request.headers["content-type"] ?? null,
            expected: "application/json",
          });
        const result = await importBundle(knex, request.body, {
          tenant: tenantOf(request),
          ...parsed.value,
          ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
        });
        return reply
          .type(JSON_CONTENT_TYPE)
          .send({ ...result, warnings: rewordIssueReports(result.warnings, renderHttpIssueMessage) });
      });
    },
    { prefix: "/api" },
  );

  function tenantOf(request: FastifyRequest): string {
    const tenant = stateOf(request).tenant;
    // The /api hook sets it before any handler runs.
    if (tenant === null) throw new Error("tenant missing after authentication");
    return tenant;
  }

  async function sendBundle(
    reply: FastifyReply,
    request: FastifyRequest,
    input: ExportOptionsInput,
  ): Promise<FastifyReply> {
    const parsed = parseExportOptions(input, QUERY_OPTIONS);
    if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
    const bundle = await exportBundle(knex, { tenant: tenantOf(request), ...parsed.value });
    return reply
      .type(JSON_CONTENT_TYPE)
      .header("content-disposition", `attachment; filename="${EXPORT_FILE_NAME}"`)
      .send(canonicalizeJson(bundle));
  }

  return server;
}
