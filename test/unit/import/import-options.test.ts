import { expect } from "chai";
import type { Issue } from "../../../src/errors.js";
import { type ImportOptionSource, parseImportOptions } from "../../../src/import/import-options.js";

const FLAGS: ImportOptionSource = { names: { onConflict: "--on-conflict", force: "--force", actor: "--actor" } };
const QUERY: ImportOptionSource = {
  names: { onConflict: "query parameter onConflict", force: "query parameter force", actor: "query parameter actor" },
  echo: (value) => (value.length > 5 ? `${value.slice(0, 5)}...` : value),
};
const ACTOR = "d0000000-0000-4000-8000-0000000000ac";

function issuesOf(result: ReturnType<typeof parseImportOptions>): Issue[] {
  if (result.ok) expect.fail(`expected issues, got ${JSON.stringify(result.value)}`);
  return result.issues;
}

describe("parseImportOptions (the CLI's and the HTTP API's import options)", () => {
  it("applies the defaults once: onConflict fail, no actor", () => {
    expect(parseImportOptions({}, FLAGS)).to.deep.equal({ ok: true, value: { onConflict: "fail", actor: null } });
  });

  it("keeps a valid policy and actor; force means replace", () => {
    expect(parseImportOptions({ onConflict: "update", actor: ACTOR }, FLAGS)).to.deep.equal({
      ok: true,
      value: { onConflict: "update", actor: ACTOR },
    });
    for (const onConflict of [undefined, "replace"])
      expect(parseImportOptions({ force: true, onConflict }, FLAGS)).to.deep.equal({
        ok: true,
        value: { onConflict: "replace", actor: null },
      });
    expect(parseImportOptions({ force: false, onConflict: "skip" }, FLAGS)).to.deep.include({ ok: true });
  });

  it("names each bad option as its source calls it, echoing the value through the source", () => {
    expect(issuesOf(parseImportOptions({ onConflict: "merge" }, FLAGS))).to.deep.equal([
      {
        code: "INVALID_ARGUMENT",
        details: { option: "--on-conflict", received: "merge", expected: "one of fail, replace, update, skip" },
      },
    ]);
    expect(issuesOf(parseImportOptions({ actor: "bob-the-builder" }, QUERY))).to.deep.equal([
      {
        code: "INVALID_ARGUMENT",
        details: { option: "query parameter actor", received: "bob-t...", expected: "a UUID" },
      },
    ]);
  });

  it("refuses a policy that contradicts force", () => {
    const [only] = issuesOf(parseImportOptions({ force: true, onConflict: "skip" }, QUERY));
    expect(only?.details).to.include({ option: "query parameter onConflict", received: "skip" });
  });

  it("reports every bad option at once, in the order of the options", () => {
    const issues = issuesOf(parseImportOptions({ onConflict: "merge", actor: "bob" }, FLAGS));
    expect(issues.map((i) => (i.details as { option: string }).option)).to.deep.equal(["--on-conflict", "--actor"]);
  });
});
