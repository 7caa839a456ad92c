/**
 * Crash safety: `kill -9` of real CLI processes in the middle of an import and of a seed run, at
 * many points: timed from the start, from the first database session or from the write
 * transaction (where the kill lands depends on the machine's speed, and every outcome is checked),
 * and at points the test fixes by holding a lock the process waits for (where it lands does not).
 * Afterwards each unit (a command's bundles, each file with --each, each seed) is in the database
 * whole or not at all, seed records agree with the workflows, no lock is left, and a re-run
 * completes normally.
 */
import { expect } from "chai";
import { applySeeds } from "../../src/seeder/seed-runner.js";
import { runCli, startCli } from "../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../support/databases.js";
import { countFigure, recordFigure, reportReliabilitySuite } from "./report.js";
import { checkSeedStateAgrees, exportTenantText, SEEDS, writeSeedFolder } from "./seed-folder.js";
import {
  backendPids,
  countAdvisoryLocks,
  countIdleInTransaction,
  deleteTenant,
  describeAdvisoryLocks,
  generateBundle,
  generateKeys,
  holdKeyLock,
  holdVersionsTable,
  makeTempDir,
  newTenant,
  pidsInsideWriteTransaction,
  removeTempDirs,
  sleep,
  waitForBackendsGone,
  waitForLockWaiter,
  waitUntil,
  writeBundleFile,
} from "./support.js";

/** Workflows per file of the import (two files: one command imports both). */
const FILE_SIZE = 250;

/**
 * Kill points. Timed: milliseconds after the start of the process, after its first database
 * session appeared (it has read and parsed the files; it migrates, checks, then writes), or after
 * it entered its write transaction (found through pg_locks). Blocked: the process waits inside its
 * write transaction for a lock the test holds, on `workflow_definition_versions` (its workflow rows
 * written, its versions not) or on the key lock of the second file's first workflow (with --each,
 * the first file committed), and is killed there; `expect` is then the only possible outcome.
 */
type Outcome = "none" | "all" | "first-file" | "completed";

type ImportPoint =
  | { from: "start" | "session" | "transaction"; ms: number; each: boolean }
  | { from: "blocked"; on: "versions" | "second-file"; each: boolean; expect: Outcome };

const IMPORT_POINTS: readonly ImportPoint[] = [
  { from: "start", ms: 150, each: false },
  { from: "transaction", ms: 0, each: true },
  { from: "session", ms: 30, each: false },
  { from: "transaction", ms: 60, each: true },
  { from: "session", ms: 100, each: false },
  { from: "transaction", ms: 150, each: true },
  { from: "session", ms: 250, each: false },
  { from: "transaction", ms: 300, each: true },
  { from: "start", ms: 3_000, each: false },
  { from: "blocked", on: "versions", each: false, expect: "none" },
  { from: "blocked", on: "versions", each: true, expect: "none" },
  { from: "blocked", on: "second-file", each: true, expect: "first-file" },
];

/** Kill points of `up`, in milliseconds after it entered its first seed's write transaction. */
const SEED_TIMED_POINTS_MS = [0, 25, 50, 100, 200, 300, 450];

describe("reliability: crash safety (kill -9)", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let db: TestDatabase;
  let url: string;
  let files: string[];
  let seedsDir: string;
  let referenceExport: string;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    const dir = await makeTempDir();
    files = [
      await writeBundleFile(dir, "a.json", generateBundle(generateKeys("crash.a", FILE_SIZE).map((key) => ({ key })))),
      await writeBundleFile(dir, "b.json", generateBundle(generateKeys("crash.b", FILE_SIZE).map((key) => ({ key })))),
    ];
    seedsDir = await writeSeedFolder();
    const reference = newTenant();
    await applySeeds(db.knex, { dir: seedsDir, tenant: reference });
    referenceExport = await exportTenantText(db.knex, reference);
  });

  after(async () => {
    await db?.close();
    await removeTempDirs();
  });

  async function countByFile(tenant: string): Promise<{ a: number; b: number; versions: number; distinct: number }> {
    const r = await db.knex.raw(
      `select count(*) filter (where key like 'crash.a-%')::int as a,
              count(*) filter (where key like 'crash.b-%')::int as b,
              count(distinct key)::int as distinct,
              (select count(*)::int from workflow_definition_versions where tenant = ?) as versions
       from workflow_definitions where tenant = ?`,
      [tenant, tenant],
    );
    return r.rows[0];
  }

  async function expectNothingLeftBehind(appName: string): Promise<void> {
    await waitForBackendsGone(db.knex, appName);
    const locks = await countAdvisoryLocks(db.knex);
    expect(locks, `advisory locks left behind: ${locks === 0 ? "" : await describeAdvisoryLocks(db.knex)}`).to.equal(0);
    expect(await countIdleInTransaction(db.knex), "sessions left idle in a transaction").to.equal(0);
  }

  it(`an import of 2 x ${FILE_SIZE} workflows killed at ${IMPORT_POINTS.length} points leaves each unit whole or absent; a re-run completes`, async () => {
    const outcomes: Record<string, number> = {};
    let insideTransaction = 0;
    let point = 0;
    for (const at of IMPORT_POINTS) {
      point++;
      const { each } = at;
      const tenant = newTenant();
      const appName = `wfs-crash-import-${point}`;
      const mode = each ? ["--each"] : [];
      const blocker =
        at.from !== "blocked"
          ? undefined
          : at.on === "versions"
            ? await holdVersionsTable(db.knex)
            : await holdKeyLock(db.knex, tenant, "crash.b-00000");
      const cli = startCli(["import", ...files, ...mode, "--database-url", url, "--tenant", tenant, "--json"], {
        appName,
      });
      if (at.from === "session")
        await waitUntil(
          `${appName} to open a database session`,
          async () => (await backendPids(db.knex, appName)).length > 0 || cli.child.exitCode !== null,
          { intervalMs: 5 },
        );
      if (at.from === "transaction") {
        await waitUntil(
          `${appName} to enter its write transaction`,
          async () => (await pidsInsideWriteTransaction(db.knex, appName)).length > 0 || cli.child.exitCode !== null,
          { intervalMs: 5 },
        );
        if (cli.child.exitCode === null) insideTransaction++;
      }
      if (at.from === "blocked") {
        await waitForLockWaiter(db.knex, appName, at.on === "versions" ? "versions" : "advisory");
        insideTransaction++;
      } else await sleep(at.ms);
      const exit = await cli.kill9();
      await blocker?.release();
      await expectNothingLeftBehind(appName);

      const counts = await countByFile(tenant);
      const where = at.from === "blocked" ? `blocked on ${at.on}` : `${at.ms} ms after ${at.from}`;
      const label = `point ${point} (${each ? "--each" : "one transaction"}, ${where}): ${JSON.stringify(counts)}`;
      expect(counts.versions, label).to.equal(counts.a + counts.b);
      expect(counts.distinct, label).to.equal(counts.a + counts.b);
      expect(counts.a, label).to.be.oneOf([0, FILE_SIZE]);
      expect(counts.b, label).to.be.oneOf([0, FILE_SIZE]);
      if (!each) expect(counts.a, `${label}: one command is one transaction`).to.equal(counts.b);
      if (counts.b > 0) expect(counts.a, `${label}: files are imported in order`).to.equal(FILE_SIZE);
      const outcome: Outcome =
        exit.signal === null ? "completed" : counts.a === 0 ? "none" : counts.b === 0 ? "first-file" : "all";
      if (exit.signal === null) expect(exit.code, `${label}: finished before the kill: ${exit.stdout}`).to.equal(0);
      if (at.from === "blocked") expect(outcome, label).to.equal(at.expect);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      countFigure("crash.import.points");

      const rerun = await runCli(
        ["import", ...files, ...mode, "--on-conflict", "skip", "--database-url", url, "--tenant", tenant, "--json"],
        { appName: `${appName}-rerun` },
      );
      expect(rerun.code, `${label}: re-run: ${rerun.stderr}`).to.equal(0);
      const after = await countByFile(tenant);
      expect(after, `${label}: after the re-run`).to.deep.equal({
        a: FILE_SIZE,
        b: FILE_SIZE,
        versions: 2 * FILE_SIZE,
        distinct: 2 * FILE_SIZE,
      });
      await deleteTenant(db.knex, tenant);
    }
    expect(insideTransaction, "kills that landed inside the write transaction").to.be.greaterThan(0);
    expect(outcomes.none ?? 0, "some kills must interrupt the import").to.be.greaterThan(0);
    recordFigure("crash.import.outcomes", JSON.stringify(outcomes));
    recordFigure("crash.import.insideTransaction", insideTransaction);
    recordFigure("crash.import.workflows", 2 * FILE_SIZE);
  });

  it(`up killed while paused before recording each of the ${SEEDS.length} seeds: applied and recorded together or neither`, async () => {
    for (let k = 1; k <= SEEDS.length; k++) {
      const tenant = newTenant();
      const appName = `wfs-crash-seed-pause-${k}`;
      const seed = SEEDS[k - 1]?.name as string;
      const cli = startCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant], {
        appName,
        // Only seed k pauses, for an hour: the earlier ones pass at once, and the kill lands in the
        // pause however long this test takes to send it.
        env: { WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS: "3600000", WORKFLOW_SEEDER_TEST_PAUSE_SEED: seed },
      });
      await cli.waitForStderr(/paused before recording /);
      expect(cli.stderr()).to.contain(`paused before recording ${seed}`);
      const exit = await cli.kill9();
      expect(exit.signal).to.equal("SIGKILL");
      await expectNothingLeftBehind(appName);
      const recorded = await checkSeedStateAgrees(db.knex, tenant);
      expect(recorded, `killed while seed ${k} was paused`).to.equal(k - 1);
      countFigure("crash.seed.points");

      const rerun = await runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant, "--json"]);
      expect(rerun.code, rerun.stderr).to.equal(0);
      expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(SEEDS.length);
      expect(await exportTenantText(db.knex, tenant)).to.equal(referenceExport);
      await deleteTenant(db.knex, tenant);
    }
  });

  it(`up killed at ${SEED_TIMED_POINTS_MS.length} points timed from its first write: the records agree with the workflows; a re-run completes`, async () => {
    const recordedAt: number[] = [];
    for (const [i, ms] of SEED_TIMED_POINTS_MS.entries()) {
      const tenant = newTenant();
      const appName = `wfs-crash-seed-timed-${i}`;
      const cli = startCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant], { appName });
      await waitUntil(
        `${appName} to start writing`,
        async () => (await pidsInsideWriteTransaction(db.knex, appName)).length > 0 || cli.child.exitCode !== null,
        { intervalMs: 5 },
      );
      await sleep(ms);
      await cli.kill9();
      await expectNothingLeftBehind(appName);
      recordedAt.push(await checkSeedStateAgrees(db.knex, tenant));
      countFigure("crash.seed.points");

      const rerun = await runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant, "--json"]);
      expect(rerun.code, rerun.stderr).to.equal(0);
      expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(SEEDS.length);
      expect(await exportTenantText(db.knex, tenant)).to.equal(referenceExport);
      await deleteTenant(db.knex, tenant);
    }
    recordFigure("crash.seed.timedRecordedSeeds", recordedAt.join(","));
  });
});
