import { expect } from "chai";
import { DEFAULT_CATALOG, mergeCatalog } from "../../../src/catalog/runtime-catalog.js";
import type { IssueOf } from "../../../src/errors.js";
import { importBundle, importBundles } from "../../../src/import/import-bundle.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { expectFailure, newTenant, versionRows, workflowRow } from "./helpers.js";

type Json = Record<string, unknown>;

function underDeclared(): Json {
  const definition = makeDefinition({
    steps: [
      { id: "a", type: "action.call", config: { actionId: "email.send", version: 1 } },
      { id: "b", type: "action.call", config: { actionId: "tickets.never_registered", version: 4 } },
    ],
  });
  return makeBundle({ workflows: [makeWorkflow({ key: "deps.under", definition })] });
}

describeEachEngine("import validation before any write", (db) => {
  it("catches under-declared dependencies: an action used in a step but missing from the declared list", async () => {
    const before = await fingerprint(db().knex);
    const error = await expectFailure(
      importBundle(db().knex, underDeclared(), { tenant: newTenant() }),
      "MISSING_DEPENDENCIES",
    );
    const d = (error.issue as IssueOf<"MISSING_DEPENDENCIES">).details;
    expect(d.missingByWorkflow).to.deep.equal([
      {
        workflowKey: "deps.under",
        missingActions: ["tickets.never_registered@4"],
        missingNodeTypes: [],
        missingSchemaRefs: [],
      },
    ]);
    expect(d.missingActions).to.deep.equal(["tickets.never_registered@4"]);
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("imports it once a catalog registers the action (a test harness's stub)", async () => {
    const catalog = mergeCatalog(DEFAULT_CATALOG, {
      mode: "extend",
      actions: ["tickets.never_registered@4"],
      nodeTypes: [],
      schemaRefs: [],
    });
    const result = await importBundle(db().knex, underDeclared(), { tenant: newTenant(), catalog });
    expect(result.createdWorkflows.map((w) => w.key)).to.deep.equal(["deps.under"]);
  });

  it("ignores control.* entries of the declared node types, and fails on an unregistered node type", async () => {
    const ok = makeBundle({
      workflows: [
        makeWorkflow({ key: "deps.control", nodeTypes: ["action.call", "control.if", "control.return", "state.set"] }),
      ],
    });
    await importBundle(db().knex, ok, { tenant: newTenant() });
    const bad = makeBundle({ workflows: [makeWorkflow({ key: "deps.node", nodeTypes: ["custom.unknown"] })] });
    const error = await expectFailure(importBundle(db().knex, bad, { tenant: newTenant() }), "MISSING_DEPENDENCIES");
    expect((error.issue as IssueOf<"MISSING_DEPENDENCIES">).details.missingNodeTypes).to.deep.equal(["custom.unknown"]);
  });

  it("rejects an invalid published version with INVALID_DEFINITION naming the key, the version and the path", async () => {
    const before = await fingerprint(db().knex);
    const w = makeWorkflow({ key: "def.bad-published", published: 2 });
    const v2 = ((w.publishedVersions as Json[])[1] as Json).definition as Json;
    (v2.steps as Json[])[1] = { id: "send", type: "action.call", config: { actionId: "email.send" } };
    const bundle = makeBundle({ workflows: [makeWorkflow({ key: "def.fine" }), w] });
    const error = await expectFailure(importBundle(db().knex, bundle, { tenant: newTenant() }), "INVALID_DEFINITION");
    const d = (error.issue as IssueOf<"INVALID_DEFINITION">).details;
    expect(d.workflowKey).to.equal("def.bad-published");
    expect(d.version).to.equal(2);
    expect(d.errors.map((e) => [e.path, e.stepPath])).to.deep.equal([
      ["/workflows/1/publishedVersions/1/definition/steps/1/config/version", "root.steps[1]"],
    ]);
    expect(error.message).to.include("def.bad-published").and.include("published version 2");
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("imports an invalid draft with an INVALID_DRAFT_DEFINITION warning, storing the draft as given (id rewritten)", async () => {
    const tenant = newTenant();
    const w = makeWorkflow({ key: "def.wip-draft", published: 1 });
    const draft = (w.draft as Json).definition as Json;
    draft.steps = [{ id: "half-done", type: "control.if" }];
    const result = await importBundle(db().knex, makeBundle({ workflows: [w] }), { tenant });
    expect(result.warnings.map((x) => x.code)).to.deep.equal(["INVALID_DRAFT_DEFINITION"]);
    const details = result.warnings[0]?.details as IssueOf<"INVALID_DRAFT_DEFINITION">["details"];
    expect(details.workflowKey).to.equal("def.wip-draft");
    expect(details.errors.map((e) => e.path)).to.include("/workflows/0/draft/definition/steps/0/condition");
    const row = await workflowRow(db().knex, tenant, "def.wip-draft");
    expect(row.draft_definition).to.deep.equal({ ...draft, id: row.workflow_id });
  });

  it("rewrites definition.id to the new workflow id in the draft and in every published version", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "def.ids", published: 3 })] }), {
      tenant,
    });
    const row = await workflowRow(db().knex, tenant, "def.ids");
    expect((row.draft_definition as Json).id).to.equal(row.workflow_id);
    const versions = await versionRows(db().knex, tenant, row.workflow_id as string);
    expect(versions.map((v) => [(v.definition_json as Json).id, v.version])).to.deep.equal([
      [row.workflow_id, 1],
      [row.workflow_id, 2],
      [row.workflow_id, 3],
    ]);
  });

  it("rejects duplicate versions and duplicate keys in one bundle before writing", async () => {
    const before = await fingerprint(db().knex);
    const w = makeWorkflow({ key: "dup.version", published: 2 });
    ((w.publishedVersions as Json[])[1] as Json).version = 1;
    const dupVersion = await expectFailure(
      importBundle(db().knex, makeBundle({ workflows: [w] }), { tenant: newTenant() }),
      "DUPLICATE_VERSION",
    );
    expect(dupVersion.issue.details).to.deep.include({ key: "dup.version", version: 1, indexes: [0, 1] });
    const dupKey = makeBundle({ workflows: [makeWorkflow({ key: "dup.key" }), makeWorkflow({ key: "dup.key" })] });
    await expectFailure(importBundle(db().knex, dupKey, { tenant: newTenant() }), "DUPLICATE_WORKFLOW_KEY");
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("rejects an invalid tenant before anything else", async () => {
    const error = await expectFailure(importBundle(db().knex, makeBundle(), { tenant: "acme" }), "INVALID_TENANT");
    expect(error.issue.details).to.deep.equal({ received: "acme" });
  });

  it("runs the header checks on what it is given", async () => {
    await expectFailure(importBundle(db().knex, [], { tenant: newTenant() }), "INVALID_BUNDLE");
    await expectFailure(
      importBundle(db().knex, { ...makeBundle(), formatVersion: 2 }, { tenant: newTenant() }),
      "UNSUPPORTED_FORMAT_VERSION",
    );
    await expectFailure(
      importBundle(db().knex, { ...makeBundle(), extra: 1 }, { tenant: newTenant() }),
      "SCHEMA_VALIDATION_FAILED",
    );
  });

  it("refuses a definition that breaks the value limits with VALUE_OUT_OF_RANGE first, whatever else is wrong, writing nothing", async () => {
    // The definitions' limits are checked while the rows are written: the report must still be
    // the one the checks in order give.
    let deep: unknown = "leaf";
    for (let i = 0; i < 600; i++) deep = [deep];
    const broken = (config: unknown, key: string) =>
      makeWorkflow({ key, definition: makeDefinition({ steps: [{ id: "x", type: "custom.node", config }] }) });
    const before = await fingerprint(db().knex);
    for (const [name, config] of [
      ["NUL", { s: "a\u0000b" }],
      ["a number out of range", { n: Number.POSITIVE_INFINITY }],
      ["nesting", { deep }],
    ] as const) {
      const bad = makeBundle({ workflows: [broken(config, "limits.bad")] });
      const alone = await expectFailure(importBundle(db().knex, bad, { tenant: newTenant() }), "VALUE_OUT_OF_RANGE");
      expect(JSON.stringify(alone.issue.details), name).to.include("/workflows/0/draft/definition/steps/0/config");
      // A later source with a schema error, and a valid one before: still the first source's limits.
      const schemaError = { ...makeBundle({ workflows: [makeWorkflow({ key: "limits.other" })] }), extra: 1 };
      const sources = [{ bundle: makeBundle({ workflows: [makeWorkflow({ key: "limits.ok" })] }) }, { bundle: bad }];
      await expectFailure(
        importBundles(db().knex, [...sources, { bundle: schemaError }], { tenant: newTenant() }),
        "VALUE_OUT_OF_RANGE",
      );
      // A schema error in an earlier source comes first.
      await expectFailure(
        importBundles(db().knex, [{ bundle: schemaError }, { bundle: bad }], { tenant: newTenant() }),
        "SCHEMA_VALIDATION_FAILED",
      );
    }
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });
});
