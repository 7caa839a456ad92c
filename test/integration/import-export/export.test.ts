import { expect } from "chai";
import type { Knex } from "knex";
import type { IssueOf } from "../../../src/errors.js";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { validateBundle } from "../../../src/format/parse-bundle.js";
import { computePortableWorkflowId } from "../../../src/format/portable-id.js";
import { collectCallReferences } from "../../../src/format/workflow-references.js";
import { importBundle } from "../../../src/import/import-bundle.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine } from "../../support/databases.js";
import { canonical, EXPORTED_AT, expectFailure, newTenant, workflowRow } from "./helpers.js";

type Json = Record<string, unknown>;

/** A workflow whose draft calls `draftTarget` and whose published version calls `versionTarget`. */
function caller(key: string, draftTarget: string | null, versionTarget: string | null = draftTarget): Json {
  const step = (target: string | null) =>
    target === null
      ? []
      : [{ id: `call-${key}`, type: "control.callWorkflow", workflowId: target, workflowVersion: 1 }];
  const w = makeWorkflow({
    key,
    definition: makeDefinition({
      id: `00000000-0000-0000-0000-${String(key.length).padStart(12, "0")}`,
      steps: step(draftTarget),
    }),
    actions: [],
    nodeTypes: [],
  });
  (((w.publishedVersions as Json[])[0] as Json).definition as Json).steps = step(versionTarget);
  return w;
}

async function insertKeyless(knex: Knex, tenant: string, key: string | null): Promise<string> {
  const result = await knex.raw(
    `insert into workflow_definitions (tenant, key, name, payload_schema_ref, draft_definition)
     values (?, ?, 'Keyless', 'payload.TicketCreated.v1', '{"steps": []}'::jsonb) returning workflow_id::text as id`,
    [tenant, key],
  );
  return result.rows[0].id;
}

/** Counts the statements `fn` sends. */
async function countQueries(knex: Knex, fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const listener = () => {
    n++;
  };
  knex.on("query", listener);
  try {
    await fn();
  } finally {
    knex.removeListener("query", listener);
  }
  return n;
}

describeEachEngine("export", (db) => {
  it("writes canonical bundles: workflows by key, versions ascending, dependencies recomputed, no database ids", async () => {
    const tenant = newTenant();
    const b = makeWorkflow({ key: "exp.b", published: 3, nodeTypes: ["control.if", "state.set", "action.call"] });
    (b.publishedVersions as Json[]).reverse();
    const bundle = makeBundle({ workflows: [b, makeWorkflow({ key: "exp.a", published: 0 })] });
    (((bundle.workflows as Json[])[0] as Json).dependencies as Json).schemaRefs = [
      "payload.TicketCreated.v1",
      "payload.TicketUpdated.v1",
    ];
    await importBundle(db().knex, bundle, { tenant });
    const exported = await exportBundle(db().knex, { tenant, all: true, exportedAt: EXPORTED_AT });
    expect(exported.workflows.map((w) => w.key)).to.deep.equal(["exp.a", "exp.b"]);
    expect(exported.workflows[1]?.publishedVersions.map((v) => v.version)).to.deep.equal([1, 2, 3]);
    expect(exported.workflows[1]?.dependencies).to.deep.equal({
      actions: [{ actionId: "email.send", version: 1 }],
      nodeTypes: ["action.call", "state.set"],
      schemaRefs: ["payload.TicketCreated.v1"],
    });
    expect(exported.exportedAt).to.equal(EXPORTED_AT);
    expect(validateBundle(JSON.parse(canonical(exported))).ok).to.equal(true);
    const text = canonical(exported);
    for (const key of ["exp.a", "exp.b"]) {
      const id = (await workflowRow(db().knex, tenant, key)).workflow_id as string;
      expect(text).to.not.include(id);
      expect(exported.workflows.find((w) => w.key === key)?.draft.definition.id).to.equal(
        computePortableWorkflowId(key),
      );
    }
    expect(text).to.not.include(tenant);
  });

  it("stamps exportedAt with the current time when it is not pinned", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "exp.now" })] }), { tenant });
    const before = Date.now();
    const exported = await exportBundle(db().knex, { tenant, keys: ["exp.now"] });
    const at = Date.parse(exported.exportedAt);
    expect(at).to.be.within(before - 1000, Date.now() + 1000);
  });

  it("selects by workflow id (any case) and by key, and only in the given tenant", async () => {
    const [tenant, other] = [newTenant(), newTenant()];
    await importBundle(
      db().knex,
      makeBundle({ workflows: ["exp.s1", "exp.s2", "exp.s3"].map((key) => makeWorkflow({ key })) }),
      { tenant },
    );
    const id2 = (await workflowRow(db().knex, tenant, "exp.s2")).workflow_id as string;
    const exported = await exportBundle(db().knex, {
      tenant,
      workflowIds: [id2.toUpperCase()],
      keys: ["exp.s3"],
      exportedAt: EXPORTED_AT,
    });
    expect(exported.workflows.map((w) => w.key)).to.deep.equal(["exp.s2", "exp.s3"]);
    const error = await expectFailure(
      exportBundle(db().knex, { tenant: other, workflowIds: [id2], keys: ["exp.s3"] }),
      "WORKFLOW_NOT_FOUND",
    );
    expect(error.issue.details).to.deep.equal({ workflowIds: [id2], keys: ["exp.s3"], tenant: other });
  });

  it("fails with WORKFLOW_NOT_FOUND listing every unknown id and key, and nothing else", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "exp.known" })] }), { tenant });
    const knownId = (await workflowRow(db().knex, tenant, "exp.known")).workflow_id as string;
    const unknownId = "00000000-0000-4000-8000-00000000dead";
    const error = await expectFailure(
      exportBundle(db().knex, {
        tenant,
        workflowIds: [knownId, unknownId],
        keys: ["exp.known", "exp.missing-1", "exp.missing-2"],
      }),
      "WORKFLOW_NOT_FOUND",
    );
    expect(error.issue.details).to.deep.equal({
      workflowIds: [unknownId],
      keys: ["exp.missing-1", "exp.missing-2"],
      tenant,
    });
    expect(error.message).to.include("exp.missing-1").and.include(unknownId);
  });

  it("fails with WORKFLOW_NOT_FOUND for an id that is not a UUID, without querying with it", async () => {
    const error = await expectFailure(
      exportBundle(db().knex, { tenant: newTenant(), workflowIds: ["not-a-uuid"] }),
      "WORKFLOW_NOT_FOUND",
    );
    expect((error.issue as IssueOf<"WORKFLOW_NOT_FOUND">).details.workflowIds).to.deep.equal(["not-a-uuid"]);
  });

  it("fails with WORKFLOW_NOT_FOUND when the selection is empty (a bundle needs a workflow)", async () => {
    await expectFailure(exportBundle(db().knex, { tenant: newTenant(), all: true }), "WORKFLOW_NOT_FOUND");
    await expectFailure(exportBundle(db().knex, { tenant: newTenant() }), "WORKFLOW_NOT_FOUND");
  });

  it("fails with WORKFLOW_WITHOUT_KEY for a selected row with a null or empty key, naming it", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "exp.keyed" })] }), { tenant });
    const keyless = await insertKeyless(db().knex, tenant, null);
    const error = await expectFailure(
      exportBundle(db().knex, { tenant, workflowIds: [keyless], keys: ["exp.keyed"] }),
      "WORKFLOW_WITHOUT_KEY",
    );
    expect(error.issue.details).to.deep.equal({ workflowIds: [keyless], tenant });
    expect(error.message).to.include(keyless).and.include("key");
    const empty = await insertKeyless(db().knex, tenant, "");
    const all = await expectFailure(exportBundle(db().knex, { tenant, all: true }), "WORKFLOW_WITHOUT_KEY");
    expect((all.issue as IssueOf<"WORKFLOW_WITHOUT_KEY">).details.workflowIds).to.have.members([keyless, empty]);
  });

  it("refuses to write a bundle no import would accept, naming the workflow (rows written by other tools)", async () => {
    const tenant = newTenant();
    const insert = async (key: string, name: string, draft: unknown, ref = "payload.TicketCreated.v1") => {
      const result = await db().knex.raw(
        `insert into workflow_definitions (tenant, key, name, payload_schema_ref, draft_definition)
         values (?, ?, ?, ?, ?::jsonb) returning workflow_id::text as id`,
        [tenant, key, name, ref, JSON.stringify(draft)],
      );
      return result.rows[0].id as string;
    };
    const cases: [string, string, string, unknown, string, string][] = [
      ["Bad Key", "bad key", "Name", { steps: [] }, "payload.TicketCreated.v1", "/workflows/0/key"],
      ["exp.empty-name", "an empty name", "", { steps: [] }, "payload.TicketCreated.v1", "/workflows/0/metadata/name"],
      ["exp.array-draft", "an array draft", "Name", [1], "payload.TicketCreated.v1", "/workflows/0/draft/definition"],
      ["exp.empty-ref", "an empty schema ref", "Name", { steps: [] }, "", "/workflows/0/metadata/payloadSchemaRef"],
    ];
    for (const [key, label, name, draft, ref, path] of cases) {
      const id = await insert(key, name, draft, ref);
      const error = await expectFailure(exportBundle(db().knex, { tenant, keys: [key] }), "SCHEMA_VALIDATION_FAILED");
      const errors = (error.issue as IssueOf<"SCHEMA_VALIDATION_FAILED">).details.errors;
      expect(
        errors.map((e) => e.path),
        label,
      ).to.include(path);
      expect(errors.find((e) => e.path === path)?.message, label)
        .to.include(JSON.stringify(key))
        .and.include(id);
    }
  });

  it("rejects an exportedAt that is not a date-time", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "exp.at" })] }), { tenant });
    const error = await expectFailure(
      exportBundle(db().knex, { tenant, keys: ["exp.at"], exportedAt: "yesterday" }),
      "SCHEMA_VALIDATION_FAILED",
    );
    expect((error.issue as IssueOf<"SCHEMA_VALIDATION_FAILED">).details.errors.map((e) => e.path)).to.deep.equal([
      "/exportedAt",
    ]);
  });

  it("--with-called-workflows exports the closure through drafts and published versions, cycles included", async () => {
    const tenant = newTenant();
    const portable = computePortableWorkflowId;
    // a → b (draft), b → c (published version only), c → a (cycle), d unrelated, e → not-a-uuid
    await importBundle(
      db().knex,
      makeBundle({
        workflows: [
          caller("cl.a", portable("cl.b")),
          caller("cl.b", null, portable("cl.c")),
          caller("cl.c", portable("cl.a")),
          caller("cl.d", null),
          caller("cl.e", "not-a-uuid"),
        ],
      }),
      { tenant },
    );
    const closure = await exportBundle(db().knex, {
      tenant,
      keys: ["cl.a"],
      withCalledWorkflows: true,
      exportedAt: EXPORTED_AT,
    });
    expect(closure.workflows.map((w) => w.key)).to.deep.equal(["cl.a", "cl.b", "cl.c"]);
    const fromE = await exportBundle(db().knex, {
      tenant,
      keys: ["cl.e"],
      withCalledWorkflows: true,
      exportedAt: EXPORTED_AT,
    });
    expect(fromE.workflows.map((w) => w.key)).to.deep.equal(["cl.e"]);

    const alone = await exportBundle(db().knex, { tenant, keys: ["cl.a"], exportedAt: EXPORTED_AT });
    expect(alone.workflows.map((w) => w.key)).to.deep.equal(["cl.a"]);
    expect(collectCallReferences(alone.workflows[0]?.draft.definition).map((r) => r.workflowId)).to.deep.equal([
      portable("cl.b"),
    ]);

    const other = newTenant();
    await importBundle(db().knex, closure, { tenant: other });
    const ids = Object.fromEntries(
      await Promise.all(
        ["cl.a", "cl.b", "cl.c"].map(async (k) => [k, (await workflowRow(db().knex, other, k)).workflow_id]),
      ),
    );
    const a = await workflowRow(db().knex, other, "cl.a");
    expect(collectCallReferences(a.draft_definition).map((r) => r.workflowId)).to.deep.equal([ids["cl.b"]]);
  });

  it("reads with a constant number of queries, whatever the number of workflows", async () => {
    const small = newTenant();
    const large = newTenant();
    const many = (n: number, prefix: string) =>
      makeBundle({
        workflows: Array.from({ length: n }, (_, i) =>
          caller(`${prefix}.${String(i).padStart(3, "0")}`, i > 0 ? computePortableWorkflowId(`${prefix}.000`) : null),
        ),
      });
    const importSmall = await countQueries(db().knex, () => importBundle(db().knex, many(2, "q"), { tenant: small }));
    const importLarge = await countQueries(db().knex, () => importBundle(db().knex, many(60, "q"), { tenant: large }));
    expect(importLarge, "import statements").to.equal(importSmall);
    const exportSmall = await countQueries(db().knex, () => exportBundle(db().knex, { tenant: small, all: true }));
    const exportLarge = await countQueries(db().knex, () => exportBundle(db().knex, { tenant: large, all: true }));
    expect(exportLarge, "export queries").to.equal(exportSmall);
    expect(exportLarge).to.be.at.most(3);
  });
});
