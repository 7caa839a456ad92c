/**
 * The public API of the HTTP layer: the server (`createServer`, `startServer`), its tokens and how
 * a request presents one, the status and body of each error, and the client used by the CLI's
 * remote mode.
 */
export type { ApiToken } from "./api-tokens.js";
export {
  createTokenMatcher,
  impliedTenantOf,
  isTenantAllowed,
  MIN_TOKEN_LENGTH,
  parseTokenFileText,
  parseTokenList,
  validateApiTokens,
} from "./api-tokens.js";
export type { CredentialHeaders } from "./authenticate-request.js";
export { authenticateRequest, TOKEN_COOKIE_NAME } from "./authenticate-request.js";
export { parseByteSize } from "./byte-size.js";
export type { ServerOptions, ServerSettings } from "./create-server.js";
export {
  createServer,
  DEFAULT_BODY_LIMIT,
  EXPORT_FILE_NAME,
  isLoopbackAddress,
  JSON_CONTENT_TYPE,
  MAX_DISCARDED_BODY_BYTES,
  validateServerSettings,
} from "./create-server.js";
export type { HttpErrorBody, HttpIssueBody, IssueReport } from "./error-body.js";
export {
  HTTP_VOCABULARY,
  parseHttpErrorBody,
  renderHttpIssueMessage,
  rewordIssueReports,
  toHttpErrorBody,
} from "./error-body.js";
export { HTTP_STATUS_BY_CODE, statusOfCode } from "./error-status.js";
export type { RemoteImportOptions, RemoteServer } from "./remote-client.js";
export { DEFAULT_REMOTE_TIMEOUT_MS, exportBundleOverHttp, importBundleOverHttp } from "./remote-client.js";
export type { FaultLogEntry, LogEntry, LogSink, RequestLogEntry, ServerLogEntry } from "./request-log.js";
export type { RunningServer, StartServerOptions } from "./start-server.js";
export { DEFAULT_HOST, DEFAULT_PORT, isLoopbackHost, startServer, validateServerConfig } from "./start-server.js";
