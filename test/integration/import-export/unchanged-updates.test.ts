import { readFileSync } from "node:fs";
import { expect } from "chai";
import type { Knex } from "knex";
import { importBundle } from "../../../src/import/import-bundle.js";
import { fixtureFile } from "../../support/bundle-sets.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine } from "../../support/databases.js";
import { newTenant } from "./helpers.js";

type Json = Record<string, unknown>;
const ACTOR_1 = "a0000000-0000-4000-8000-000000000001";
const ACTOR_2 = "a0000000-0000-4000-8000-000000000002";

/** Every column of a tenant's workflows and versions, ids and timestamps included, by key. */
async function rowsOf(knex: Knex, tenant: string): Promise<Map<string, { workflow: Json; versions: Json[] }>> {
  const workflows = await knex.raw(
    "select to_jsonb(d)::text as row, d.key from workflow_definitions d where d.tenant = ? order by d.key",
    [tenant],
  );
  const versions = await knex.raw(
    `select to_jsonb(v)::text as row, d.key from workflow_definition_versions v
     join workflow_definitions d on d.tenant = v.tenant and d.workflow_id = v.workflow_id
     where v.tenant = ? order by d.key, v.version`,
    [tenant],
  );
  const rows = new Map<string, { workflow: Json; versions: Json[] }>();
  for (const r of workflows.rows) rows.set(r.key, { workflow: JSON.parse(r.row), versions: [] });
  for (const r of versions.rows) rows.get(r.key)?.versions.push(JSON.parse(r.row));
  return rows;
}

function twoVersions(key: string, metadata: Json = {}): Json {
  return makeWorkflow({ key, published: 2, metadata: { name: key, ...metadata } });
}

describeEachEngine("import --on-conflict update of content the tenant already holds", (db) => {
  it("the same bundle twice: the second import is unchanged and writes nothing (ids, version ids, timestamps, actors stay)", async () => {
    const tenant = newTenant();
    const bundle = makeBundle({ workflows: [twoVersions("same.one"), twoVersions("same.two")] });
    const first = await importBundle(db().knex, bundle, { tenant, actor: ACTOR_1 });
    const before = await rowsOf(db().knex, tenant);
    const second = await importBundle(db().knex, bundle, { tenant, onConflict: "update", actor: ACTOR_2 });
    expect(second.unchangedWorkflows).to.deep.equal(first.createdWorkflows);
    expect(second.updatedWorkflows).to.deep.equal([]);
    expect(second.createdWorkflows).to.deep.equal([]);
    expect(second.createdPublishedVersions).to.deep.equal([]);
    const after = await rowsOf(db().knex, tenant);
    expect([...after.keys()]).to.deep.equal(["same.one", "same.two"]);
    expect(after).to.deep.equal(before);
    expect(after.get("same.one")?.versions).to.have.length(2);
  });

  it("an exported bundle whose workflows call each other imports back unchanged (references resolved as the write resolves them)", async () => {
    const tenant = newTenant();
    const bundle = JSON.parse(readFileSync(fixtureFile("callChain").path, "utf8"));
    const first = await importBundle(db().knex, bundle, { tenant });
    expect(first.createdWorkflows).to.have.length.greaterThan(1);
    const before = await rowsOf(db().knex, tenant);
    const second = await importBundle(db().knex, bundle, { tenant, onConflict: "update" });
    expect(second.unchangedWorkflows.map((w) => w.key)).to.deep.equal(first.createdWorkflows.map((w) => w.key));
    expect(second.updatedWorkflows).to.deep.equal([]);
    expect(await rowsOf(db().knex, tenant)).to.deep.equal(before);
  });

  const edits: [string, (w: Json) => void][] = [
    ["a metadata field", (w) => Object.assign(w.metadata as Json, { isPaused: true })],
    ["the failure rate threshold", (w) => Object.assign(w.metadata as Json, { failureRateThreshold: 0.25 })],
    ["the draft version", (w) => Object.assign(w.draft as Json, { draftVersion: 7 })],
    [
      "the draft definition",
      (w) => {
        const draft = w.draft as Json;
        draft.definition = { ...(draft.definition as Json), name: "Renamed draft" };
      },
    ],
    ["one published version less", (w) => (w.publishedVersions as Json[]).pop()],
    [
      "a published version's payload schema",
      (w) => {
        const versions = w.publishedVersions as Json[];
        versions[0] = { ...versions[0], payloadSchemaJson: { type: "object" } };
      },
    ],
  ];
  for (const [what, edit] of edits)
    it(`one changed field (${what}) is an update, written as before`, async () => {
      const tenant = newTenant();
      const original = makeBundle({ workflows: [twoVersions("edit.one")] });
      const created = await importBundle(db().knex, original, { tenant });
      const before = await rowsOf(db().knex, tenant);
      const changed = structuredClone(original);
      edit((changed.workflows as Json[])[0] as Json);
      const result = await importBundle(db().knex, changed, { tenant, onConflict: "update" });
      expect(result.updatedWorkflows).to.deep.equal(created.createdWorkflows);
      expect(result.unchangedWorkflows).to.deep.equal([]);
      const after = await rowsOf(db().knex, tenant);
      // Its version rows are written anew (new version ids), as every update does.
      const ids = (rows: { versions: Json[] } | undefined) => rows?.versions.map((v) => v.version_id);
      expect(ids(after.get("edit.one"))).to.not.deep.equal(ids(before.get("edit.one")));
    });

  it("a mix in one bundle: unchanged, updated and created are each reported, and only the unchanged rows stay as they were", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [twoVersions("mix.same"), twoVersions("mix.changed")] }), {
      tenant,
    });
    const before = await rowsOf(db().knex, tenant);
    const result = await importBundle(
      db().knex,
      makeBundle({
        workflows: [
          twoVersions("mix.same"),
          twoVersions("mix.changed", { description: "now described" }),
          twoVersions("mix.new"),
        ],
      }),
      { tenant, onConflict: "update" },
    );
    expect(result.unchangedWorkflows.map((w) => w.key)).to.deep.equal(["mix.same"]);
    expect(result.updatedWorkflows.map((w) => w.key)).to.deep.equal(["mix.changed"]);
    expect(result.createdWorkflows.map((w) => w.key)).to.deep.equal(["mix.new"]);
    expect(result.createdPublishedVersions.map((w) => w.key)).to.deep.equal(["mix.new", "mix.changed"]);
    const after = await rowsOf(db().knex, tenant);
    expect(after.get("mix.same")).to.deep.equal(before.get("mix.same"));
    expect(after.get("mix.changed")?.workflow.description).to.equal("now described");
    expect(after.get("mix.changed")?.workflow.updated_at).to.not.equal(before.get("mix.changed")?.workflow.updated_at);
  });

  it("an unchanged workflow with an unresolved call target is not written, so it raises no reference warning", async () => {
    const tenant = newTenant();
    const missing = "0f0f0f0f-0000-4000-8000-000000000099";
    const definition = makeDefinition({
      name: "Caller",
      steps: [
        { id: "noop", type: "state.set", config: { state: "X" } },
        { id: "call", type: "control.callWorkflow", workflowId: missing, workflowVersion: 1 },
      ],
    });
    const bundle = makeBundle({
      workflows: [makeWorkflow({ key: "ref.caller", definition, actions: [], nodeTypes: ["state.set"] })],
    });
    const first = await importBundle(db().knex, bundle, { tenant });
    expect(first.warnings.map((w) => w.code)).to.include("UNRESOLVED_WORKFLOW_REFERENCE");
    const second = await importBundle(db().knex, bundle, { tenant, onConflict: "update" });
    expect(second.unchangedWorkflows.map((w) => w.key)).to.deep.equal(["ref.caller"]);
    expect(second.warnings.map((w) => w.code)).to.not.include("UNRESOLVED_WORKFLOW_REFERENCE");
  });

  it("replace is not affected: the same bundle is still deleted and created anew", async () => {
    const tenant = newTenant();
    const bundle = makeBundle({ workflows: [twoVersions("replace.same")] });
    const first = await importBundle(db().knex, bundle, { tenant });
    const second = await importBundle(db().knex, bundle, { tenant, onConflict: "replace" });
    expect(second.deletedWorkflows).to.deep.equal(first.createdWorkflows);
    expect(second.createdWorkflows).to.have.length(1);
    expect(second.unchangedWorkflows).to.deep.equal([]);
  });
});
