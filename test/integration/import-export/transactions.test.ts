import { expect } from "chai";
import type { IssueOf } from "../../../src/errors.js";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { importBundle, importBundles } from "../../../src/import/import-bundle.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { countWorkflows, expectFailure, newTenant } from "./helpers.js";

describeEachEngine("import transactions", (db) => {
  it("imports several files in one importBundles call as one transaction: a conflict in the last writes nothing", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "tx.existing" })] }), { tenant });
    const before = await fingerprint(db().knex);
    const error = await expectFailure(
      importBundles(
        db().knex,
        [
          { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.first" })] }), file: "first.json" },
          { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.second" })] }), file: "second.json" },
          { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.existing" })] }), file: "third.json" },
        ],
        { tenant },
      ),
      "WORKFLOW_KEY_CONFLICT",
    );
    expect(error.issue.details).to.deep.include({ key: "tx.existing" });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("checks every file before writing any: an invalid second file writes nothing and names its file", async () => {
    const before = await fingerprint(db().knex);
    const error = await expectFailure(
      importBundles(
        db().knex,
        [
          { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.valid" })] }), file: "a.json" },
          { bundle: { ...makeBundle(), workflows: [] }, file: "b.json" },
        ],
        { tenant: newTenant() },
      ),
      "SCHEMA_VALIDATION_FAILED",
    );
    expect((error.issue as IssueOf<"SCHEMA_VALIDATION_FAILED">).details.file).to.equal("b.json");
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("rejects a key that appears in two files of one call", async () => {
    const error = await expectFailure(
      importBundles(
        db().knex,
        [
          { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.twice" })] }), file: "a.json" },
          { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.twice" })] }), file: "b.json" },
        ],
        { tenant: newTenant() },
      ),
      "DUPLICATE_WORKFLOW_KEY",
    );
    expect(error.issue.details).to.deep.include({
      key: "tx.twice",
      file: "b.json",
      duplicateOf: { file: "a.json", bundle: 0, index: 0 },
    });
  });

  it("commits all files of a successful call", async () => {
    const tenant = newTenant();
    const result = await importBundles(
      db().knex,
      [
        { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.ok-a" })] }), file: "a.json" },
        { bundle: makeBundle({ workflows: [makeWorkflow({ key: "tx.ok-b" }), makeWorkflow({ key: "tx.ok-c" })] }) },
      ],
      { tenant },
    );
    expect(result.createdWorkflows.map((w) => w.key)).to.deep.equal(["tx.ok-a", "tx.ok-b", "tx.ok-c"]);
    expect(await countWorkflows(db().knex, tenant)).to.equal(3);
  });

  it("lets exactly one of six concurrent imports of the same new key create it; the others get WORKFLOW_KEY_CONFLICT", async function () {
    this.timeout(60_000);
    const tenant = newTenant();
    const key = "tx.race";
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        importBundle(
          db().knex,
          makeBundle({ workflows: [makeWorkflow({ key, metadata: { name: `attempt ${i}` } })] }),
          { tenant },
        ).then(
          () => "created",
          (error: unknown) => {
            if (isWorkflowSeederError(error, "WORKFLOW_KEY_CONFLICT")) return "conflict";
            throw error;
          },
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "created")).to.have.length(1);
    expect(outcomes.filter((o) => o === "conflict")).to.have.length(5);
    expect(await countWorkflows(db().knex, tenant)).to.equal(1);
  });

  it("does not deadlock when concurrent imports lock overlapping keys in opposite orders", async function () {
    this.timeout(60_000);
    const tenant = newTenant();
    const keys = ["tx.lock-a", "tx.lock-b", "tx.lock-c"];
    await importBundle(db().knex, makeBundle({ workflows: keys.map((key) => makeWorkflow({ key })) }), { tenant });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const ordered = i % 2 === 0 ? keys : [...keys].reverse();
        return importBundle(
          db().knex,
          makeBundle({ workflows: ordered.map((key) => makeWorkflow({ key, published: 2 })) }),
          {
            tenant,
            onConflict: i % 3 === 0 ? "replace" : "update",
          },
        );
      }),
    );
    expect(await countWorkflows(db().knex, tenant)).to.equal(3);
  });
});

describeEachEngine("database constraint violations during import", (db) => {
  before(async () => {
    await db().knex.raw(
      "alter table workflow_definitions add constraint workflow_definitions_name_not_forbidden check (name <> 'forbidden')",
    );
    await db().knex.raw(
      "alter table workflow_definition_versions add constraint workflow_definition_versions_below_100 check (version < 100)",
    );
  });

  it("maps a CHECK violation on insert to DATABASE_CONSTRAINT_VIOLATION with constraint, table and workflow key; nothing written", async () => {
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const bundle = makeBundle({
      workflows: [
        makeWorkflow({ key: "cv.fine" }),
        makeWorkflow({ key: "cv.forbidden", metadata: { name: "forbidden" } }),
      ],
    });
    const error = await expectFailure(importBundle(db().knex, bundle, { tenant }), "DATABASE_CONSTRAINT_VIOLATION");
    expect(error.issue.details).to.deep.include({
      constraint: "workflow_definitions_name_not_forbidden",
      table: "workflow_definitions",
      sqlState: "23514",
      workflowKey: "cv.forbidden",
    });
    expect(error.message).to.include("workflow_definitions_name_not_forbidden").and.include("cv.forbidden");
    expect(error.cause).to.not.equal(undefined);
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("names the failing workflow, not another key that appears in its row (key 'published' vs status 'published')", async () => {
    const tenant = newTenant();
    const bundle = makeBundle({
      workflows: [
        makeWorkflow({ key: "published", published: 1 }),
        makeWorkflow({ key: "x", published: 1, metadata: { name: "forbidden" } }),
      ],
    });
    const error = await expectFailure(importBundle(db().knex, bundle, { tenant }), "DATABASE_CONSTRAINT_VIOLATION");
    expect(error.issue.details).to.deep.include({ workflowKey: "x" });
  });

  it("maps a violation of the update policy's statement, with the key", async () => {
    const tenant = newTenant();
    await importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "cv.update" })] }), { tenant });
    const before = await fingerprint(db().knex);
    const bundle = makeBundle({ workflows: [makeWorkflow({ key: "cv.update", metadata: { name: "forbidden" } })] });
    const error = await expectFailure(
      importBundle(db().knex, bundle, { tenant, onConflict: "update" }),
      "DATABASE_CONSTRAINT_VIOLATION",
    );
    expect(error.issue.details).to.deep.include({
      constraint: "workflow_definitions_name_not_forbidden",
      table: "workflow_definitions",
      workflowKey: "cv.update",
    });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("maps a violation on the versions table and rolls back the workflows written before it", async () => {
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const w = makeWorkflow({ key: "cv.version", published: 1 });
    ((w.publishedVersions as Record<string, unknown>[])[0] as Record<string, unknown>).version = 150;
    const error = await expectFailure(
      importBundle(db().knex, makeBundle({ workflows: [makeWorkflow({ key: "cv.before" }), w] }), { tenant }),
      "DATABASE_CONSTRAINT_VIOLATION",
    );
    expect(error.issue.details).to.deep.include({
      constraint: "workflow_definition_versions_below_100",
      table: "workflow_definition_versions",
      sqlState: "23514",
      workflowKey: "cv.version",
    });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });
});
