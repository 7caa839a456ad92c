/**
 * Database faults on a real PostgreSQL server (which other tests share, so it is never
 * restarted: a restart is simulated by terminating every session of this suite's database):
 * the connection dropped in the middle of an import's or a seed's transaction, a statement
 * timeout, an idle-in-transaction timeout. Each gives a clear error code (no stack trace on the
 * CLI, no 500 over HTTP), leaves nothing partial, and the next run recovers.
 */
import { expect } from "chai";
import type { Knex } from "knex";
import { isWorkflowSeederError } from "../../src/errors.js";
import { importBundle } from "../../src/import/import-bundle.js";
import { type CliResult, runCli, startCli } from "../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../support/databases.js";
import { request, startTestServer, type TestServer } from "../support/http.js";
import { countFigure, recordFigure, reportReliabilitySuite } from "./report.js";
import { checkSeedStateAgrees, SEEDS, writeSeedFolder } from "./seed-folder.js";
import {
  countAdvisoryLocks,
  countIdleInTransaction,
  countTenantRows,
  generateBundle,
  generateKeys,
  holdKeyLock as holdKeyLockOn,
  holdVersionsTable as holdVersionsTableOf,
  makeTempDir,
  newTenant,
  pidsInsideWriteTransaction,
  removeTempDirs,
  waitForBackendsGone,
  waitForLockWaiter,
  waitUntil,
  writeBundleFile,
} from "./support.js";

const FAULT_CODES = ["DATABASE_UNAVAILABLE", "DATABASE_ERROR"];

/** What each fault produced, for the report. */
const observed: string[] = [];

/** A CLI failure as the issue promises it: exit 1, a documented code, no stack trace. */
function expectCleanCliFailure(exit: CliResult, label: string): string {
  expect(exit.code, `${label}: ${exit.stderr}`).to.equal(1);
  expect(exit.stderr, label).to.not.match(/unexpected error/);
  expect(exit.stderr + exit.stdout, `${label}: a stack trace`).to.not.match(/\n\s+at \S.*:\d+:\d+\)?\n/);
  const json = /^\s*\{/.test(exit.stdout);
  const code = json
    ? (JSON.parse(exit.stdout) as { error: { code: string } }).error.code
    : /^error \[([A-Z_]+)\]/m.exec(exit.stderr)?.[1];
  expect(code, `${label}: ${exit.stdout}${exit.stderr}`).to.be.oneOf(FAULT_CODES);
  observed.push(`${label}: ${code}`);
  return code as string;
}

describe("reliability: database faults", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let db: TestDatabase;
  let url: string;
  let dbName: string;
  let bigFile: string;
  let seedsDir: string;
  let api: TestServer;
  // Small on purpose: every fault below is placed by a lock the test holds, not by the import
  // being slow, so the size of the import changes nothing but the suite's duration.
  const BIG = 200;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    dbName = new URL(url).pathname.slice(1);
    const dir = await makeTempDir();
    bigFile = await writeBundleFile(
      dir,
      "big.json",
      generateBundle(generateKeys("fault.big", BIG).map((key) => ({ key }))),
    );
    seedsDir = await writeSeedFolder();
    api = await startTestServer(db.knex);
  });

  afterEach(async () => {
    await db.knex.raw(`alter database ${dbName} reset all`);
    expect(await countAdvisoryLocks(db.knex), "advisory locks left behind").to.equal(0);
    expect(await countIdleInTransaction(db.knex), "sessions left idle in a transaction").to.equal(0);
  });

  after(async () => {
    recordFigure("faults.observed", observed.join("; "));
    await api?.close();
    await db?.close();
    await removeTempDirs();
  });

  async function terminate(pid: number): Promise<void> {
    await db.knex.raw("select pg_terminate_backend(?)", [pid]);
    countFigure("faults.injected");
  }

  const holdKeyLock = (tenant: string, key: string) => holdKeyLockOn(db.knex, tenant, key);
  const holdVersionsTable = () => holdVersionsTableOf(db.knex);

  /** Server process ids waiting for an advisory lock. */
  async function waitingPids(): Promise<number[]> {
    const r = await db.knex.raw(
      "select pid from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())",
    );
    return r.rows.map((row: { pid: number }) => row.pid);
  }

  async function waitForWaiter(): Promise<number> {
    let pids: number[] = [];
    await waitUntil("an import waiting for a key lock", async () => {
      pids = await waitingPids();
      return pids.length > 0;
    });
    return pids[0] as number;
  }

  it("CLI import: the connection dropped while inside the transaction (waiting, and writing) → DATABASE_UNAVAILABLE, nothing written, re-run imports", async () => {
    for (const [i, json] of [false, true].entries()) {
      // 1. While the import waits for a key lock inside its transaction.
      const tenant = newTenant();
      const lock = await holdKeyLock(tenant, "fault.big-00000");
      const cli = startCli(
        ["import", bigFile, "--database-url", url, "--tenant", tenant, ...(json ? ["--json"] : [])],
        {
          appName: `wfs-fault-wait-${i}`,
        },
      );
      await terminate(await waitForWaiter());
      expectCleanCliFailure(await cli.exited, `terminated while waiting (json: ${json})`);
      await lock.release();
      expect(await countTenantRows(db.knex, tenant)).to.deep.equal({ workflows: 0, versions: 0 });

      // 2. While it writes: its workflow rows are in, its versions wait for the table.
      const appName = `wfs-fault-write-${i}`;
      const table = await holdVersionsTable();
      const writing = startCli(
        ["import", bigFile, "--database-url", url, "--tenant", tenant, ...(json ? ["--json"] : [])],
        {
          appName,
        },
      );
      const writer = await waitForLockWaiter(db.knex, appName, "versions");
      expect(await pidsInsideWriteTransaction(db.knex, appName)).to.deep.equal([writer]);
      await terminate(writer);
      expectCleanCliFailure(await writing.exited, `terminated while writing (json: ${json})`);
      await table.release();
      await waitForBackendsGone(db.knex, appName);
      expect(await countTenantRows(db.knex, tenant)).to.deep.equal({ workflows: 0, versions: 0 });

      const rerun = await runCli(["import", bigFile, "--database-url", url, "--tenant", tenant]);
      expect(rerun.code, rerun.stderr).to.equal(0);
      expect(await countTenantRows(db.knex, tenant)).to.deep.equal({ workflows: BIG, versions: BIG });
    }
  });

  it("CLI up: the connection dropped while a seed is paused before its record → that seed neither applied nor recorded; re-run completes", async () => {
    const tenant = newTenant();
    const appName = "wfs-fault-seed";
    const cli = startCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant], {
      appName,
      // Only the second seed pauses, for as long as the test needs to terminate it.
      env: {
        WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "3600000",
        WORKFLOW_SEEDER_TEST_PAUSE_SEED: SEEDS[1]?.name as string,
      },
    });
    await cli.waitForStderr(new RegExp(`paused before recording ${SEEDS[1]?.name}`));
    const [pid] = await pidsInsideWriteTransaction(db.knex, appName);
    expect(pid, "the paused seed's session").to.be.a("number");
    await terminate(pid as number);
    cli.child.kill("SIGUSR2"); // ends the pause: the seed goes on to its record on a dead connection
    expectCleanCliFailure(await cli.exited, "terminated while paused");
    expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(1);
    const rerun = await runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant]);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(SEEDS.length);
  });

  it("API and HTTP: a dropped connection fails that call only (DATABASE_UNAVAILABLE / 503, no internals); the next call on the same pool succeeds", async () => {
    const tenant = newTenant();
    const bundle = generateBundle([{ key: "fault.api" }]);
    const before = await fingerprint(db.knex);

    const lock = await holdKeyLock(tenant, "fault.api");
    const pending = importBundle(db.knex, bundle, { tenant }).then(
      () => null,
      (error: unknown) => error,
    );
    await terminate(await waitForWaiter());
    const error = await pending;
    expect(isWorkflowSeederError(error) ? error.code : String(error)).to.equal("DATABASE_UNAVAILABLE");
    observed.push("API import terminated while waiting: DATABASE_UNAVAILABLE");

    const httpPending = request(api.url, "/api/workflow-definitions/import", {
      tenant,
      body: JSON.stringify(bundle),
    });
    await terminate(await waitForWaiter());
    const answer = await httpPending;
    expect(answer.status, answer.text).to.equal(503);
    expect(answer.code).to.equal("DATABASE_UNAVAILABLE");
    expect(answer.text).to.not.match(/terminat|pg_|at \S+:\d+/i);
    observed.push("HTTP import terminated while waiting: 503 DATABASE_UNAVAILABLE");
    await lock.release();
    expect(await fingerprint(db.knex)).to.deep.equal(before);

    const next = await request(api.url, "/api/workflow-definitions/import", {
      tenant,
      body: JSON.stringify(bundle),
    });
    expect(next.status, next.text).to.equal(200);
    const result = await importBundle(db.knex, generateBundle([{ key: "fault.api-2" }]), { tenant });
    expect(result.createdWorkflows).to.have.length(1);
  });

  it("every session of the database terminated between calls (a server restart, simulated): the next CLI run and HTTP request succeed", async () => {
    const tenant = newTenant();
    await request(api.url, "/healthz");
    await importBundle(db.knex, generateBundle([{ key: "restart.before" }]), { tenant });
    const admin = await openAdmin();
    try {
      await admin.raw(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()",
        [dbName],
      );
      countFigure("faults.injected");
    } finally {
      await admin.destroy();
    }
    const cli = await runCli(["export", "--all", "--database-url", url, "--tenant", tenant]);
    expect(cli.code, cli.stderr).to.equal(0);
    // The pool of a long-running process may hold a dead connection: at most one call may fail, cleanly.
    const first = await request(api.url, "/api/workflow-definitions/export?all=true", { tenant });
    if (first.status !== 200) expect(first.status, first.text).to.equal(503);
    const second = await request(api.url, "/api/workflow-definitions/export?all=true", { tenant });
    expect(second.status, second.text).to.equal(200);
    observed.push(`HTTP after all sessions were terminated: ${first.status}, then ${second.status}`);
  });

  it("statement_timeout cancels an import waiting for a key lock, or for a table after writing its workflows: DATABASE_ERROR, nothing written; the next run after the reset imports", async () => {
    const tenant = newTenant();
    // The cancelled statement is one that waits for a lock this test holds, for as long as it is
    // held: it times out on any machine, however fast or loaded.
    const blockers = [
      { label: "waiting for a key lock", hold: () => holdKeyLock(tenant, "fault.big-00000") },
      { label: "waiting to insert its versions", hold: holdVersionsTable },
    ];
    for (const { label, hold } of blockers) {
      const blocker = await hold();
      await db.knex.raw(`alter database ${dbName} set statement_timeout = '1s'`);
      countFigure("faults.injected");
      const exit = await runCli(["import", bigFile, "--database-url", url, "--tenant", tenant, "--json"]);
      await db.knex.raw(`alter database ${dbName} reset statement_timeout`);
      await blocker.release();
      expect(expectCleanCliFailure(exit, `statement_timeout, ${label}`)).to.equal("DATABASE_ERROR");
      // 57014: query_canceled, what a statement timeout raises.
      expect(JSON.parse(exit.stdout).error.details.sqlState).to.equal("57014");
      expect(await countTenantRows(db.knex, tenant)).to.deep.equal({ workflows: 0, versions: 0 });
    }
    const up = await runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant]);
    expect(up.code, up.stderr).to.equal(0);
    const rerun = await runCli(["import", bigFile, "--database-url", url, "--tenant", tenant]);
    expect(rerun.code, rerun.stderr).to.equal(0);
  });

  it("idle_in_transaction_session_timeout ends a seed's session while it is paused: a clean error, the seed not recorded; the next run recovers", async () => {
    const tenant = newTenant();
    await db.knex.raw(`alter database ${dbName} set idle_in_transaction_session_timeout = '150ms'`);
    countFigure("faults.injected");
    // The first seed pauses until the server has ended its session, then is released (SIGUSR2).
    const appName = "wfs-fault-idle";
    const cli = startCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant, "--json"], {
      appName,
      env: {
        WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "3600000",
        WORKFLOW_SEEDER_TEST_PAUSE_SEED: SEEDS[0]?.name as string,
      },
    });
    await cli.waitForStderr(/paused before recording/);
    await waitUntil(
      "the server to end the idle transaction's session",
      async () => (await pidsInsideWriteTransaction(db.knex, appName)).length === 0,
    );
    cli.child.kill("SIGUSR2");
    const exit = await cli.exited;
    await db.knex.raw(`alter database ${dbName} reset idle_in_transaction_session_timeout`);
    expectCleanCliFailure(exit, "idle in transaction timeout");
    expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(0);
    const rerun = await runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant]);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(SEEDS.length);
  });

  async function openAdmin(): Promise<Knex> {
    const { default: knexFactory } = await import("knex");
    const admin = new URL(url);
    admin.pathname = "/postgres";
    return knexFactory({ client: "pg", connection: admin.toString(), pool: { min: 0, max: 1 } });
  }
});
