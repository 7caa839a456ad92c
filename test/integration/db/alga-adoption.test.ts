import { expect } from "chai";
import { ALGA_TABLE_NAMES, migrateToLatest } from "../../../src/db/migrations.js";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";
import { importBundle } from "../../../src/import/import-bundle.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { ENGINES, fingerprint, type TestDatabase } from "../../support/databases.js";
import { ALGA_PLAIN_POSTGRES_DDL, ALGA_PLAIN_POSTGRES_TABLES } from "./alga-schema.js";
import { describeSchema, listTables } from "./schema-snapshot.js";

const TENANT = "0f000000-0000-4000-8000-000000000001";
const OTHER_TENANT = "0f000000-0000-4000-8000-000000000002";
const EXPORTED_AT = "2026-02-01T00:00:00.000Z";

for (const engine of ENGINES)
  describe(`adopting Alga's plain-Postgres tables [${engine.name}]`, () => {
    let db: TestDatabase;
    let schemaBefore: unknown;
    let tablesBefore: string[];

    before(async function () {
      this.timeout(120_000);
      db = await engine.create({ migrate: false });
      await db.knex.raw(ALGA_PLAIN_POSTGRES_DDL);
      tablesBefore = await listTables(db.knex);
      schemaBefore = await describeSchema(db.knex, ALGA_PLAIN_POSTGRES_TABLES);
      await migrateToLatest(db.knex, { advisoryLock: engine.name === "postgres" });
    });

    after(async () => {
      await db?.close();
    });

    it("starts from Alga's shape: every table the tool knows exists, and there is no unique (tenant, key)", async () => {
      expect(tablesBefore).to.include.members([...ALGA_TABLE_NAMES]);
      const unique = await db.knex.raw(
        "select count(*)::int as n from pg_constraint where conrelid = 'workflow_definitions'::regclass and contype = 'u'",
      );
      expect(unique.rows[0].n).to.equal(0);
    });

    it("does not alter Alga's tables: columns, constraints, indexes and triggers are unchanged", async () => {
      const after = (await describeSchema(db.knex, ALGA_PLAIN_POSTGRES_TABLES)) as Record<string, unknown[]>;
      for (const [part, rows] of Object.entries(schemaBefore as Record<string, unknown[]>))
        expect(JSON.stringify(after[part], null, 1), part).to.equal(JSON.stringify(rows, null, 1));
      const migrations = await db.knex.raw("select name from knex_migrations");
      expect(migrations.rows).to.have.length(1);
    });

    it("adds only the tool's own tables", async () => {
      const added = (await listTables(db.knex)).filter((t) => !tablesBefore.includes(t));
      expect(added.length).to.be.greaterThan(0);
      expect(added.filter((t) => !t.startsWith("workflow_seeder_"))).to.deep.equal([]);
    });

    it("imports and exports there, and the export imports into another tenant byte for byte", async () => {
      const bundle = makeBundle({
        workflows: [
          makeWorkflow({ key: "alga.adopt-a", published: 2, metadata: { failureRateThreshold: 0.75 } }),
          makeWorkflow({ key: "alga.adopt-b", published: 0 }),
        ],
      });
      const result = await importBundle(db.knex, bundle, { tenant: TENANT });
      expect(result.createdWorkflows.map((w) => w.key)).to.deep.equal(["alga.adopt-a", "alga.adopt-b"]);
      const keys = ["alga.adopt-a", "alga.adopt-b"];
      const first = await exportBundle(db.knex, { tenant: TENANT, keys, exportedAt: EXPORTED_AT });
      await importBundle(db.knex, first, { tenant: OTHER_TENANT });
      const second = await exportBundle(db.knex, { tenant: OTHER_TENANT, keys, exportedAt: EXPORTED_AT });
      expect(canonicalizeJson(second)).to.equal(canonicalizeJson(first));
      expect(first.workflows[0]?.metadata.failureRateThreshold).to.equal(0.75);
    });

    it("never creates two workflows with one key, even without a unique (tenant, key): concurrent imports of one new key", async function () {
      this.timeout(60_000);
      const key = "alga.concurrent";
      const attempts = Array.from({ length: 6 }, () =>
        importBundle(db.knex, makeBundle({ workflows: [makeWorkflow({ key })] }), { tenant: TENANT }).then(
          () => "created",
          (error: unknown) => {
            if (isWorkflowSeederError(error, "WORKFLOW_KEY_CONFLICT")) return "conflict";
            throw error;
          },
        ),
      );
      const outcomes = await Promise.all(attempts);
      expect(outcomes.filter((o) => o === "created")).to.have.length(1);
      expect(outcomes.filter((o) => o === "conflict")).to.have.length(5);
      const rows = await db.knex.raw(
        "select count(*)::int as n from workflow_definitions where tenant = ? and key = ?",
        [TENANT, key],
      );
      expect(rows.rows[0].n).to.equal(1);
    });

    it("concurrent replace/update imports of one key still leave exactly one row", async function () {
      this.timeout(60_000);
      const key = "alga.concurrent-replace";
      await importBundle(db.knex, makeBundle({ workflows: [makeWorkflow({ key })] }), { tenant: TENANT });
      const policies = ["replace", "update", "replace", "update", "replace", "update"] as const;
      await Promise.all(
        policies.map((onConflict) =>
          importBundle(db.knex, makeBundle({ workflows: [makeWorkflow({ key, published: 2 })] }), {
            tenant: TENANT,
            onConflict,
          }),
        ),
      );
      const rows = await db.knex.raw(
        "select count(*)::int as n from workflow_definitions where tenant = ? and key = ?",
        [TENANT, key],
      );
      expect(rows.rows[0].n).to.equal(1);
      const versions = await db.knex.raw(
        `select count(*)::int as n from workflow_definition_versions v join workflow_definitions d
           on d.tenant = v.tenant and d.workflow_id = v.workflow_id where d.tenant = ? and d.key = ?`,
        [TENANT, key],
      );
      expect(versions.rows[0].n).to.equal(2);
    });

    it("handles a key Alga's schema let two rows share: export refuses, fail reports, replace keeps one", async () => {
      const tenant = "0f000000-0000-4000-8000-0000000000d2";
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const inserted = await db.knex.raw(
          `insert into workflow_definitions (tenant, key, name, payload_schema_ref, draft_definition)
           values (?, 'alga.twice', 'Twice', 'payload.TicketCreated.v1', '{"steps": []}') returning workflow_id::text as id`,
          [tenant],
        );
        ids.push(inserted.rows[0].id);
      }
      ids.sort();
      try {
        await exportBundle(db.knex, { tenant, all: true });
        expect.fail("expected DUPLICATE_WORKFLOW_KEY");
      } catch (error) {
        expect(isWorkflowSeederError(error, "DUPLICATE_WORKFLOW_KEY"), String(error)).to.equal(true);
      }
      const bundle = makeBundle({ workflows: [makeWorkflow({ key: "alga.twice" })] });
      try {
        await importBundle(db.knex, bundle, { tenant });
        expect.fail("expected WORKFLOW_KEY_CONFLICT");
      } catch (error) {
        expect(isWorkflowSeederError(error, "WORKFLOW_KEY_CONFLICT")).to.equal(true);
        expect((error as { details: unknown }).details).to.deep.include({ existingWorkflowId: ids[0] });
      }
      const replaced = await importBundle(db.knex, bundle, { tenant, onConflict: "replace" });
      expect(replaced.deletedWorkflows.map((w) => w.workflowId)).to.deep.equal(ids);
      const rows = await db.knex.raw(
        "select count(*)::int as n from workflow_definitions where tenant = ? and key = 'alga.twice'",
        [tenant],
      );
      expect(rows.rows[0].n).to.equal(1);
    });

    it("a failed import there leaves nothing behind", async () => {
      const snapshot = await fingerprint(db.knex);
      const bad = makeBundle({
        workflows: [makeWorkflow({ key: "alga.ok" }), makeWorkflow({ key: "alga.adopt-a" })],
      });
      try {
        await importBundle(db.knex, bad, { tenant: TENANT });
        expect.fail("expected a conflict");
      } catch (error) {
        expect(isWorkflowSeederError(error, "WORKFLOW_KEY_CONFLICT")).to.equal(true);
      }
      expect(await fingerprint(db.knex)).to.deep.equal(snapshot);
    });
  });
