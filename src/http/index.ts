/**
 * The public API of the HTTP layer: the server (`createServer`, `startServer`), its tokens, the
 * status of each error code, and the client used by the CLI's remote mode.
 */
export type { ApiToken } from "./api-tokens.js";
export {
  createTokenMatcher,
  isTenantAllowed,
  MIN_TOKEN_LENGTH,
  parseTokenFileText,
  parseTokenList,
  validateApiTokens,
} from "./api-tokens.js";
export { parseByteSize } from "./byte-size.js";
export type { ServerOptions, ServerSettings } from "./create-server.js";
export {
  createServer,
  DEFAULT_BODY_LIMIT,
  EXPORT_FILE_NAME,
  isLoopbackAddress,
  JSON_CONTENT_TYPE,
  validateServerSettings,
} from "./create-server.js";
export { HTTP_STATUS_BY_CODE, statusOfCode } from "./error-status.js";
export type { RemoteImportOptions, RemoteServer } from "./remote-client.js";
export { DEFAULT_REMOTE_TIMEOUT_MS, exportBundleOverHttp, importBundleOverHttp } from "./remote-client.js";
export type { FaultLogEntry, LogEntry, LogSink, RequestLogEntry, ServerLogEntry } from "./request-log.js";
export type { RunningServer, StartServerOptions } from "./start-server.js";
export { DEFAULT_HOST, DEFAULT_PORT, isLoopbackHost, startServer, validateServerConfig } from "./start-server.js";
