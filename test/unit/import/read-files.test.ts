/**
 * The synchronous file reader gives what the asynchronous one gives: the same text, and the same
 * error codes for a missing file, a directory, a file over the limit and bytes that are not UTF-8.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { readTextFile, readTextFileSync } from "../../../src/import/read-files.js";

async function outcome(read: () => Promise<string> | string): Promise<{ text?: string; code?: string }> {
  try {
    return { text: await read() };
  } catch (error) {
    if (!isWorkflowSeederError(error)) throw error;
    return { code: error.code };
  }
}

describe("readTextFileSync", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "wfs-read-files-"));
    await writeFile(join(dir, "ok.json"), '{"a": "é"}\n');
    await writeFile(join(dir, "bad.json"), Buffer.from([0x7b, 0xff, 0x7d]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, file, maxBytes] of [
    ["a UTF-8 file", "ok.json", undefined],
    ["a missing file", "missing.json", undefined],
    ["a directory", ".", undefined],
    ["a file over the limit", "ok.json", 4],
    ["bytes that are not UTF-8", "bad.json", undefined],
  ] as const)
    it(`reads ${name} as readTextFile does`, async () => {
      const path = join(dir, file);
      const sync = await outcome(() => readTextFileSync(path, maxBytes));
      expect(sync).to.deep.equal(await outcome(() => readTextFile(path, maxBytes)));
      expect(sync.text ?? sync.code).to.be.a("string");
    });
});
