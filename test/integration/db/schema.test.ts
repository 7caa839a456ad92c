import { expect } from "chai";
import { ALGA_TABLE_NAMES, MIGRATION_NAMES, MIGRATIONS_TABLE, migrateToLatest } from "../../../src/db/migrations.js";
import { createPostgresDatabase, describeEachEngine, ENGINES } from "../../support/databases.js";
import { describeSchema, keyConstraints } from "./schema-snapshot.js";

describeEachEngine("database schema", (db) => {
  it("creates every Alga workflow table and this tool's tables", async () => {
    const result = await db().knex.raw(
      "select table_name from information_schema.tables where table_schema = current_schema() order by 1",
    );
    const tables = result.rows.map((r: { table_name: string }) => r.table_name);
    expect(tables).to.include.members([...ALGA_TABLE_NAMES, MIGRATIONS_TABLE, "workflow_seeder_seeds"]);
  });

  it("starts every primary key, unique constraint and foreign key of the workflow tables with tenant (Citus-ready)", async () => {
    const constraints = await keyConstraints(db().knex, [...ALGA_TABLE_NAMES, "workflow_seeder_seeds"]);
    expect(constraints.length).to.be.greaterThan(15);
    const offenders = constraints.filter((c) => c.columns[0] !== "tenant");
    expect(offenders).to.deep.equal([]);
    for (const table of ALGA_TABLE_NAMES)
      expect(
        constraints.some((c) => c.table === table && c.type === "p"),
        `${table} has a primary key`,
      ).to.equal(true);
  });

  it("has the keys the importer relies on: unique (tenant, key), unique (tenant, workflow_id, version), FKs with ON DELETE CASCADE", async () => {
    const constraints = await keyConstraints(db().knex, ALGA_TABLE_NAMES);
    const shapes = constraints.map((c) => `${c.table} ${c.type} (${c.columns.join(", ")})`);
    expect(shapes).to.include.members([
      "workflow_definitions p (tenant, workflow_id)",
      "workflow_definitions u (tenant, key)",
      "workflow_definition_versions u (tenant, workflow_id, version)",
      "workflow_definition_versions f (tenant, workflow_id)",
      "workflow_runs f (tenant, workflow_id)",
      "workflow_run_steps f (tenant, run_id)",
      "workflow_run_waits f (tenant, run_id)",
      "workflow_action_invocations f (tenant, run_id)",
    ]);
    const cascades = await db().knex.raw(
      "select count(*)::int as n from pg_constraint where contype = 'f' and confdeltype <> 'c' and conrelid::regclass::text = any(?::text[])",
      [[...ALGA_TABLE_NAMES]],
    );
    expect(cascades.rows[0].n).to.equal(0);
  });

  it("is idempotent: migrating again applies nothing and changes nothing", async () => {
    const before = await describeSchema(db().knex);
    const again = await migrateToLatest(db().knex, { advisoryLock: db().engine === "postgres" });
    expect(again.applied).to.deep.equal([]);
    expect(await describeSchema(db().knex)).to.deep.equal(before);
    const recorded = await db().knex.raw(`select name from ${MIGRATIONS_TABLE} order by id`);
    expect(recorded.rows.map((r: { name: string }) => r.name)).to.deep.equal([...MIGRATION_NAMES]);
  });
});

for (const engine of ENGINES)
  describe(`migrateToLatest on a fresh database [${engine.name}]`, () => {
    it("applies every migration once, then nothing", async function () {
      this.timeout(120_000);
      const db = await engine.create({ migrate: false });
      try {
        const first = await migrateToLatest(db.knex, { advisoryLock: engine.name === "postgres" });
        expect(first.applied).to.deep.equal([...MIGRATION_NAMES]);
        const second = await migrateToLatest(db.knex, { advisoryLock: engine.name === "postgres" });
        expect(second.applied).to.deep.equal([]);
      } finally {
        await db.close();
      }
    });
  });

describe("migrateToLatest run by several migrators at once [postgres]", () => {
  it("applies every migration exactly once and every migrator succeeds", async function () {
    this.timeout(120_000);
    const db = await createPostgresDatabase({ migrate: false });
    const knexFactory = (await import("knex")).default;
    const others = Array.from({ length: 5 }, () =>
      knexFactory({ client: "pg", connection: db.url as string, pool: { min: 0, max: 2 } }),
    );
    try {
      const results = await Promise.all(others.map((k) => migrateToLatest(k, { advisoryLock: true })));
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).to.deep.equal([...MIGRATION_NAMES].sort());
      const recorded = await db.knex.raw(`select name from ${MIGRATIONS_TABLE}`);
      expect(recorded.rows).to.have.length(MIGRATION_NAMES.length);
    } finally {
      await Promise.all(others.map((k) => k.destroy()));
      await db.close();
    }
  });
});
