import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fail, WorkflowSeederError } from "../errors.js";
import { decodeUtf8 } from "../format/parse-json.js";

/** The largest bundle file read by default (bytes). Bigger files are refused with a clear error. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Refuses a directory or a file above `maxBytes` (`FILE_READ_ERROR`). */
function checkFileInfo(info: { isDirectory(): boolean; size: number }, path: string, maxBytes: number): void {
  if (info.isDirectory()) fail("FILE_READ_ERROR", { file: path, reason: "it is a directory" });
  if (info.size > maxBytes)
    fail("FILE_READ_ERROR", {
      file: path,
      reason: `it is ${info.size} bytes, more than the limit of ${maxBytes} bytes`,
    });
}

/** The file's bytes as text; `INVALID_JSON` (with its position) for bytes that are not UTF-8. */
function decodeFile(bytes: Buffer, path: string, keepBom = false): string {
  const decoded = decodeUtf8(bytes, { file: path });
  if (!decoded.ok) throw new WorkflowSeederError(decoded.issues);
  // The decoder drops a leading byte order mark; `fmt` must see it (canonical files have none).
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return keepBom && hasBom ? `\ufeff${decoded.value}` : decoded.value;
}

/** Maps a file-system error to `FILE_NOT_FOUND` / `FILE_READ_ERROR`; rethrows anything else. */
function rethrowAsFileError(error: unknown, path: string): never {
  if (error instanceof WorkflowSeederError) throw error;
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") fail("FILE_NOT_FOUND", { file: path }, error);
  if (code === "EISDIR") fail("FILE_READ_ERROR", { file: path, reason: "it is a directory" }, error);
  if (code !== undefined) fail("FILE_READ_ERROR", { file: path, reason: (error as Error).message }, error);
  throw error;
}

/**
 * Reads a UTF-8 text file, mapping file-system errors to `FILE_NOT_FOUND` / `FILE_READ_ERROR`.
 * A leading byte order mark is dropped unless `keepBom` (what `fmt` compares byte for byte).
 */
export async function readTextFile(
  path: string,
  maxBytes = DEFAULT_MAX_FILE_BYTES,
  options: { keepBom?: boolean } = {},
): Promise<string> {
  try {
    checkFileInfo(await stat(path), path, maxBytes);
    return decodeFile(await readFile(path), path, options.keepBom);
  } catch (error) {
    rethrowAsFileError(error, path);
  }
}

/**
 * {@link readTextFile} with synchronous I/O, for many small files read one after the other (the
 * seeds of a drift check): each asynchronous read costs several thread-pool round trips, 4x the
 * time of the read itself for a 4 KB file. Same checks and errors.
 */
export function readTextFileSync(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): string {
  try {
    const fd = openSync(path, "r");
    let bytes: Buffer;
    try {
      checkFileInfo(fstatSync(fd), path, maxBytes);
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    return decodeFile(bytes, path);
  } catch (error) {
    rethrowAsFileError(error, path);
  }
}

/**
 * Expands files and directories into a sorted list of `.json` files (directories recursively,
 * skipping `node_modules` and dot folders). A path that does not exist is `FILE_NOT_FOUND`.
 */
export async function listJsonFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      fail("FILE_NOT_FOUND", { file: path }, error);
    }
    if (info.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      files.push(...(await walk(path)));
    } else if (entry.name.endsWith(".json")) files.push(path);
  }
  return files;
}

/**
 * The `.json` files directly in a folder (not in its subfolders; dot files skipped), sorted by
 * name. `FILE_NOT_FOUND` when the folder does not exist, `FILE_READ_ERROR` when it is not a folder.
 */
export async function listFolderJsonFiles(dir: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") fail("FILE_NOT_FOUND", { file: dir }, error);
    if (code === "ENOTDIR") fail("FILE_READ_ERROR", { file: dir, reason: "it is a file, not a folder" }, error);
    fail("FILE_READ_ERROR", { file: dir, reason: (error as Error).message }, error);
  }
  return entries
    .filter((e) => !e.isDirectory() && !e.name.startsWith(".") && e.name.endsWith(".json"))
    .map((e) => e.name)
    .sort()
    .map((name) => join(dir, name));
}
