import { issue, type ValidationResult } from "../errors.js";
import { findJsonSyntaxErrorOffset } from "./json-syntax-error.js";

/** Where a document came from, for messages (`file` is shown as given). */
export interface SourceOptions {
  file?: string;
}

export function withFile<T extends object>(details: T, options: SourceOptions): T {
  return options.file === undefined ? details : { file: options.file, ...details };
}

/** Line and column (1-based) of a UTF-16 offset in `text`. */
export function locateOffset(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Parses JSON text. A leading UTF-8 byte order mark is ignored. On failure the issue is
 * `INVALID_JSON` with the 1-based line and column of the problem.
 */
export function parseJsonText(text: string, options: SourceOptions = {}): ValidationResult<unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const found = findJsonSyntaxErrorOffset(body);
    const position = found === -1 ? body.length : found;
    const { line, column } = locateOffset(body, position);
    // V8 appends a position, or quotes the text around an unexpected token: keep the first part.
    const reason = message
      .replace(/^JSON\.parse: /, "")
      .replace(/ in JSON at position \d+.*$/s, "")
      .replace(/^(Unexpected token '.*?'), .*$/s, "$1")
      .replace(/\s*\(line \d+ column \d+\)$/, "");
    return { ok: false, issues: [issue("INVALID_JSON", withFile({ line, column, position, reason }, options))] };
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const LENIENT_UTF8 = new TextDecoder("utf-8");

/**
 * Decodes bytes as UTF-8, refusing malformed sequences (they would otherwise turn silently into
 * U+FFFD and be stored that way): `INVALID_JSON` at the line and column of the first bad bytes.
 */
export function decodeUtf8(bytes: Uint8Array, options: SourceOptions = {}): ValidationResult<string> {
  try {
    return { ok: true, value: STRICT_UTF8.decode(bytes) };
  } catch {
    const text = LENIENT_UTF8.decode(bytes);
    const strictPrefix = findValidPrefixLength(text, bytes);
    const { line, column } = locateOffset(text, strictPrefix);
    return {
      ok: false,
      issues: [
        issue(
          "INVALID_JSON",
          withFile(
            {
              line,
              column,
              position: strictPrefix,
              reason: "the file is not valid UTF-8 (malformed bytes); save it as UTF-8",
            },
            options,
          ),
        ),
      ],
    };
  }
}

/** The offset in `text` (the lenient decoding of `bytes`) of the first replacement character the bytes did not spell. */
function findValidPrefixLength(text: string, bytes: Uint8Array): number {
  let from = 0;
  for (;;) {
    const at = text.indexOf("\ufffd", from);
    if (at === -1) return text.length;
    // A U+FFFD written in the file (EF BF BD) decodes strictly; a malformed one does not.
    const prefixBytes = new TextEncoder().encode(text.slice(0, at + 1)).length;
    try {
      STRICT_UTF8.decode(bytes.subarray(0, prefixBytes));
      from = at + 1;
    } catch {
      return at;
    }
  }
}
