import { expect } from "chai";
import {
  type CheckBundleResult,
  checkBundle,
  checkBundleText,
  collectRangeProblems,
  fitsNumeric52,
} from "../../../src/catalog/check-bundle.js";
import { DEFAULT_CATALOG, mergeCatalog } from "../../../src/catalog/runtime-catalog.js";
import type { Issue, IssueOf } from "../../../src/errors.js";
import { validateBundle } from "../../../src/format/parse-bundle.js";
import { describeEachBundleSet } from "../../support/bundle-sets.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";

type Json = Record<string, unknown>;
const wf = (b: Json, i = 0) => (b.workflows as Json[])[i] as Json;

function failure(result: CheckBundleResult): Issue[] {
  if (result.ok) throw new Error("expected the bundle to be rejected");
  return result.issues;
}

describe("checkBundle", () => {
  it("accepts a valid bundle with no warnings", () => {
    const result = checkBundle(makeBundle());
    expect(result.ok, JSON.stringify(!result.ok && result.issues)).to.equal(true);
    expect(result.warnings).to.deep.equal([]);
  });

  describeEachBundleSet("on the bundle set", (set) => {
    it("accepts every valid bundle with the default catalog", () => {
      for (const file of set.validFiles) {
        const result = checkBundleText(set.readText(file), { file });
        expect(result.ok, `${file}: ${JSON.stringify(!result.ok && result.issues)}`).to.equal(true);
      }
    });

    it("rejects the bundles with missing dependencies with MISSING_DEPENDENCIES naming exactly what they lack", () => {
      expect(set.missingDependencyFiles.length).to.be.greaterThan(0);
      for (const missing of set.missingDependencyFiles) {
        const { file } = missing;
        const issues = failure(checkBundleText(set.readText(file), { file }));
        expect(issues.map((i) => i.code)).to.deep.equal(["MISSING_DEPENDENCIES"]);
        const d = (issues[0] as IssueOf<"MISSING_DEPENDENCIES">).details;
        expect(d.file).to.equal(file);
        expect(d.missingSchemaRefs).to.deep.equal(missing.schemaRefs);
        expect(d.missingActions).to.deep.equal(missing.actions);
        expect(d.missingNodeTypes).to.deep.equal(missing.nodeTypes);
        expect(d.missingByWorkflow).to.have.length(1);
        expect(d.missingByWorkflow[0]?.missingSchemaRefs).to.deep.equal(missing.schemaRefs);
      }
    });

    it("accepts them once a catalog registers what they lack", () => {
      for (const missing of set.missingDependencyFiles) {
        const catalog = mergeCatalog(DEFAULT_CATALOG, {
          mode: "extend",
          actions: missing.actions,
          nodeTypes: missing.nodeTypes,
          schemaRefs: missing.schemaRefs,
        });
        const { file } = missing;
        expect(checkBundleText(set.readText(file), { file, catalog }).ok, file).to.equal(true);
      }
    });

    it("rejects the invalid JSON with INVALID_JSON at its line and column", () => {
      const { file, line, column } = set.invalidJson;
      const issues = failure(checkBundleText(set.readText(file), { file }));
      expect(issues[0]?.code).to.equal("INVALID_JSON");
      const d = (issues[0] as IssueOf<"INVALID_JSON">).details;
      expect([d.line, d.column]).to.deep.equal([line, column]);
    });
  });

  describe("MISSING_DEPENDENCIES (Alga's detail shape)", () => {
    it("lists what each workflow lacks, plus sorted unique aggregates; declared control.* entries are ignored", () => {
      const a = makeWorkflow({
        key: "a",
        actions: [
          { actionId: "email.send", version: 1 },
          { actionId: "nope.b", version: 1 },
        ],
        nodeTypes: ["action.call", "control.if", "control.unknownBlock", "state.set", "custom.node"],
        schemaRefs: ["payload.TicketCreated.v1", "payload.Nope.v1"],
      });
      const b = makeWorkflow({
        key: "b",
        actions: [
          { actionId: "email.send", version: 1 },
          { actionId: "nope.a", version: 2 },
          { actionId: "nope.b", version: 1 },
        ],
      });
      const issues = failure(checkBundle(makeBundle({ workflows: [a, b] }), { file: "x.json" }));
      expect(issues).to.deep.equal([
        {
          code: "MISSING_DEPENDENCIES",
          details: {
            file: "x.json",
            missingByWorkflow: [
              {
                workflowKey: "a",
                missingActions: ["nope.b@1"],
                missingNodeTypes: ["custom.node"],
                missingSchemaRefs: ["payload.Nope.v1"],
              },
              {
                workflowKey: "b",
                missingActions: ["nope.a@2", "nope.b@1"],
                missingNodeTypes: [],
                missingSchemaRefs: [],
              },
            ],
            missingActions: ["nope.a@2", "nope.b@1"],
            missingNodeTypes: ["custom.node"],
            missingSchemaRefs: ["payload.Nope.v1"],
          },
        },
      ]);
    });

    it("catches an under-declared bundle: an action used in a step but not declared", () => {
      const definition = makeDefinition({
        steps: [{ id: "x", type: "action.call", config: { actionId: "undeclared.action", version: 3 } }],
      });
      const w = makeWorkflow({ definition, actions: [], nodeTypes: ["action.call"] });
      const issues = failure(checkBundle(makeBundle({ workflows: [w] })));
      const d = (issues[0] as IssueOf<"MISSING_DEPENDENCIES">).details;
      expect(d.missingActions).to.deep.equal(["undeclared.action@3"]);
    });

    it("checks a draft's needs too, even when the draft is invalid", () => {
      const w = makeWorkflow({ published: 0 });
      (wf({ workflows: [w] }).draft as Json).definition = {
        steps: [{ id: "x", type: "action.call", config: { actionId: "draft.only", version: 1 } }],
      };
      const result = checkBundle(makeBundle({ workflows: [w] }));
      const issues = failure(result);
      expect((issues[0] as IssueOf<"MISSING_DEPENDENCIES">).details.missingActions).to.deep.equal(["draft.only@1"]);
      expect(result.warnings.map((x) => x.code)).to.deep.equal(["INVALID_DRAFT_DEFINITION"]);
    });
  });

  describe("definitions", () => {
    it("rejects an invalid published version with INVALID_DEFINITION naming key, version and paths", () => {
      const w = makeWorkflow({ key: "fixture.bad", published: 2 });
      const v2 = (w.publishedVersions as Json[])[1] as Json;
      ((v2.definition as Json).steps as Json[])[0] = { id: "state", type: "state.set", config: {} };
      const issues = failure(checkBundle(makeBundle({ workflows: [w] }), { file: "b.json" }));
      expect(issues).to.have.length(1);
      expect(issues[0]?.code).to.equal("INVALID_DEFINITION");
      const d = (issues[0] as IssueOf<"INVALID_DEFINITION">).details;
      expect(d).to.deep.include({ file: "b.json", workflowKey: "fixture.bad", version: 2 });
      expect(d.errors.map((e) => ({ path: e.path, stepPath: e.stepPath }))).to.deep.equal([
        { path: "/workflows/0/publishedVersions/1/definition/steps/0/config/state", stepPath: "root.steps[0]" },
      ]);
    });

    it("reports every invalid published version", () => {
      const w = makeWorkflow({ key: "k", published: 3 });
      for (const i of [0, 2]) delete (((w.publishedVersions as Json[])[i] as Json).definition as Json).name;
      const issues = failure(checkBundle(makeBundle({ workflows: [w] })));
      expect(issues.map((i) => [i.code, (i as IssueOf<"INVALID_DEFINITION">).details.version])).to.deep.equal([
        ["INVALID_DEFINITION", 1],
        ["INVALID_DEFINITION", 3],
      ]);
    });

    it("accepts an invalid draft with an INVALID_DRAFT_DEFINITION warning", () => {
      const w = makeWorkflow({ key: "k" });
      ((w.draft as Json).definition as Json).steps = [{ id: "x", type: "control.if" }];
      const result = checkBundle(makeBundle({ workflows: [w] }));
      expect(result.ok).to.equal(true);
      expect(result.warnings).to.have.length(1);
      const warning = result.warnings[0] as IssueOf<"INVALID_DRAFT_DEFINITION">;
      expect(warning.code).to.equal("INVALID_DRAFT_DEFINITION");
      expect(warning.details.workflowKey).to.equal("k");
      expect(warning.details.errors.map((e) => e.path)).to.include.members([
        "/workflows/0/draft/definition/steps/0/condition",
        "/workflows/0/draft/definition/steps/0/then",
      ]);
    });
  });

  describe("VALUE_OUT_OF_RANGE", () => {
    it("rejects values the columns cannot hold, each with its pointer", () => {
      const w = makeWorkflow({
        metadata: { concurrencyLimit: 2 ** 31, failureRateMinRuns: -(2 ** 31) - 1, failureRateThreshold: 1000 },
        draftVersion: 2 ** 40,
      });
      ((w.publishedVersions as Json[])[0] as Json).version = 0;
      const issues = failure(checkBundle(makeBundle({ workflows: [w] }), { file: "r.json" }));
      expect(issues.map((i) => i.code)).to.deep.equal(["VALUE_OUT_OF_RANGE"]);
      const d = (issues[0] as IssueOf<"VALUE_OUT_OF_RANGE">).details;
      expect(d.file).to.equal("r.json");
      expect(d.errors.map((e) => e.path)).to.have.members([
        "/workflows/0/metadata/concurrencyLimit",
        "/workflows/0/metadata/failureRateMinRuns",
        "/workflows/0/metadata/failureRateThreshold",
        "/workflows/0/draft/draftVersion",
        "/workflows/0/publishedVersions/0/version",
      ]);
    });

    it("accepts the extremes that fit", () => {
      const w = makeWorkflow({
        metadata: { concurrencyLimit: 2 ** 31 - 1, failureRateMinRuns: -(2 ** 31), failureRateThreshold: "-999.99" },
      });
      const parsed = validateBundle(makeBundle({ workflows: [w] }));
      if (!parsed.ok) throw new Error("expected a valid bundle");
      expect(collectRangeProblems(parsed.value)).to.deep.equal([]);
    });

    it("fitsNumeric52: at most 3 integer and 2 decimal digits, numbers or numeric strings", () => {
      for (const ok of [0, 0.5, 0.75, 12.5, 999.99, -999.99, "0.50", " 12.5 ", "100", "0.500000", ".5", "5.", "-0"])
        expect(fitsNumeric52(ok), JSON.stringify(ok)).to.equal(true);
      for (const bad of [1000, 0.125, 0.1 + 0.2, 1e-7, 1e21, "1000.0", "0.125", "abc", "", "1e2", "+", "."])
        expect(fitsNumeric52(bad), JSON.stringify(bad)).to.equal(false);
    });
  });

  describe("order: header → schema → duplicates → ranges → definitions → dependencies", () => {
    it("stops at the first stage that fails", () => {
      const bundle = makeBundle({
        workflows: [
          makeWorkflow({
            key: "a",
            metadata: { concurrencyLimit: 2 ** 40 },
            actions: [{ actionId: "nope", version: 1 }],
          }),
        ],
      });
      expect(failure(checkBundle(bundle)).map((i) => i.code)).to.deep.equal(["VALUE_OUT_OF_RANGE"]);
      (wf(bundle).metadata as Json).concurrencyLimit = null;
      delete (((wf(bundle).publishedVersions as Json[])[0] as Json).definition as Json).name;
      expect(failure(checkBundle(bundle)).map((i) => i.code)).to.deep.equal(["INVALID_DEFINITION"]);
      bundle.workflows = [wf(bundle), structuredClone(wf(bundle))];
      expect(failure(checkBundle(bundle)).map((i) => i.code)).to.deep.equal(["DUPLICATE_WORKFLOW_KEY"]);
      wf(bundle, 1).extra = 1;
      expect(failure(checkBundle(bundle)).map((i) => i.code)).to.deep.equal(["SCHEMA_VALIDATION_FAILED"]);
      bundle.formatVersion = 2;
      expect(failure(checkBundle(bundle)).map((i) => i.code)).to.deep.equal(["UNSUPPORTED_FORMAT_VERSION"]);
      expect(failure(checkBundleText("{")).map((i) => i.code)).to.deep.equal(["INVALID_JSON"]);
    });
  });
});
