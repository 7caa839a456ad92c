import { expect } from "chai";
import type { IssueOf } from "../../../src/errors.js";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { importBundle } from "../../../src/import/import-bundle.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { countWorkflows, expectFailure, insertRun, newTenant, versionRows, workflowRow } from "./helpers.js";

type Json = Record<string, unknown>;
const ACTOR_1 = "a0000000-0000-4000-8000-000000000001";
const ACTOR_2 = "a0000000-0000-4000-8000-000000000002";

/** A first import of `key` with two published versions and one run; returns its id and run. */
async function seed(knex: import("knex").Knex, tenant: string, key: string) {
  const result = await importBundle(
    knex,
    makeBundle({ workflows: [makeWorkflow({ key, published: 2, metadata: { name: "Original" } })] }),
    { tenant, actor: ACTOR_1 },
  );
  const workflowId = result.createdWorkflows[0]?.workflowId as string;
  const runId = await insertRun(knex, tenant, workflowId);
  return { workflowId, runId };
}

/** The bundle that conflicts with {@link seed}: one published version, renamed, different steps. */
function incoming(key: string): Json {
  const definition = makeDefinition({
    name: "Incoming",
    steps: [{ id: "only", type: "state.set", config: { state: "NEW" } }],
  });
  return makeBundle({
    workflows: [
      makeWorkflow({
        key,
        published: 1,
        definition,
        metadata: { name: "Incoming", isPaused: true },
        actions: [],
        nodeTypes: ["state.set"],
      }),
    ],
  });
}

async function runExists(knex: import("knex").Knex, tenant: string, runId: string): Promise<boolean> {
  const result = await knex.raw("select count(*)::int as n from workflow_runs where tenant = ? and run_id = ?", [
    tenant,
    runId,
  ]);
  return result.rows[0].n === 1;
}

describeEachEngine("import conflict policies", (db) => {
  it("fail (the default): WORKFLOW_KEY_CONFLICT with the key and the existing id, nothing written", async () => {
    const tenant = newTenant();
    const { workflowId } = await seed(db().knex, tenant, "policy.fail");
    const before = await fingerprint(db().knex);
    const bundle = incoming("policy.fail");
    (bundle.workflows as Json[]).unshift(makeWorkflow({ key: "policy.fail-new" }));
    const error = await expectFailure(importBundle(db().knex, bundle, { tenant }), "WORKFLOW_KEY_CONFLICT");
    expect(error.issue.details).to.deep.equal({ key: "policy.fail", existingWorkflowId: workflowId, tenant });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
    await expectFailure(importBundle(db().knex, bundle, { tenant, onConflict: "fail" }), "WORKFLOW_KEY_CONFLICT");
  });

  it("fail reports every conflicting key at once", async () => {
    const tenant = newTenant();
    await seed(db().knex, tenant, "policy.fail-a");
    await seed(db().knex, tenant, "policy.fail-b");
    const bundle = makeBundle({
      workflows: [makeWorkflow({ key: "policy.fail-a" }), makeWorkflow({ key: "policy.fail-b" })],
    });
    const error = await expectFailure(importBundle(db().knex, bundle, { tenant }), "WORKFLOW_KEY_CONFLICT");
    expect(error.issues.map((i) => (i as IssueOf<"WORKFLOW_KEY_CONFLICT">).details.key)).to.deep.equal([
      "policy.fail-a",
      "policy.fail-b",
    ]);
  });

  it("replace: a new workflow id, listed in deletedWorkflows and createdWorkflows; versions replaced; runs cascade", async () => {
    const tenant = newTenant();
    const { workflowId, runId } = await seed(db().knex, tenant, "policy.replace");
    const result = await importBundle(db().knex, incoming("policy.replace"), {
      tenant,
      onConflict: "replace",
      actor: ACTOR_2,
    });
    const row = await workflowRow(db().knex, tenant, "policy.replace");
    expect(row.workflow_id).to.not.equal(workflowId);
    expect(result.deletedWorkflows).to.deep.equal([{ key: "policy.replace", workflowId }]);
    expect(result.createdWorkflows).to.deep.equal([{ key: "policy.replace", workflowId: row.workflow_id }]);
    expect(result.updatedWorkflows).to.deep.equal([]);
    expect(result.createdPublishedVersions).to.deep.equal([
      { key: "policy.replace", workflowId: row.workflow_id, versions: [1] },
    ]);
    expect(row.name).to.equal("Incoming");
    expect(row.is_paused).to.equal(true);
    expect(row.created_by).to.equal(ACTOR_2);
    expect((row.draft_definition as Json).id).to.equal(row.workflow_id);
    const versions = await versionRows(db().knex, tenant, row.workflow_id as string);
    expect(versions.map((v) => v.version)).to.deep.equal([1]);
    expect((((versions[0] as Json).definition_json as Json).steps as Json[]).map((s) => s.id)).to.deep.equal(["only"]);
    expect(await versionRows(db().knex, tenant, workflowId)).to.deep.equal([]);
    expect(await runExists(db().knex, tenant, runId), "the old workflow's run is deleted with it").to.equal(false);
    expect(await countWorkflows(db().knex, tenant)).to.equal(1);
  });

  it("update: the same workflow id, row overwritten, published versions replaced, runs kept, creation audit kept", async () => {
    const tenant = newTenant();
    const { workflowId, runId } = await seed(db().knex, tenant, "policy.update");
    const created = await workflowRow(db().knex, tenant, "policy.update");
    const result = await importBundle(db().knex, incoming("policy.update"), {
      tenant,
      onConflict: "update",
      actor: ACTOR_2,
    });
    const row = await workflowRow(db().knex, tenant, "policy.update");
    expect(row.workflow_id).to.equal(workflowId);
    expect(result.updatedWorkflows).to.deep.equal([{ key: "policy.update", workflowId }]);
    expect(result.createdWorkflows).to.deep.equal([]);
    expect(result.deletedWorkflows).to.deep.equal([]);
    expect(result.createdPublishedVersions).to.deep.equal([{ key: "policy.update", workflowId, versions: [1] }]);
    expect(row.name).to.equal("Incoming");
    expect(row.is_paused).to.equal(true);
    expect(row.created_by).to.equal(ACTOR_1);
    expect(row.updated_by).to.equal(ACTOR_2);
    expect(String(row.created_at)).to.equal(String(created.created_at));
    expect((row.draft_definition as Json).id).to.equal(workflowId);
    const versions = await versionRows(db().knex, tenant, workflowId);
    expect(versions.map((v) => v.version)).to.deep.equal([1]);
    expect(((versions[0] as Json).definition_json as Json).name).to.equal("Incoming");
    expect(versions[0]?.published_by).to.equal(ACTOR_2);
    expect(await runExists(db().knex, tenant, runId)).to.equal(true);
  });

  it("skip: the existing workflow is untouched and listed in skippedWorkflows; new ones are still created", async () => {
    const tenant = newTenant();
    const { workflowId } = await seed(db().knex, tenant, "policy.skip");
    const before = await fingerprint(db().knex, tenant);
    const bundle = incoming("policy.skip");
    (bundle.workflows as Json[]).push(makeWorkflow({ key: "policy.skip-new" }));
    const result = await importBundle(db().knex, bundle, { tenant, onConflict: "skip" });
    expect(result.skippedWorkflows).to.deep.equal([{ key: "policy.skip", workflowId }]);
    expect(result.createdWorkflows.map((w) => w.key)).to.deep.equal(["policy.skip-new"]);
    expect(result.createdPublishedVersions.map((w) => w.key)).to.deep.equal(["policy.skip-new"]);
    const skipped = await exportBundle(db().knex, {
      tenant,
      keys: ["policy.skip"],
      exportedAt: "2026-01-01T00:00:00Z",
    });
    expect(skipped.workflows[0]?.metadata.name).to.equal("Original");
    await importBundle(db().knex, incoming("policy.skip"), { tenant, onConflict: "skip" });
    const after = await fingerprint(db().knex, tenant);
    expect(after.workflow_runs).to.equal(before.workflow_runs);
  });

  it("skip leaves the skipped workflow's rows byte for byte as they were", async () => {
    const tenant = newTenant();
    await seed(db().knex, tenant, "policy.skip-only");
    const before = await fingerprint(db().knex, tenant);
    const result = await importBundle(db().knex, incoming("policy.skip-only"), { tenant, onConflict: "skip" });
    expect(result.skippedWorkflows.map((w) => w.key)).to.deep.equal(["policy.skip-only"]);
    expect(result.createdPublishedVersions).to.deep.equal([]);
    expect(await fingerprint(db().knex, tenant)).to.deep.equal(before);
  });

  it("only touches the target tenant: the same key in another tenant is not a conflict", async () => {
    const [a, b] = [newTenant(), newTenant()];
    const { workflowId } = await seed(db().knex, a, "policy.tenant");
    const beforeA = await fingerprint(db().knex, a);
    const result = await importBundle(db().knex, incoming("policy.tenant"), { tenant: b });
    expect(result.createdWorkflows[0]?.workflowId).to.not.equal(workflowId);
    await importBundle(db().knex, incoming("policy.tenant"), { tenant: b, onConflict: "replace" });
    expect(await fingerprint(db().knex, a)).to.deep.equal(beforeA);
  });

  it("sets status published when the bundle has versions, draft otherwise", async () => {
    const tenant = newTenant();
    await importBundle(
      db().knex,
      makeBundle({
        workflows: [makeWorkflow({ key: "status.p", published: 1 }), makeWorkflow({ key: "status.d", published: 0 })],
      }),
      { tenant },
    );
    expect((await workflowRow(db().knex, tenant, "status.p")).status).to.equal("published");
    expect((await workflowRow(db().knex, tenant, "status.d")).status).to.equal("draft");
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "status.p", published: 0 })] }), {
      tenant,
      onConflict: "update",
    });
    const row = await workflowRow(db().knex, tenant, "status.p");
    expect(row.status).to.equal("draft");
    expect(await versionRows(db().knex, tenant, row.workflow_id as string)).to.deep.equal([]);
  });
});
