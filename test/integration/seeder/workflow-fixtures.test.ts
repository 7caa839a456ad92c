import { resolve } from "node:path";
import { expect } from "chai";
import knexFactory, { type Knex } from "knex";
import {
  applySeeds,
  computeFixtureWorkflowId,
  importBundle,
  loadWorkflowFixtures,
  openFixtureTransaction,
  readSeedStatus,
  resetWorkflowFixtures,
} from "../../../src/index.js";
import {
  BASIC_SEEDS,
  fixtureBundle,
  LATER_SEED,
  LATER_SEED_FILE,
  makeSeedDir,
  newTenant,
  removeTempDirs,
  writeSeeds,
} from "../../fixtures/seed-kit.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { rejection } from "./expect-rejection.js";
import { exportTenantText, readWorkflows } from "./tenant-rows.js";

/** What a test does to the tenant: creates, changes and deletes workflows, and starts a run. */
async function messUp(knex: Knex, tenant: string): Promise<void> {
  await importBundle(knex, fixtureBundle([{ key: "test.created" }]), { tenant });
  await importBundle(
    knex,
    fixtureBundle([{ key: "fixture.alpha", description: "Changed by a test.", published: true }]),
    {
      tenant,
      onConflict: "update",
    },
  );
  await knex.raw("delete from workflow_definitions where tenant = ? and key = ?", [tenant, "fixture.gamma"]);
  await knex.raw("delete from workflow_definition_versions where tenant = ?", [tenant]);
  await knex.raw(
    `insert into workflow_runs (tenant, workflow_id, workflow_version, status)
     select tenant, workflow_id, 1, 'RUNNING' from workflow_definitions where tenant = ? and key = ?`,
    [tenant, "fixture.beta"],
  );
}

async function countRuns(knex: Knex, tenant: string): Promise<number> {
  return (await knex.raw("select count(*)::int as n from workflow_runs where tenant = ?", [tenant])).rows[0].n;
}

describeEachEngine("seeder: workflow fixtures", (db) => {
  after(removeTempDirs);

  it("resetWorkflowFixtures undoes what a test created, changed and deleted, with the same workflow ids", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    const bystander = newTenant();
    await importBundle(db().knex, fixtureBundle([{ key: "fixture.alpha" }]), { tenant: bystander });
    const bystanderBefore = await fingerprint(db().knex, bystander);

    const first = await resetWorkflowFixtures(db().knex, { tenant, dir });
    expect(first).to.deep.equal({ tenant, workflows: 4, seeds: 3 });
    const seeded = await exportTenantText(db().knex, tenant);
    const ids = await readWorkflows(db().knex, tenant);
    for (const [key, w] of ids) expect(w.workflowId).to.equal(computeFixtureWorkflowId(tenant, key));
    // the later seed's version of alpha wins, as with up
    expect(ids.get("fixture.alpha")?.description).to.equal("Alpha, second version.");

    await messUp(db().knex, tenant);
    expect(await exportTenantText(db().knex, tenant)).to.not.equal(seeded);
    expect(await countRuns(db().knex, tenant)).to.equal(1);

    await resetWorkflowFixtures(db().knex, { tenant, dir });
    expect(await exportTenantText(db().knex, tenant)).to.equal(seeded);
    expect(await readWorkflows(db().knex, tenant)).to.deep.equal(ids);
    expect(await countRuns(db().knex, tenant)).to.equal(0);
    expect(await fingerprint(db().knex, bystander)).to.deep.equal(bystanderBefore);

    // the tenant is in the seeded state as far as up is concerned, too
    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied", "applied"]);
    expect((await applySeeds(db().knex, { dir, tenant })).applied).to.deep.equal([]);
  });

  it("after a reset, a new seed updates fixture workflows in place (they are the seeder's)", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const fixtures = await loadWorkflowFixtures({ dir });
    await resetWorkflowFixtures(db().knex, { tenant, fixtures });
    await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
    await applySeeds(db().knex, { dir, tenant });
    expect((await readWorkflows(db().knex, tenant)).get("fixture.alpha")).to.include({
      workflowId: computeFixtureWorkflowId(tenant, "fixture.alpha"),
      description: "Alpha, second version.",
    });
    // and a reset from the prepared fixtures brings back the older state, seeds recorded as before
    await resetWorkflowFixtures(db().knex, { tenant, fixtures });
    expect((await readWorkflows(db().knex, tenant)).has("fixture.delta")).to.equal(false);
    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied", "pending"]);
  });

  it("the project's own seeds: a reset gives what up gives, and calls resolve to the child's stable id", async () => {
    const dir = resolve("seeds", "workflows");
    const [reset, seeded] = [newTenant(), newTenant()];
    await resetWorkflowFixtures(db().knex, { tenant: reset, dir });
    await applySeeds(db().knex, { dir, tenant: seeded });
    expect(await exportTenantText(db().knex, reset)).to.equal(await exportTenantText(db().knex, seeded));
    const childId = computeFixtureWorkflowId(reset, "seeder.ticket-escalate");
    const parents = await db().knex.raw(
      "select key from workflow_definitions where tenant = ? and workflow_id <> ? and draft_definition::text like ? order by key",
      [reset, childId, `%${childId}%`],
    );
    expect(parents.rows.map((r: { key: string }) => r.key)).to.deep.equal(["seeder.ticket-created-escalate-urgent"]);
  });

  it("one prepared fixture set reset in tenant after tenant gives each tenant its own stable ids", async () => {
    const fixtures = await loadWorkflowFixtures({ dir: await makeSeedDir() });
    const [a, b] = [newTenant(), newTenant()];
    for (const tenant of [a, b, a, b]) {
      await resetWorkflowFixtures(db().knex, { tenant, fixtures });
      const ids = await readWorkflows(db().knex, tenant);
      expect([...ids.keys()].sort()).to.deep.equal(fixtures.workflows.map((w) => w.key).sort());
      for (const [key, w] of ids) expect(w.workflowId).to.equal(computeFixtureWorkflowId(tenant, key));
    }
  });

  it("resets from bundles too", async () => {
    const tenant = newTenant();
    const bundles = [fixtureBundle([{ key: "b.one" }]), fixtureBundle([{ key: "b.two", published: true }])];
    await resetWorkflowFixtures(db().knex, { tenant, bundles });
    const seeded = await exportTenantText(db().knex, tenant);
    await messUp(db().knex, tenant);
    await resetWorkflowFixtures(db().knex, { tenant, bundles });
    expect(await exportTenantText(db().knex, tenant)).to.equal(seeded);
    expect([...(await readWorkflows(db().knex, tenant)).keys()]).to.deep.equal(["b.one", "b.two"]);
  });

  describe("openFixtureTransaction", () => {
    it("gives each test a savepoint: what one test wrote is gone for the next; nothing is ever committed", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      const scope = await openFixtureTransaction(db().knex, { tenant, dir });
      let seeded = "";
      try {
        seeded = await exportTenantText(scope.db, tenant);
        expect([...(await readWorkflows(scope.db, tenant)).keys()]).to.deep.equal([
          "fixture.alpha",
          "fixture.beta",
          "fixture.gamma",
        ]);

        // test 1 writes
        await scope.beginTest();
        await messUp(scope.db, tenant);
        expect(await exportTenantText(scope.db, tenant)).to.not.equal(seeded);
        await scope.endTest();

        // test 2 sees the fixtures
        await scope.beginTest();
        expect(await exportTenantText(scope.db, tenant)).to.equal(seeded);
        expect(await countRuns(scope.db, tenant)).to.equal(0);
        await scope.db.raw("delete from workflow_definitions where tenant = ?", [tenant]);
        // test 2 fails before its afterEach: the next beginTest still starts from the fixtures
        await scope.beginTest();
        expect(await exportTenantText(scope.db, tenant)).to.equal(seeded);
        await scope.endTest();
        await scope.endTest(); // a second endTest is harmless
      } finally {
        await scope.close();
      }
      expect(await exportTenantText(db().knex, tenant)).to.equal("");
      expect(await fingerprint(db().knex, tenant)).to.deep.equal(await fingerprint(db().knex, newTenant()));
    });

    it("a test costs three savepoint statements and nothing else (no reset per test; its speed is measured in bench/)", async () => {
      const scope = await openFixtureTransaction(db().knex, { tenant: newTenant(), bundles: [] });
      const statements: string[] = [];
      const record = (query: { sql: string }) => statements.push(query.sql);
      db().knex.on("query", record);
      try {
        for (let i = 0; i < 3; i++) {
          await scope.beginTest();
          await scope.endTest();
        }
      } finally {
        db().knex.off("query", record);
        await scope.close();
      }
      const test = ["savepoint", "rollback to savepoint", "release savepoint"];
      expect(statements.map((sql) => sql.replace(/ \S+$/, ""))).to.deep.equal([...test, ...test, ...test]);
    });
  });
});

describe("seeder: workflow fixtures on a knex without connection settings", () => {
  for (const connection of ["", undefined]) {
    it(`${JSON.stringify(connection) ?? "no"} connection: INVALID_ARGUMENT saying how to pass one, before any connection attempt`, async () => {
      // A bounded acquire timeout only so that, without the check, the test fails instead of waiting a minute.
      const db = knexFactory({ client: "pg", connection, acquireConnectionTimeout: 5_000 } as Knex.Config);
      try {
        for (const call of [
          () => resetWorkflowFixtures(db, { tenant: newTenant(), bundles: [] }),
          () => openFixtureTransaction(db, { tenant: newTenant(), bundles: [] }),
        ]) {
          const error = await rejection(call());
          expect(error.code).to.equal("INVALID_ARGUMENT");
          expect(error.details).to.include({ option: "the knex connection" });
          expect(error.message).to.include("DATABASE_URL");
        }
      } finally {
        await db.destroy();
      }
    });
  }
});
