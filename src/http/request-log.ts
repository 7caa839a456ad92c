/** Where the server writes its JSON-lines log (the CLI passes `process.stderr`). */
export interface LogSink {
  write(line: string): unknown;
}

/** One request, as logged when its response is sent. Never holds bodies or tokens. */
export interface RequestLogEntry {
  level: "info" | "warn" | "error";
  msg: "request";
  requestId: string;
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
  durationMs: number;
  /** The tenant of the request once it was validated, else null. */
  tenant: string | null;
  /** The error code of an error response. */
  code?: string;
}

/** A fault of the server (answered with 500) or an unavailable database (503). */
export interface FaultLogEntry {
  level: "warn" | "error";
  msg: "fault";
  requestId: string;
  code: string;
  message: string;
  stack?: string;
}

/** A lifecycle event of the server (listening, closed). */
export interface ServerLogEntry {
  level: "info";
  msg: "listening" | "closed";
  url: string;
}

/** Any line of the log. */
export type LogEntry = RequestLogEntry | FaultLogEntry | ServerLogEntry;

/** Writes one entry as a JSON line with its time first. */
export function writeLogEntry(sink: LogSink | undefined, entry: LogEntry): void {
  sink?.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}
