import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { fail, issue, type ValidationResult, WorkflowSeederError } from "../errors.js";
import type { ApiToken } from "./api-tokens.js";
import { createServer, type ServerOptions, validateServerSettings } from "./create-server.js";
import { writeLogEntry } from "./request-log.js";

/** The interface `workflow-seeder serve` binds to by default: loopback only. */
export const DEFAULT_HOST = "127.0.0.1";

/** The port `workflow-seeder serve` listens on by default. */
export const DEFAULT_PORT = 3000;

/** Options of {@link startServer}: those of `createServer`, and where to listen. */
export type StartServerOptions = ServerOptions & {
  /** Default {@link DEFAULT_HOST}. */
  host?: string;
  /** Default {@link DEFAULT_PORT}; 0 picks a free port. */
  port?: number;
};

/** A listening server. */
export interface RunningServer {
  server: FastifyInstance;
  /** `http://host:port`, with the port actually bound. */
  url: string;
  /** Stops accepting connections, waits for requests in flight, and logs `closed`. */
  close(): Promise<void>;
}

/** True for host names that bind to the loopback interface only. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Every reason not to start: those of `validateServerSettings`, and `insecureLocal` on a host that
 * is not loopback (serving without tokens must never be reachable from another machine).
 */
export function validateServerConfig(
  options: Omit<StartServerOptions, "knex" | "database">,
): ValidationResult<ApiToken[]> {
  const host = options.host ?? DEFAULT_HOST;
  if (options.insecureLocal && !isLoopbackHost(host))
    return {
      ok: false,
      issues: [
        issue("SERVER_CONFIG_INVALID", {
          reason: `--insecure-local serves loopback clients only, but the host is ${JSON.stringify(host)}; bind to 127.0.0.1, ::1 or localhost, or configure tokens and drop --insecure-local`,
        }),
      ],
    };
  return validateServerSettings(options);
}

/**
 * Validates the configuration, creates the server and listens. Throws `SERVER_CONFIG_INVALID` when
 * the configuration is refused or the address cannot be bound.
 *
 * @example const { url, close } = await startServer({ knex, tokens, port: 0 });
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const checked = validateServerConfig(options);
  if (!checked.ok) throw new WorkflowSeederError(checked.issues);
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const server = createServer(options);
  try {
    await server.listen({ host, port });
  } catch (error) {
    await server.close().catch(() => undefined);
    fail(
      "SERVER_CONFIG_INVALID",
      { reason: `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}` },
      error,
    );
  }
  const address = server.server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  writeLogEntry(options.logStream, { level: "info", msg: "listening", url });
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    close() {
      closing ??= server.close().then(() => writeLogEntry(options.logStream, { level: "info", msg: "closed", url }));
      return closing;
    },
  };
}
