/**
 * The two promises that need real processes: a seeder killed between the import and the record
 * leaves nothing half-done, and N seeders started at once apply each seed exactly once.
 */
import { expect } from "chai";
import {
  BASIC_SEEDS,
  LATER_SEED,
  LATER_SEED_FILE,
  makeSeedDir,
  newTenant,
  removeTempDirs,
  seedName,
} from "../../fixtures/seed-kit.js";
import { runCli, startCli } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";
import { readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];

describe("seeder processes on PostgreSQL: crash and concurrency", function () {
  this.timeout(120_000);
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.close();
    await removeTempDirs();
  });

  it("kill -9 between a seed's import and its record: neither its workflows nor its record remain; a re-run completes", async () => {
    const pg = await createPostgresDatabase();
    databases.push(pg);
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const args = ["up", "--dir", dir, "--tenant", tenant, "--database-url", pg.url as string];
    // every seed pauses inside its transaction; the first one records after its pause, the second one is killed
    const run = startCli(args, { env: { WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "5000" } });
    await run.waitForStderr(new RegExp(`paused before recording ${seedName(SECOND).replace(/\./g, "\\.")}`), 100_000);
    // while paused, the seed's workflows are written but not visible outside its transaction
    expect((await readWorkflows(pg.knex, tenant)).has("fixture.gamma")).to.equal(false);
    run.child.kill("SIGKILL");
    expect((await run.exited).code).to.equal(null);
    expect(run.stderr()).to.include(`paused before recording ${seedName(FIRST)}`);

    // the earlier seed is applied and recorded, the killed one neither
    expect((await readSeedRows(pg.knex, tenant)).map((r) => r.name)).to.deep.equal([seedName(FIRST)]);
    expect([...(await readWorkflows(pg.knex, tenant)).keys()]).to.deep.equal(["fixture.alpha", "fixture.beta"]);

    // the server released the dead process's lock: a re-run does not wait, and completes
    const again = await runCli(args, { env: { WORKFLOW_SEEDER_LOCK_TIMEOUT_MS: "20000" } });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).to.include(seedName(SECOND));
    expect((await readSeedRows(pg.knex, tenant)).map((r) => r.name)).to.deep.equal([seedName(FIRST), seedName(SECOND)]);
    expect([...(await readWorkflows(pg.knex, tenant)).keys()]).to.deep.equal([
      "fixture.alpha",
      "fixture.beta",
      "fixture.gamma",
    ]);
    const status = await runCli(["status", ...args.slice(1), "--detailed-exitcode"]);
    expect(status.code, status.stderr).to.equal(0);
  });

  it("6 concurrent up processes on a fresh database: all exit 0, each seed applied once, each workflow created once", async () => {
    const pg = await createPostgresDatabase({ migrate: false });
    databases.push(pg);
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    const args = ["up", "--dir", dir, "--tenant", tenant, "--database-url", pg.url as string, "--json"];
    // each seed holds the lock for a second, so the processes do meet at the lock
    const env = { WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "1000" };
    const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(args, { env })));
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);

    const results = runs.map(
      (r) =>
        JSON.parse(r.stdout) as {
          applied: { name: string; workflows: { key: string; workflowId: string; action: string }[] }[];
          appliedConcurrently: string[];
        },
    );
    const names = [FIRST, SECOND, LATER_SEED_FILE].map(seedName);
    // across all processes, each seed was applied by exactly one of them; the others found it
    // recorded once they held the lock
    expect(results.flatMap((r) => r.applied.map((s) => s.name)).sort()).to.deep.equal(names);
    expect(results.flatMap((r) => r.appliedConcurrently).length).to.be.above(0);
    const rows = await readSeedRows(pg.knex, tenant);
    expect(rows.map((r) => r.name)).to.deep.equal(names);
    const counts = await pg.knex.raw(
      "select key, count(*)::int as n from workflow_definitions where tenant = ? group by key order by key",
      [tenant],
    );
    expect(counts.rows).to.deep.equal(
      ["fixture.alpha", "fixture.beta", "fixture.delta", "fixture.gamma"].map((key) => ({ key, n: 1 })),
    );
    // the later seed updated alpha in place: the id the first seed recorded is still the workflow's
    const created = results.flatMap((r) => r.applied).find((s) => s.name === seedName(FIRST));
    const alphaId = created?.workflows.find((w) => w.key === "fixture.alpha")?.workflowId;
    expect((await readWorkflows(pg.knex, tenant)).get("fixture.alpha")).to.include({
      workflowId: alphaId,
      description: "Alpha, second version.",
    });
  });

  it("a held seed lock: up waits at most WORKFLOW_SEEDER_LOCK_TIMEOUT_MS, then SEED_LOCK_TIMEOUT with nothing written", async () => {
    const pg = await createPostgresDatabase();
    databases.push(pg);
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const args = ["up", "--dir", dir, "--tenant", tenant, "--database-url", pg.url as string, "--json"];
    // a seeder paused inside its first seed's transaction holds the tenant's lock, longer than any
    // run of this test however slow the machine (it is killed at the end)
    const holder = startCli(args, { env: { WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "3600000" } });
    try {
      await holder.waitForStderr(/paused before recording/, 100_000);
      const waited = await runCli(args, { env: { WORKFLOW_SEEDER_LOCK_TIMEOUT_MS: "300" } });
      expect(waited.code).to.equal(1);
      const error = (
        JSON.parse(waited.stdout) as { error: { code: string; details: { tenant: string; waitedMs: number } } }
      ).error;
      expect(error.code).to.equal("SEED_LOCK_TIMEOUT");
      expect(error.details.tenant).to.equal(tenant);
      expect(error.details.waitedMs).to.be.at.least(250);
      // another tenant is not blocked by this tenant's lock
      const other = await runCli(["up", "--dir", dir, "--tenant", newTenant(), "--database-url", pg.url as string], {
        env: { WORKFLOW_SEEDER_LOCK_TIMEOUT_MS: "300" },
      });
      expect(other.code, other.stderr).to.equal(0);
    } finally {
      holder.child.kill("SIGKILL");
      await holder.exited;
    }
    expect(await readSeedRows(pg.knex, tenant)).to.deep.equal([]);
    const bad = await runCli(args, { env: { WORKFLOW_SEEDER_LOCK_TIMEOUT_MS: "soon" } });
    expect(bad.code).to.equal(2);
    expect((JSON.parse(bad.stdout) as { error: { code: string } }).error.code).to.equal("INVALID_ARGUMENT");
    const after = await runCli(args, { env: { WORKFLOW_SEEDER_LOCK_TIMEOUT_MS: "20000" } });
    expect(after.code, after.stderr).to.equal(0);
    expect(await readSeedRows(pg.knex, tenant)).to.have.length(2);
  });
});
