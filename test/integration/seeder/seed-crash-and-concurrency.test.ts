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
import { type CliProcess, onlyTenantOf, runCli, sessionName, startCli } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";
import { readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];

/** Sessions of these processes waiting for an advisory lock (the seed lock, here). */
async function countLockWaiters(pg: TestDatabase, appNames: string[]): Promise<number> {
  const r = await pg.knex.raw(
    `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and not l.granted and a.application_name = any(?)`,
    [appNames.map(sessionName)],
  );
  return r.rows[0].n;
}

/** Polls until `probe` holds; a guard against a hang after two minutes (not a verdict on speed). */
async function waitUntil(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the processes to meet at the seed lock");
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
    // the first seed records at once; the second pauses inside its transaction (for an hour: it is
    // killed there, whenever this test gets to it) and is killed
    const run = startCli(args, {
      env: {
        WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "3600000",
        WORKFLOW_SEEDER_TEST_PAUSE_SEED: seedName(SECOND),
      },
    });
    await run.waitForStderr(new RegExp(`paused before recording ${seedName(SECOND).replace(/\./g, "\\.")}`));
    // while paused, the seed's workflows are written but not visible outside its transaction
    expect((await readWorkflows(pg.knex, tenant)).has("fixture.gamma")).to.equal(false);
    run.child.kill("SIGKILL");
    expect((await run.exited).code).to.equal(null);
    expect(run.stderr()).to.not.include(`paused before recording ${seedName(FIRST)}`);

    // the earlier seed is applied and recorded, the killed one neither
    expect((await readSeedRows(pg.knex, tenant)).map((r) => r.name)).to.deep.equal([seedName(FIRST)]);
    expect([...(await readWorkflows(pg.knex, tenant)).keys()]).to.deep.equal(["fixture.alpha", "fixture.beta"]);

    // the server released the dead process's lock: a re-run does not wait, and completes
    const again = await runCli(args, { env: { WORKFLOW_SEEDER_LOCK_TIMEOUT_MS: "20000" } });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include(seedName(SECOND));
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
    // Whichever process applies the first seed pauses there, holding the tenant's seed lock, until
    // the five others wait for that lock: they meet at it however spread out their starts are.
    const env = {
      WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "3600000",
      WORKFLOW_SEEDER_TEST_PAUSE_SEED: seedName(FIRST),
    };
    const appNames = Array.from({ length: 6 }, (_, i) => `wfs-seed-concurrent-${i}`);
    const processes = appNames.map((appName) => startCli(args, { env, appName }));
    let holder: CliProcess | undefined;
    await waitUntil(async () => {
      holder = processes.find((p) => p.stderr().includes("paused before recording"));
      return holder !== undefined && (await countLockWaiters(pg, appNames)) === 5;
    });
    holder?.child.kill("SIGUSR2");
    const runs = await Promise.all(processes.map((p) => p.exited));
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);

    const results = runs.map((r) =>
      onlyTenantOf<{
        applied: { name: string; workflows: { key: string; workflowId: string; action: string }[] }[];
        appliedConcurrently: string[];
      }>(r),
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
      await holder.waitForStderr(/paused before recording/);
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
