import { expect } from "chai";
import { type ExportOptionSource, parseExportOptions } from "../../../src/export/export-options.js";

const FLAGS: ExportOptionSource = {
  names: {
    keys: "--key",
    workflowIds: "--workflow-id",
    all: "--all",
    withCalledWorkflows: "--with-called-workflows",
    exportedAt: "--exported-at",
  },
};

describe("parseExportOptions (the CLI's and the HTTP API's export options)", () => {
  it("applies the defaults once: nothing selected, no called workflows, exportedAt left to the export", () => {
    expect(parseExportOptions({}, FLAGS)).to.deep.equal({
      ok: true,
      value: { keys: [], workflowIds: [], all: false, withCalledWorkflows: false },
    });
  });

  it("keeps what was given", () => {
    const given = {
      keys: ["a", "b"],
      workflowIds: ["00000000-0000-4000-8000-00000000000a"],
      all: false,
      withCalledWorkflows: true,
      exportedAt: "2026-01-01T00:00:00.000Z",
    };
    expect(parseExportOptions(given, FLAGS)).to.deep.equal({ ok: true, value: given });
  });

  it("refuses all together with keys or workflowIds, each named as the source calls it (all of them reported)", () => {
    const id = "00000000-0000-4000-8000-00000000000a";
    const result = parseExportOptions({ all: true, keys: ["a", "b"], workflowIds: [id] }, FLAGS);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.code)).to.deep.equal(["INVALID_ARGUMENT", "INVALID_ARGUMENT"]);
    const details = result.issues.map((i) => i.details as { option: string; received: string; expected: string });
    expect(details.map((d) => [d.option, d.received])).to.deep.equal([
      ["--key", "a, b"],
      ["--workflow-id", id],
    ]);
    for (const d of details) expect(d.expected).to.include("--all").and.include(`drop ${d.option}`);
    expect(parseExportOptions({ all: true, keys: [], workflowIds: [] }, FLAGS).ok).to.equal(true);
  });

  it("refuses every workflow id that is not a UUID (empty included), echoed by the source", () => {
    const result = parseExportOptions({ workflowIds: ["nope", "00000000-0000-4000-8000-00000000000a", ""] }, FLAGS);
    expect(result).to.deep.equal({
      ok: false,
      issues: [
        {
          code: "INVALID_ARGUMENT",
          details: { option: "--workflow-id", received: "nope", expected: "a workflow UUID" },
        },
        { code: "INVALID_ARGUMENT", details: { option: "--workflow-id", received: "", expected: "a workflow UUID" } },
      ],
    });
  });

  it("refuses an exportedAt that is not an RFC 3339 date-time, named and echoed by the source", () => {
    const result = parseExportOptions(
      { all: true, exportedAt: "yesterday" },
      { ...FLAGS, echo: (value) => value.toUpperCase() },
    );
    expect(result).to.deep.equal({
      ok: false,
      issues: [
        {
          code: "INVALID_ARGUMENT",
          details: {
            option: "--exported-at",
            received: "YESTERDAY",
            expected: "an RFC 3339 date-time such as 2026-01-01T00:00:00.000Z",
          },
        },
      ],
    });
  });
});
