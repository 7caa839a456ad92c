/**
 * The one way tests talk HTTP: the API started in this process on a random loopback port, and
 * real requests to it (or to a `serve` process) with fetch.
 */
import { expect } from "chai";
import type { Knex } from "knex";
import {
  type LogEntry,
  type LogSink,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from "../../src/http/index.js";

/** A token valid for every tenant. */
export const TOKEN = "tok-all-tenants-4f6c1e0b9a2d7358";
/** A token restricted to {@link TENANT_A}. */
export const TENANT_A_TOKEN = "tok-tenant-a-only-91c2de5f7a0b3468";

export const TENANT_A = "a0000000-0000-4000-8000-00000000000a";
export const TENANT_B = "b0000000-0000-4000-8000-00000000000b";

/** Collects the JSON lines the server writes. */
export class LogCollector implements LogSink {
  readonly lines: string[] = [];

  write(line: string): boolean {
    this.lines.push(line);
    return true;
  }

  get text(): string {
    return this.lines.join("");
  }

  entries(): (LogEntry & { time: string })[] {
    return this.text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as LogEntry & { time: string });
  }
}

/** A running server and its log. */
export interface TestServer extends RunningServer {
  log: LogCollector;
}

/** Starts a server on a random loopback port with {@link TOKEN} and {@link TENANT_A_TOKEN}. */
export async function startTestServer(knex: Knex, options: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const log = new LogCollector();
  const running = await startServer({
    knex,
    tokens: [{ token: TOKEN }, { token: TENANT_A_TOKEN, tenants: [TENANT_A] }],
    host: "127.0.0.1",
    port: 0,
    logStream: log,
    ...options,
  } as StartServerOptions);
  return { ...running, log };
}

/** What a request answered. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined when it is not JSON). */
  json: unknown;
  /** The `code` of an error answer. */
  code: string | undefined;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  /** Default {@link TOKEN}; null sends no Authorization header. */
  token?: string | null;
  /** Default {@link TENANT_A}; null sends no x-tenant-id header. */
  tenant?: string | null;
  /** A string or bytes are sent as they are; anything else as JSON. */
  body?: unknown;
  /** Default application/json when there is a body; null sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** Sends one real HTTP request. */
export async function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  const tenant = options.tenant === undefined ? TENANT_A : options.tenant;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (tenant !== null) headers["x-tenant-id"] = tenant;
  let body: string | Uint8Array | undefined;
  if (options.body !== undefined) {
    body =
      typeof options.body === "string" || options.body instanceof Uint8Array
        ? options.body
        : JSON.stringify(options.body);
    const type = options.contentType === undefined ? "application/json" : options.contentType;
    if (type !== null) headers["content-type"] = type;
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const code = (json as { code?: string } | undefined)?.code;
  return { status: response.status, headers: response.headers, text, json, code };
}

/** The `{error: "<message>", code, message, details}` body of an error answer. */
export interface ErrorAnswer {
  error: string;
  code: string;
  message: string;
  details: Record<string, unknown>;
  issues?: { code: string }[];
}

/** Asserts an error answer: status, code, JSON content type and the documented body shape. */
export function expectError(response: ApiResponse, status: number, code: string): ErrorAnswer {
  expect(response.status, response.text).to.equal(status);
  expect(response.headers.get("content-type")).to.equal("application/json; charset=utf-8");
  const body = response.json as ErrorAnswer;
  expect(body.code, response.text).to.equal(code);
  expect(body.message).to.be.a("string").and.not.equal("");
  expect(body.error, "error repeats the message, as a string").to.equal(body.message);
  expect(body.details).to.be.an("object");
  return body;
}

/** Row counts of the workflow tables (all tenants). */
export async function countRows(knex: Knex): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["workflow_definitions", "workflow_definition_versions"]) {
    const rows = (await knex(table).count<{ n: string }[]>({ n: "*" })) as { n: string }[];
    counts[table] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}

/** Replaces `exportedAt` so exports taken at different times compare byte for byte. */
export function normalizeExportedAt(text: string): string {
  return text.replace(/"exportedAt": "[^"]*"/, '"exportedAt": "<normalized>"');
}
