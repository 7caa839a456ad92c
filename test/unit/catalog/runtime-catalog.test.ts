import { expect } from "chai";
import { parseCatalog } from "../../../src/catalog/catalog-file.js";
import {
  aggregateMissing,
  DEFAULT_CATALOG,
  findMissingDependencies,
  hasEveryDependency,
  mergeCatalog,
  type RuntimeCatalog,
} from "../../../src/catalog/runtime-catalog.js";
import type { IssueOf } from "../../../src/errors.js";
import type { BundleWorkflow } from "../../../src/format/bundle-schema.js";
import { collectRequiredDependencies } from "../../../src/format/dependencies.js";
import { ACTION, makeDefinition, makeWorkflow } from "../../support/bundles.js";

function parsed(value: unknown) {
  const result = parseCatalog(value, { file: "catalog.json" });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function invalid(value: unknown): IssueOf<"INVALID_CATALOG"> {
  const result = parseCatalog(value, { file: "catalog.json" });
  if (result.ok) throw new Error("expected an invalid catalog");
  expect(result.issues).to.have.length(1);
  expect(result.issues[0]?.code).to.equal("INVALID_CATALOG");
  return result.issues[0] as IssueOf<"INVALID_CATALOG">;
}

const sorted = (s: ReadonlySet<string>) => [...s].sort();

describe("parseCatalog", () => {
  it("applies defaults: mode extend, empty lists", () => {
    expect(parsed({})).to.deep.equal({ mode: "extend", actions: [], nodeTypes: [], schemaRefs: [] });
  });

  it('reads actions as "id@version" strings and as objects, and allows $schema', () => {
    expect(
      parsed({
        $schema: "./catalog.schema.json",
        mode: "replace",
        actions: ["test.stub@1", { actionId: "test.other", version: 12 }],
        nodeTypes: ["custom.node"],
        schemaRefs: ["payload.Test.v1"],
      }),
    ).to.deep.equal({
      $schema: "./catalog.schema.json",
      mode: "replace",
      actions: ["test.stub@1", { actionId: "test.other", version: 12 }],
      nodeTypes: ["custom.node"],
      schemaRefs: ["payload.Test.v1"],
    });
  });

  for (const [label, value, path] of [
    ["an action without a version", { actions: ["test.stub"] }, "/actions/0"],
    ["an action at version 0", { actions: ["test.stub@0"] }, "/actions/0"],
    ["an action with a space", { actions: ["test stub@1"] }, "/actions/0"],
    ["an action object at version 1.5", { actions: [{ actionId: "a", version: 1.5 }] }, "/actions/0"],
    ["an action object with an extra key", { actions: [{ actionId: "a", version: 1, x: 1 }] }, "/actions/0/x"],
    ["an unknown mode", { mode: "merge" }, "/mode"],
    ["an empty node type", { nodeTypes: [""] }, "/nodeTypes/0"],
    ["schema refs as a string", { schemaRefs: "payload.X.v1" }, "/schemaRefs"],
    ["an unknown key", { action: [] }, "/action"],
  ] as const)
    it(`rejects ${label} with INVALID_CATALOG at ${path}`, () => {
      const found = invalid(value);
      expect(found.details.file).to.equal("catalog.json");
      expect(found.details.errors.map((e) => e.path)).to.include(path);
    });

  it("rejects a catalog that is not an object", () => {
    for (const value of [null, [], "x"]) expect(invalid(value).details.errors.map((e) => e.path)).to.deep.equal([""]);
  });

  it("lists every problem", () => {
    const found = invalid({ mode: "x", actions: ["a"], extra: 1 });
    expect(found.details.errors.map((e) => e.path)).to.have.members(["/mode", "/actions/0", "/extra"]);
  });
});

describe("mergeCatalog", () => {
  it("extend adds to the base and keeps every base name", () => {
    const merged = mergeCatalog(
      DEFAULT_CATALOG,
      parsed({
        actions: ["test.stub@1", { actionId: "test.obj", version: 2 }],
        nodeTypes: ["n.x"],
        schemaRefs: ["p.X"],
      }),
    );
    expect(merged.actions.size).to.equal(DEFAULT_CATALOG.actions.size + 2);
    expect(merged.actions.has("test.stub@1")).to.equal(true);
    expect(merged.actions.has("test.obj@2")).to.equal(true);
    expect(merged.actions.has("email.send@1")).to.equal(true);
    expect(merged.nodeTypes.has("n.x") && merged.nodeTypes.has("state.set")).to.equal(true);
    expect(merged.schemaRefs.has("p.X") && merged.schemaRefs.has("payload.TicketCreated.v1")).to.equal(true);
  });

  it("replace keeps only the file's names", () => {
    const merged = mergeCatalog(
      DEFAULT_CATALOG,
      parsed({ mode: "replace", actions: ["test.stub@1"], nodeTypes: ["action.call"] }),
    );
    expect(sorted(merged.actions)).to.deep.equal(["test.stub@1"]);
    expect(sorted(merged.nodeTypes)).to.deep.equal(["action.call"]);
    expect(sorted(merged.schemaRefs)).to.deep.equal([]);
  });

  it("never changes the base catalog, and is idempotent", () => {
    const before = DEFAULT_CATALOG.actions.size;
    const once = mergeCatalog(DEFAULT_CATALOG, parsed({ actions: ["test.stub@1"] }));
    const twice = mergeCatalog(once, parsed({ actions: ["test.stub@1"] }));
    expect(DEFAULT_CATALOG.actions.size).to.equal(before);
    expect(DEFAULT_CATALOG.actions.has("test.stub@1")).to.equal(false);
    expect(sorted(twice.actions)).to.deep.equal(sorted(once.actions));
    expect(Object.isFrozen(once)).to.equal(true);
  });
});

describe("findMissingDependencies and aggregateMissing (MISSING_DEPENDENCIES details)", () => {
  const catalog: RuntimeCatalog = {
    actions: new Set(["email.send@1"]),
    nodeTypes: new Set(["action.call", "state.set"]),
    schemaRefs: new Set(["payload.A.v1"]),
  };

  it("returns null when the catalog provides everything", () => {
    expect(
      findMissingDependencies(catalog, "k", {
        actions: [{ actionId: "email.send", version: 1 }],
        nodeTypes: ["state.set"],
        schemaRefs: ["payload.A.v1"],
      }),
    ).to.equal(null);
  });

  it("names what is missing per workflow, with actions as id@version (another version is missing too)", () => {
    expect(
      findMissingDependencies(catalog, "fixture.k", {
        actions: [
          { actionId: "email.send", version: 1 },
          { actionId: "email.send", version: 2 },
          { actionId: "x.y", version: 1 },
        ],
        nodeTypes: ["state.set", "custom.node"],
        schemaRefs: ["payload.B.v1"],
      }),
    ).to.deep.equal({
      workflowKey: "fixture.k",
      missingActions: ["email.send@2", "x.y@1"],
      missingNodeTypes: ["custom.node"],
      missingSchemaRefs: ["payload.B.v1"],
    });
  });

  it("aggregates sorted, unique lists", () => {
    expect(
      aggregateMissing([
        { workflowKey: "a", missingActions: ["z@1", "a@1"], missingNodeTypes: [], missingSchemaRefs: ["p.B"] },
        { workflowKey: "b", missingActions: ["a@1"], missingNodeTypes: ["n"], missingSchemaRefs: ["p.A", "p.B"] },
      ]),
    ).to.deep.equal({ missingActions: ["a@1", "z@1"], missingNodeTypes: ["n"], missingSchemaRefs: ["p.A", "p.B"] });
  });

  it("hasEveryDependency says what findMissingDependencies says, declared and computed needs alike", () => {
    const steps = (type: string, actionId: string = ACTION.actionId, version = 1) => [
      { id: "a", type: "action.call", config: { actionId, version } },
      { id: "t", type, config: null },
    ];
    const workflows = [
      makeWorkflow(),
      makeWorkflow({ definition: makeDefinition({ steps: steps("custom.node") }) }),
      makeWorkflow({ definition: makeDefinition({ steps: steps("state.set", "x.y") }) }),
      makeWorkflow({ definition: makeDefinition({ steps: steps("state.set", ACTION.actionId, 9) }) }),
      makeWorkflow({ definition: makeDefinition({ payloadSchemaRef: "payload.Nope.v1" }) }),
      makeWorkflow({ nodeTypes: ["control.if", "custom.declared"] }),
      makeWorkflow({ actions: [{ actionId: "declared.only", version: 1 }] }),
      makeWorkflow({ schemaRefs: ["payload.Declared.v1"] }),
    ] as unknown as BundleWorkflow[];
    const verdicts = workflows.map((w) => hasEveryDependency(DEFAULT_CATALOG, w));
    expect(verdicts).to.deep.equal(
      workflows.map((w) => findMissingDependencies(DEFAULT_CATALOG, w.key, collectRequiredDependencies(w)) === null),
    );
    expect(verdicts).to.deep.equal([true, false, false, false, false, false, false, false]);
  });
});
