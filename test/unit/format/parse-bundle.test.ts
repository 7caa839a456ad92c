import { expect } from "chai";
import {
  type Issue,
  type IssueOf,
  type PathProblem,
  renderIssueMessage as renderMessage,
} from "../../../src/errors.js";
import { WorkflowBundleSchema } from "../../../src/format/bundle-schema.js";
import {
  collectDuplicates,
  locateOffset,
  parseBundleText,
  parseJsonText,
  validateBundle,
  validateBundleHeader,
} from "../../../src/format/parse-bundle.js";
import { itEachBundleSet } from "../../support/bundle-sets.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";

function onlyIssue(result: { ok: true } | { ok: false; issues: Issue[] }): Issue {
  if (result.ok) throw new Error("expected a failure");
  expect(result.issues).to.have.length(1);
  return result.issues[0] as Issue;
}

function schemaErrors(value: unknown): PathProblem[] {
  const found = onlyIssue(validateBundle(value));
  expect(found.code).to.equal("SCHEMA_VALIDATION_FAILED");
  return (found as IssueOf<"SCHEMA_VALIDATION_FAILED">).details.errors;
}

function errorPaths(value: unknown): string[] {
  return schemaErrors(value).map((e) => e.path);
}

type Json = Record<string, unknown>;
const wf = (b: Json, i = 0) => (b.workflows as Json[])[i] as Json;

describe("parseJsonText", () => {
  it("parses JSON and ignores a leading byte order mark", () => {
    expect(parseJsonText('\ufeff{"a": 1}')).to.deep.equal({ ok: true, value: { a: 1 } });
  });

  it("reports INVALID_JSON with the 1-based line and column of the problem", () => {
    const found = onlyIssue(parseJsonText('{\n  "a": 1,\n  "b": ]\n}', { file: "x.json" }));
    expect(found.code).to.equal("INVALID_JSON");
    const d = (found as IssueOf<"INVALID_JSON">).details;
    expect({ file: d.file, line: d.line, column: d.column }).to.deep.equal({ file: "x.json", line: 3, column: 8 });
    expect(d.position).to.equal(19);
    expect(d.reason).to.equal("Unexpected token ']'");
  });

  it("gives the same location for errors V8 reports with and without a position", () => {
    for (const [text, line, column] of [
      ['{\n  "a": 1\n  "b": 2\n}', 3, 3],
      ['{\n  "a": tru\n}', 2, 11],
      ["[1,\n 2,\n ]", 3, 2],
      ['{"a": "x\\q"}', 1, 10],
      ["[1] [2]", 1, 5],
      ["[01]", 1, 3],
    ] as const) {
      const d = (onlyIssue(parseJsonText(text)) as IssueOf<"INVALID_JSON">).details;
      expect({ line: d.line, column: d.column }, text).to.deep.equal({ line, column });
    }
  });

  it("counts lines after a byte order mark from the first character of the content", () => {
    const d = (onlyIssue(parseJsonText("\ufeff{\n x}")) as IssueOf<"INVALID_JSON">).details;
    expect({ line: d.line, column: d.column }).to.deep.equal({ line: 2, column: 2 });
  });

  it("puts a truncated document's problem at its end", () => {
    const d = (onlyIssue(parseJsonText('{\n  "a": [1,')) as IssueOf<"INVALID_JSON">).details;
    expect({ line: d.line, column: d.column }).to.deep.equal({ line: 2, column: 11 });
  });

  it("reports an empty document at line 1, column 1", () => {
    const d = (onlyIssue(parseJsonText("")) as IssueOf<"INVALID_JSON">).details;
    expect({ line: d.line, column: d.column }).to.deep.equal({ line: 1, column: 1 });
  });

  itEachBundleSet("locates the stray ] of the set's invalid file at the line and column its facts state", (set) => {
    const { file, line, column } = set.invalidJson;
    const text = set.readText(file);
    const d = (onlyIssue(parseJsonText(text, { file })) as IssueOf<"INVALID_JSON">).details;
    expect({ file: d.file, line: d.line, column: d.column }).to.deep.equal({ file, line, column });
    expect(text.split("\n")[line - 1]?.[column - 1]).to.equal("]");
  });

  it("locateOffset counts lines and columns from 1", () => {
    expect(locateOffset("ab\ncd", 0)).to.deep.equal({ line: 1, column: 1 });
    expect(locateOffset("ab\ncd", 4)).to.deep.equal({ line: 2, column: 2 });
    expect(locateOffset("ab\ncd", 99)).to.deep.equal({ line: 2, column: 3 });
  });
});

describe("validateBundleHeader (runs before the schema, in this order)", () => {
  for (const [label, value, receivedType] of [
    ["an array", [makeBundle()], "an array"],
    ["a string", "alga-psa.workflow-bundle", "a string"],
    ["null", null, "null"],
    ["a number", 1, "a number"],
    ["a boolean", true, "a boolean"],
  ] as const) {
    it(`INVALID_BUNDLE for ${label}`, () => {
      const found = onlyIssue(validateBundle(value, { file: "f.json" }));
      expect(found).to.deep.equal({ code: "INVALID_BUNDLE", details: { file: "f.json", receivedType } });
    });
  }

  it("UNSUPPORTED_FORMAT names the received and the expected format", () => {
    expect(validateBundleHeader({ ...makeBundle(), format: "n8n" })).to.deep.equal({
      code: "UNSUPPORTED_FORMAT",
      details: { received: "n8n", expected: "alga-psa.workflow-bundle" },
    });
  });

  it("UNSUPPORTED_FORMAT without `received` when format is missing, even when everything else is wrong", () => {
    const found = onlyIssue(validateBundle({ formatVersion: 7, workflows: 3 }));
    expect(found.code).to.equal("UNSUPPORTED_FORMAT");
    expect(JSON.parse(JSON.stringify(found.details))).to.deep.equal({ expected: "alga-psa.workflow-bundle" });
    expect(renderMessage(found)).to.match(/"format" is missing/);
  });

  it("UNSUPPORTED_FORMAT for format null says null, not missing", () => {
    const found = onlyIssue(validateBundle({ ...makeBundle(), format: null }));
    expect(found.details).to.deep.equal({ received: null, expected: "alga-psa.workflow-bundle" });
    expect(renderMessage(found)).to.match(/"format" is null/);
  });

  for (const [label, formatVersion] of [
    ["2", 2],
    ['"1"', "1"],
    ["1.5", 1.5],
    ["0", 0],
    ["null", null],
  ] as const) {
    it(`UNSUPPORTED_FORMAT_VERSION for formatVersion ${label}, naming the accepted version 1`, () => {
      const found = onlyIssue(validateBundle({ ...makeBundle(), formatVersion, workflows: "not checked yet" }));
      expect(found.code).to.equal("UNSUPPORTED_FORMAT_VERSION");
      expect(found.details).to.deep.equal({ received: formatVersion, supported: [1] });
      expect(renderMessage(found)).to.include("formatVersion 1");
    });
  }

  it("UNSUPPORTED_FORMAT_VERSION for a missing formatVersion, naming the accepted version 1", () => {
    const { formatVersion: _, ...rest } = makeBundle();
    const found = onlyIssue(validateBundle(rest));
    expect(found.code).to.equal("UNSUPPORTED_FORMAT_VERSION");
    expect(JSON.parse(JSON.stringify(found.details))).to.deep.equal({ supported: [1] });
    expect(renderMessage(found))
      .to.match(/"formatVersion" is missing/)
      .and.to.include("formatVersion 1");
  });

  it("accepts a valid header", () => {
    expect(validateBundleHeader(makeBundle())).to.equal(null);
  });
});

describe("validateBundle: the bundle schema", () => {
  it("accepts a valid bundle and returns the very definition objects of the input", () => {
    const bundle = makeBundle();
    const result = validateBundle(bundle);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.workflows[0]?.draft.definition).to.equal(
      wf(bundle).draft && (wf(bundle).draft as Json).definition,
    );
  });

  describe("every required key", () => {
    const cases: [string, (b: Json) => void, string][] = [
      ["format", (b) => delete b.format, ""],
      ["exportedAt", (b) => delete b.exportedAt, "/exportedAt"],
      ["workflows", (b) => delete b.workflows, "/workflows"],
      ["key", (b) => delete wf(b).key, "/workflows/0/key"],
      ["metadata", (b) => delete wf(b).metadata, "/workflows/0/metadata"],
      ["dependencies", (b) => delete wf(b).dependencies, "/workflows/0/dependencies"],
      ["draft", (b) => delete wf(b).draft, "/workflows/0/draft"],
      ["publishedVersions", (b) => delete wf(b).publishedVersions, "/workflows/0/publishedVersions"],
      ["dependencies.actions", (b) => delete (wf(b).dependencies as Json).actions, "/workflows/0/dependencies/actions"],
      [
        "dependencies.nodeTypes",
        (b) => delete (wf(b).dependencies as Json).nodeTypes,
        "/workflows/0/dependencies/nodeTypes",
      ],
      [
        "dependencies.schemaRefs",
        (b) => delete (wf(b).dependencies as Json).schemaRefs,
        "/workflows/0/dependencies/schemaRefs",
      ],
      [
        "actions[].actionId",
        (b) => delete ((wf(b).dependencies as Json).actions as Json[])[0]?.actionId,
        "/workflows/0/dependencies/actions/0/actionId",
      ],
      [
        "actions[].version",
        (b) => delete ((wf(b).dependencies as Json).actions as Json[])[0]?.version,
        "/workflows/0/dependencies/actions/0/version",
      ],
      ["draft.draftVersion", (b) => delete (wf(b).draft as Json).draftVersion, "/workflows/0/draft/draftVersion"],
      ["draft.definition", (b) => delete (wf(b).draft as Json).definition, "/workflows/0/draft/definition"],
      [
        "publishedVersions[].version",
        (b) => delete (wf(b).publishedVersions as Json[])[0]?.version,
        "/workflows/0/publishedVersions/0/version",
      ],
      [
        "publishedVersions[].definition",
        (b) => delete (wf(b).publishedVersions as Json[])[0]?.definition,
        "/workflows/0/publishedVersions/0/definition",
      ],
      [
        "publishedVersions[].payloadSchemaJson (required, may be null)",
        (b) => delete (wf(b).publishedVersions as Json[])[0]?.payloadSchemaJson,
        "/workflows/0/publishedVersions/0/payloadSchemaJson",
      ],
    ];
    for (const key of [
      "name",
      "description",
      "payloadSchemaRef",
      "payloadSchemaMode",
      "pinnedPayloadSchemaRef",
      "trigger",
      "isSystem",
      "isVisible",
      "isPaused",
      "concurrencyLimit",
      "autoPauseOnFailure",
      "failureRateThreshold",
      "failureRateMinRuns",
      "retentionPolicyOverride",
    ])
      cases.push([`metadata.${key}`, (b) => delete (wf(b).metadata as Json)[key], `/workflows/0/metadata/${key}`]);

    for (const [label, remove, path] of cases) {
      it(`requires ${label}`, () => {
        const bundle = makeBundle();
        remove(bundle);
        if (label === "format") {
          expect(onlyIssue(validateBundle(bundle)).code).to.equal("UNSUPPORTED_FORMAT");
          return;
        }
        expect(schemaErrors(bundle)).to.deep.include({ path, message: "required property is missing" });
      });
    }
  });

  describe("additionalProperties: false at every level", () => {
    const levels: [string, (b: Json) => Json, string][] = [
      ["the root", (b) => b, ""],
      ["a workflow", (b) => wf(b), "/workflows/0"],
      ["metadata", (b) => wf(b).metadata as Json, "/workflows/0/metadata"],
      ["dependencies", (b) => wf(b).dependencies as Json, "/workflows/0/dependencies"],
      [
        "an action reference",
        (b) => ((wf(b).dependencies as Json).actions as Json[])[0] as Json,
        "/workflows/0/dependencies/actions/0",
      ],
      ["draft", (b) => wf(b).draft as Json, "/workflows/0/draft"],
      [
        "a published version",
        (b) => (wf(b).publishedVersions as Json[])[0] as Json,
        "/workflows/0/publishedVersions/0",
      ],
    ];
    for (const [label, pick, path] of levels) {
      it(`rejects an unknown key in ${label}, with its pointer`, () => {
        const bundle = makeBundle();
        pick(bundle)["extra~/key"] = 1;
        expect(errorPaths(bundle)).to.deep.equal([`${path}/extra~0~1key`]);
      });
    }

    it("leaves definitions, triggers, retention overrides and payload schemas open", () => {
      const bundle = makeBundle();
      Object.assign(wf(bundle).metadata as Json, { trigger: { any: 1 }, retentionPolicyOverride: { days: 3 } });
      ((wf(bundle).draft as Json).definition as Json).anything = true;
      Object.assign((wf(bundle).publishedVersions as Json[])[0] as Json, { payloadSchemaJson: { x: [1] } });
      expect(validateBundle(bundle).ok).to.equal(true);
    });
  });

  describe("the key pattern ^[a-z0-9][a-z0-9._-]*$", () => {
    for (const key of ["a", "0", "fixture.ticket-created_hello", "9.9-9_9"])
      it(`accepts ${JSON.stringify(key)}`, () => {
        expect(validateBundle(makeBundle({ workflows: [makeWorkflow({ key })] })).ok).to.equal(true);
      });
    for (const key of ["", "A", "Fixture", ".a", "-a", "_a", "a b", "a/b", "a\n", "é", "a@1"])
      it(`rejects ${JSON.stringify(key)}`, () => {
        const paths = errorPaths(makeBundle({ workflows: [makeWorkflow({ key })] }));
        expect([...new Set(paths)]).to.deep.equal(["/workflows/0/key"]);
      });
  });

  describe("nullability", () => {
    const nullable = [
      "description",
      "payloadSchemaMode",
      "pinnedPayloadSchemaRef",
      "trigger",
      "concurrencyLimit",
      "failureRateThreshold",
      "failureRateMinRuns",
      "retentionPolicyOverride",
    ];
    const notNullable = ["name", "payloadSchemaRef", "isSystem", "isVisible", "isPaused", "autoPauseOnFailure"];
    for (const key of nullable)
      it(`metadata.${key} may be null`, () => {
        expect(validateBundle(makeBundle({ workflows: [makeWorkflow({ metadata: { [key]: null } })] })).ok).to.equal(
          true,
        );
      });
    for (const key of notNullable)
      it(`metadata.${key} may not be null`, () => {
        expect(errorPaths(makeBundle({ workflows: [makeWorkflow({ metadata: { [key]: null } })] }))).to.deep.equal([
          `/workflows/0/metadata/${key}`,
        ]);
      });

    it("payloadSchemaJson may be null or an object, not an array", () => {
      const bundle = makeBundle();
      ((wf(bundle).publishedVersions as Json[])[0] as Json).payloadSchemaJson = [];
      expect(errorPaths(bundle)).to.deep.equal(["/workflows/0/publishedVersions/0/payloadSchemaJson"]);
    });

    it("draft.definition and version definitions may not be null", () => {
      const bundle = makeBundle();
      (wf(bundle).draft as Json).definition = null;
      ((wf(bundle).publishedVersions as Json[])[0] as Json).definition = null;
      expect(errorPaths(bundle)).to.deep.equal([
        "/workflows/0/draft/definition",
        "/workflows/0/publishedVersions/0/definition",
      ]);
    });

    it("failureRateThreshold is a number, a string or null", () => {
      for (const ok of [0.5, "0.50", 12, null])
        expect(
          validateBundle(makeBundle({ workflows: [makeWorkflow({ metadata: { failureRateThreshold: ok } })] })).ok,
        ).to.equal(true);
      expect(
        errorPaths(makeBundle({ workflows: [makeWorkflow({ metadata: { failureRateThreshold: true } })] })),
      ).to.deep.equal(["/workflows/0/metadata/failureRateThreshold"]);
    });
  });

  describe("uniqueItems in dependencies", () => {
    for (const [list, items] of [
      [
        "actions",
        [
          { actionId: "email.send", version: 1 },
          { version: 1, actionId: "email.send" },
        ],
      ],
      ["nodeTypes", ["state.set", "action.call", "state.set"]],
      ["schemaRefs", ["payload.A.v1", "payload.A.v1"]],
    ] as const)
      it(`rejects duplicate ${list} (deep equality, key order ignored)`, () => {
        const bundle = makeBundle({ workflows: [makeWorkflow({ [list]: items })] });
        expect(errorPaths(bundle)).to.deep.equal([`/workflows/0/dependencies/${list}`]);
      });

    it("accepts one action id at two versions", () => {
      const actions = [
        { actionId: "email.send", version: 1 },
        { actionId: "email.send", version: 2 },
      ];
      expect(validateBundle(makeBundle({ workflows: [makeWorkflow({ actions })] })).ok).to.equal(true);
    });

    it("reports a duplicate even when another item of the same list is invalid", () => {
      const bundle = makeBundle({ workflows: [makeWorkflow({ nodeTypes: ["state.set", "state.set", 5] })] });
      expect(errorPaths(bundle)).to.have.members([
        "/workflows/0/dependencies/nodeTypes",
        "/workflows/0/dependencies/nodeTypes/2",
      ]);
    });
  });

  it("does not throw on values that are not JSON (API callers can pass anything): they are schema problems", () => {
    const bundle = makeBundle({
      workflows: [makeWorkflow({ nodeTypes: [Number.NaN, Number.NaN, undefined], schemaRefs: [() => 1, 1n] })],
    });
    expect(() => WorkflowBundleSchema.safeParse(bundle)).to.not.throw();
    expect(WorkflowBundleSchema.safeParse(bundle).success).to.equal(false);
    expect(() => validateBundle(bundle)).to.not.throw();
    expect(validateBundle(bundle).ok).to.equal(false);
  });

  it("requires at least one workflow (minItems 1)", () => {
    expect(errorPaths(makeBundle({ workflows: [] }))).to.deep.equal(["/workflows"]);
  });

  describe("integer rules", () => {
    const integerPaths: [string, (b: Json, v: unknown) => void, string, boolean][] = [
      [
        "draft.draftVersion",
        (b, v) => Object.assign(wf(b).draft as Json, { draftVersion: v }),
        "/workflows/0/draft/draftVersion",
        false,
      ],
      [
        "publishedVersions[].version",
        (b, v) => Object.assign((wf(b).publishedVersions as Json[])[0] as Json, { version: v }),
        "/workflows/0/publishedVersions/0/version",
        false,
      ],
      [
        "metadata.concurrencyLimit",
        (b, v) => Object.assign(wf(b).metadata as Json, { concurrencyLimit: v }),
        "/workflows/0/metadata/concurrencyLimit",
        false,
      ],
      [
        "metadata.failureRateMinRuns",
        (b, v) => Object.assign(wf(b).metadata as Json, { failureRateMinRuns: v }),
        "/workflows/0/metadata/failureRateMinRuns",
        false,
      ],
      [
        "dependencies.actions[].version",
        (b, v) => Object.assign(((wf(b).dependencies as Json).actions as Json[])[0] as Json, { version: v }),
        "/workflows/0/dependencies/actions/0/version",
        true,
      ],
    ];
    for (const [label, set, path, minimumOne] of integerPaths) {
      it(`${label}: rejects 1.5 and "1"${minimumOne ? " and 0" : ", accepts 0 and -1 (no minimum)"}`, () => {
        for (const bad of [1.5, "1", ...(minimumOne ? [0, -1] : [])]) {
          const bundle = makeBundle();
          set(bundle, bad);
          expect(errorPaths(bundle), JSON.stringify(bad)).to.deep.equal([path]);
        }
        for (const good of minimumOne ? [1, 2 ** 40] : [0, -1, 2 ** 40]) {
          const bundle = makeBundle();
          set(bundle, good);
          expect(validateBundle(bundle).ok, JSON.stringify(good)).to.equal(true);
        }
      });
    }
  });

  it("exportedAt must be a date-time", () => {
    expect(errorPaths(makeBundle({ exportedAt: "2026-13-01T00:00:00Z" }))).to.deep.equal(["/exportedAt"]);
  });

  it("lists EVERY problem with its JSON pointer, not just the first", () => {
    const bundle = makeBundle({ workflows: [makeWorkflow({ key: "a" }), makeWorkflow({ key: "b" })] });
    bundle.exportedAt = "now";
    bundle.extra = true;
    wf(bundle, 0).key = "A";
    delete (wf(bundle, 0).metadata as Json).name;
    (wf(bundle, 0).metadata as Json).isPaused = "no";
    (wf(bundle, 1).dependencies as Json).schemaRefs = ["x", "x"];
    ((wf(bundle, 1).publishedVersions as Json[])[0] as Json).version = 0.5;
    (wf(bundle, 1).draft as Json).definition = "{}";
    expect(errorPaths(bundle)).to.have.members([
      "/exportedAt",
      "/extra",
      "/workflows/0/key",
      "/workflows/0/metadata/name",
      "/workflows/0/metadata/isPaused",
      "/workflows/1/dependencies/schemaRefs",
      "/workflows/1/publishedVersions/0/version",
      "/workflows/1/draft/definition",
    ]);
  });

  it("carries the file name in the details", () => {
    const found = onlyIssue(validateBundle(makeBundle({ workflows: [] }), { file: "seeds/x.json" }));
    expect((found as IssueOf<"SCHEMA_VALIDATION_FAILED">).details.file).to.equal("seeds/x.json");
  });
});

describe("duplicates inside one bundle", () => {
  it("DUPLICATE_WORKFLOW_KEY with the indexes of every occurrence", () => {
    const bundle = makeBundle({
      workflows: [makeWorkflow({ key: "a" }), makeWorkflow({ key: "b" }), makeWorkflow({ key: "a" })],
    });
    expect(onlyIssue(validateBundle(bundle, { file: "f.json" }))).to.deep.equal({
      code: "DUPLICATE_WORKFLOW_KEY",
      details: { file: "f.json", key: "a", indexes: [0, 2] },
    });
  });

  it("DUPLICATE_VERSION with the key, the version and the indexes", () => {
    const bundle = makeBundle({ workflows: [makeWorkflow({ key: "a", published: 3 })] });
    const versions = wf(bundle).publishedVersions as Json[];
    (versions[2] as Json).version = 1;
    expect(onlyIssue(validateBundle(bundle))).to.deep.equal({
      code: "DUPLICATE_VERSION",
      details: { key: "a", version: 1, indexes: [0, 2] },
    });
  });

  it("reports every duplicate at once", () => {
    const bundle = makeBundle({
      workflows: [makeWorkflow({ key: "a", published: 2 }), makeWorkflow({ key: "a" }), makeWorkflow({ key: "c" })],
    });
    ((wf(bundle, 0).publishedVersions as Json[])[1] as Json).version = 1;
    const result = validateBundle(bundle);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.code)).to.deep.equal(["DUPLICATE_WORKFLOW_KEY", "DUPLICATE_VERSION"]);
  });

  it("runs only after the schema passes", () => {
    const bundle = makeBundle({ workflows: [makeWorkflow({ key: "a" }), makeWorkflow({ key: "a" })] });
    wf(bundle).extra = 1;
    expect(onlyIssue(validateBundle(bundle)).code).to.equal("SCHEMA_VALIDATION_FAILED");
  });

  it("collectDuplicates finds nothing in a clean bundle", () => {
    const result = validateBundle(makeBundle({ workflows: [makeWorkflow({ key: "a" }), makeWorkflow({ key: "b" })] }));
    if (!result.ok) throw new Error("expected a valid bundle");
    expect(collectDuplicates(result.value)).to.deep.equal([]);
  });
});

describe("parseBundleText", () => {
  it("stops at INVALID_JSON", () => {
    expect(onlyIssue(parseBundleText("{")).code).to.equal("INVALID_JSON");
  });

  it("validates parsed text", () => {
    expect(parseBundleText(JSON.stringify(makeBundle())).ok).to.equal(true);
    expect(onlyIssue(parseBundleText("[]")).code).to.equal("INVALID_BUNDLE");
  });
});
