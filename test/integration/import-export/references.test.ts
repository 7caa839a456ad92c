// biome-ignore-all lint/suspicious/noThenProperty: "then" is the branch name of control.if in Alga's format.
import { expect } from "chai";
import type { Knex } from "knex";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { computePortableWorkflowId } from "../../../src/format/portable-id.js";
import { collectCallReferences } from "../../../src/format/workflow-references.js";
import { importBundle } from "../../../src/import/import-bundle.js";
import { publishWorkflow, runWorkflow } from "../../../src/runtime/index.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine } from "../../support/databases.js";
import { canonical, EXPORTED_AT, newTenant, versionRows, workflowRow } from "./helpers.js";

type Json = Record<string, unknown>;
const CHILD_DEFINITION_ID = "00000000-0000-0000-0000-00000000c41d";

/** A parent that calls `target` twice: at the top and inside a control.if. */
function parent(key: string, target: string): Json {
  const definition = makeDefinition({
    id: "00000000-0000-0000-0000-0000000000fa",
    steps: [
      { id: "call-top", type: "control.callWorkflow", workflowId: target, workflowVersion: 1 },
      {
        id: "branch",
        type: "control.if",
        condition: { $expr: "true" },
        then: [
          { id: "noop", type: "state.set", config: { state: "X" } },
          {
            id: "call-nested",
            type: "control.callWorkflow",
            workflowId: target,
            workflowVersion: 1,
            inputMapping: { a: { $expr: "payload.a" } },
          },
        ],
      },
    ],
  });
  return makeWorkflow({ key, definition, actions: [], nodeTypes: ["state.set"] });
}

function child(key: string): Json {
  return makeWorkflow({ key, definition: makeDefinition({ id: CHILD_DEFINITION_ID, name: key }) });
}

async function targetsOf(knex: Knex, tenant: string, key: string): Promise<{ draft: string[]; versions: string[][] }> {
  const row = await workflowRow(knex, tenant, key);
  const versions = await versionRows(knex, tenant, row.workflow_id as string);
  return {
    draft: collectCallReferences(row.draft_definition).map((r) => r.workflowId),
    versions: versions.map((v) => collectCallReferences(v.definition_json).map((r) => r.workflowId)),
  };
}

describeEachEngine("control.callWorkflow references", (db) => {
  it("rewrites a target that is the definition.id of a workflow in the same bundle to its new workflow id", async () => {
    const tenant = newTenant();
    const result = await importBundle(
      db().knex,
      makeBundle({ workflows: [parent("ref.parent", CHILD_DEFINITION_ID), child("ref.child")] }),
      { tenant },
    );
    expect(result.warnings).to.deep.equal([]);
    const childId = (await workflowRow(db().knex, tenant, "ref.child")).workflow_id as string;
    expect(await targetsOf(db().knex, tenant, "ref.parent")).to.deep.equal({
      draft: [childId, childId],
      versions: [[childId, childId]],
    });
  });

  it("rewrites a target that is the portable id of a bundle key", async () => {
    const tenant = newTenant();
    await importBundle(
      db().knex,
      makeBundle({ workflows: [parent("ref.p2", computePortableWorkflowId("ref.c2")), child("ref.c2")] }),
      { tenant },
    );
    const childId = (await workflowRow(db().knex, tenant, "ref.c2")).workflow_id as string;
    expect((await targetsOf(db().knex, tenant, "ref.p2")).draft).to.deep.equal([childId, childId]);
  });

  it("rewrites a target that is the portable id of a key that exists only in the tenant", async () => {
    const tenant = newTenant();
    const existing = await importBundle(db().knex, makeBundle({ workflows: [child("ref.existing")] }), { tenant });
    const existingId = existing.createdWorkflows[0]?.workflowId as string;
    const result = await importBundle(
      db().knex,
      makeBundle({ workflows: [parent("ref.p3", computePortableWorkflowId("ref.existing"))] }),
      { tenant },
    );
    expect(result.warnings).to.deep.equal([]);
    expect(await targetsOf(db().knex, tenant, "ref.p3")).to.deep.equal({
      draft: [existingId, existingId],
      versions: [[existingId, existingId]],
    });
  });

  it("keeps a target that is already a workflow id of the tenant", async () => {
    const tenant = newTenant();
    const existing = await importBundle(db().knex, makeBundle({ workflows: [child("ref.by-id")] }), { tenant });
    const existingId = existing.createdWorkflows[0]?.workflowId as string;
    const result = await importBundle(db().knex, makeBundle({ workflows: [parent("ref.p4", existingId)] }), { tenant });
    expect(result.warnings).to.deep.equal([]);
    expect((await targetsOf(db().knex, tenant, "ref.p4")).draft).to.deep.equal([existingId, existingId]);
  });

  it("imports an unknown target as it is, with an UNRESOLVED_WORKFLOW_REFERENCE warning naming the step path", async () => {
    const tenant = newTenant();
    const unknown = "00000000-0000-0000-0000-000000000000";
    const result = await importBundle(db().knex, makeBundle({ workflows: [parent("ref.p5", unknown)] }), { tenant });
    const details = result.warnings.map((w) => ({ code: w.code, ...(w.details as Json) }));
    expect(details).to.deep.include({
      code: "UNRESOLVED_WORKFLOW_REFERENCE",
      workflowKey: "ref.p5",
      stepPath: "root.steps[0]",
      targetWorkflowId: unknown,
      targetVersion: 1,
    });
    expect(details).to.deep.include({
      code: "UNRESOLVED_WORKFLOW_REFERENCE",
      workflowKey: "ref.p5",
      stepPath: "root.steps[1].then.steps[1]",
      targetWorkflowId: unknown,
      targetVersion: 1,
    });
    for (const w of result.warnings) expect(w.message).to.include("ref.p5");
    expect((await targetsOf(db().knex, tenant, "ref.p5")).draft).to.deep.equal([unknown, unknown]);
  });

  it("warns once per workflow, step and target, even when the draft and every version hold the same step", async () => {
    const tenant = newTenant();
    const w = parent("ref.p6", "not-a-workflow");
    (w.publishedVersions as Json[]).push({
      ...structuredClone((w.publishedVersions as Json[])[0] as Json),
      version: 2,
    });
    const result = await importBundle(db().knex, makeBundle({ workflows: [w] }), { tenant });
    expect(result.warnings.map((x) => (x.details as Json).stepPath)).to.deep.equal([
      "root.steps[0]",
      "root.steps[1].then.steps[1]",
    ]);
  });

  it("does not resolve a target through a workflow of another tenant", async () => {
    const [a, b] = [newTenant(), newTenant()];
    const other = await importBundle(db().knex, makeBundle({ workflows: [child("ref.elsewhere")] }), { tenant: a });
    const otherId = other.createdWorkflows[0]?.workflowId as string;
    const result = await importBundle(
      db().knex,
      makeBundle({
        workflows: [parent("ref.p7", otherId), parent("ref.p8", computePortableWorkflowId("ref.elsewhere"))],
      }),
      { tenant: b },
    );
    expect(result.warnings.map((w) => w.code)).to.deep.equal(new Array(4).fill("UNRESOLVED_WORKFLOW_REFERENCE"));
  });

  it("exports targets as portable ids and keeps references intact over import/export hops between tenants", async () => {
    const [a, b, c] = [newTenant(), newTenant(), newTenant()];
    const bundle = makeBundle({ workflows: [parent("ref.hop-parent", CHILD_DEFINITION_ID), child("ref.hop-child")] });
    await importBundle(db().knex, bundle, { tenant: a });
    const keys = ["ref.hop-child", "ref.hop-parent"];
    const fromA = await exportBundle(db().knex, { tenant: a, keys, exportedAt: EXPORTED_AT });
    const exportedParent = fromA.workflows.find((w) => w.key === "ref.hop-parent");
    expect(collectCallReferences(exportedParent?.draft.definition).map((r) => r.workflowId)).to.deep.equal([
      computePortableWorkflowId("ref.hop-child"),
      computePortableWorkflowId("ref.hop-child"),
    ]);
    const idsOfA = [(await workflowRow(db().knex, a, "ref.hop-child")).workflow_id as string];
    expect(canonical(fromA)).to.not.include(idsOfA[0]);

    await importBundle(db().knex, fromA, { tenant: b });
    const childOfB = (await workflowRow(db().knex, b, "ref.hop-child")).workflow_id as string;
    expect((await targetsOf(db().knex, b, "ref.hop-parent")).draft).to.deep.equal([childOfB, childOfB]);

    const fromB = await exportBundle(db().knex, { tenant: b, keys, exportedAt: EXPORTED_AT });
    await importBundle(db().knex, fromB, { tenant: c });
    const childOfC = (await workflowRow(db().knex, c, "ref.hop-child")).workflow_id as string;
    expect((await targetsOf(db().knex, c, "ref.hop-parent")).versions).to.deep.equal([[childOfC, childOfC]]);
    expect(canonical(fromB)).to.equal(canonical(fromA));
  });

  it("resolves a raw id of a workflow the bundle updates or replaces to the id it has afterwards", async () => {
    const tenant = newTenant();
    const first = await importBundle(db().knex, makeBundle({ workflows: [child("ref.kept")] }), { tenant });
    const oldId = first.createdWorkflows[0]?.workflowId as string;
    // The bundle's child carries another definition.id: only the tenant knows oldId.
    const incomingChild = () => {
      const c = child("ref.kept");
      ((c.draft as Json).definition as Json).id = "00000000-0000-0000-0000-00000000d1ff";
      for (const v of c.publishedVersions as Json[]) (v.definition as Json).id = "00000000-0000-0000-0000-00000000d1ff";
      return c;
    };
    const updated = await importBundle(
      db().knex,
      makeBundle({ workflows: [incomingChild(), parent("ref.kept-parent", oldId)] }),
      { tenant, onConflict: "update" },
    );
    expect(updated.warnings).to.deep.equal([]);
    expect((await targetsOf(db().knex, tenant, "ref.kept-parent")).draft).to.deep.equal([oldId, oldId]);

    const replaced = await importBundle(
      db().knex,
      makeBundle({ workflows: [incomingChild(), parent("ref.kept-parent", oldId)] }),
      { tenant, onConflict: "replace" },
    );
    expect(replaced.warnings).to.deep.equal([]);
    const newId = (await workflowRow(db().knex, tenant, "ref.kept")).workflow_id as string;
    expect(newId).to.not.equal(oldId);
    expect(await targetsOf(db().knex, tenant, "ref.kept-parent")).to.deep.equal({
      draft: [newId, newId],
      versions: [[newId, newId]],
    });
  });

  it("re-points references to a replaced workflow at its new id when both are in the bundle", async () => {
    const tenant = newTenant();
    const bundle = makeBundle({ workflows: [parent("ref.rp", CHILD_DEFINITION_ID), child("ref.rc")] });
    await importBundle(db().knex, bundle, { tenant });
    await importBundle(db().knex, bundle, { tenant, onConflict: "replace" });
    const childId = (await workflowRow(db().knex, tenant, "ref.rc")).workflow_id as string;
    expect((await targetsOf(db().knex, tenant, "ref.rp")).draft).to.deep.equal([childId, childId]);
  });
  it("a caller imported before the workflow it calls publishes once that workflow is imported (portable id resolved then)", async () => {
    const tenant = newTenant();
    const first = await importBundle(
      db().knex,
      makeBundle({ workflows: [parent("ref.early-parent", computePortableWorkflowId("ref.late-child"))] }),
      { tenant },
    );
    // the warning's promise: "publishing will fail until it exists"
    expect(first.warnings.map((w) => w.code)).to.include("UNRESOLVED_WORKFLOW_REFERENCE");
    const steps = [{ id: "mark", type: "state.set", config: { state: "CALLED" } }];
    const late = makeWorkflow({
      key: "ref.late-child",
      definition: makeDefinition({ id: CHILD_DEFINITION_ID, steps }),
      actions: [],
      nodeTypes: ["state.set"],
    });
    await importBundle(db().knex, makeBundle({ workflows: [late] }), { tenant });
    const childId = (await workflowRow(db().knex, tenant, "ref.late-child")).workflow_id as string;
    const published = await publishWorkflow(db().knex, { tenant, key: "ref.early-parent" });
    const after = await targetsOf(db().knex, tenant, "ref.early-parent");
    // the new version and the draft after it call the child by its id in this tenant
    expect(after.draft).to.deep.equal([childId, childId]);
    expect(after.versions.at(-1)).to.deep.equal([childId, childId]);
    const run = await runWorkflow(db().knex, {
      tenant,
      key: "ref.early-parent",
      version: published.version,
      payload: { a: 1 },
    });
    expect(run.status, JSON.stringify(run.error)).to.equal("SUCCEEDED");
  });
});
