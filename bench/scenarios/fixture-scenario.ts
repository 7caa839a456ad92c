/**
 * Scenario 4: resetting 330 fixture workflows, both modes: `resetWorkflowFixtures` (a committed
 * reset) against TRUNCATE + COPY of the same rows, and `openFixtureTransaction`'s per-test
 * savepoint (`beginTest` + `endTest`).
 */
import { performance } from "node:perf_hooks";
import { SEEDS_TABLE } from "../../src/db/migrations.js";
import type { SeedRecord } from "../../src/db/seed-store.js";
import {
  computeFixtureWorkflowId,
  loadWorkflowFixtures,
  openFixtureTransaction,
  resetWorkflowFixtures,
  type WorkflowFixtures,
} from "../../src/seeder/workflow-fixtures.js";
import { TOOL_VERSION } from "../../src/version.js";
import { countWorkflowRows, createBenchPostgres } from "../bench-databases.js";
import { BENCH_TENANT, type BenchContext, collectQueryStats } from "../context.js";
import { COPY_SQL, formatSeedCopyText, formatVersionCopyText, formatWorkflowCopyText } from "../copy-load.js";
import { compareInterleaved, summarizeSamples } from "../measure.js";
import { buildReferenceRows } from "../reference-rows.js";
import { checkTarget, collectMeasurements, medianOf, type ScenarioResult } from "../report.js";
import { writeBenchSeedsDir } from "../seed-workload.js";

/** The seed records a reset writes (each key claimed by the last seed that has it), for the COPY floor. */
function buildSeedRecords(fixtures: WorkflowFixtures, tenant: string, appliedAt: string): SeedRecord[] {
  const claimed = new Set<string>();
  return [...fixtures.seeds].reverse().map((seed) => {
    const record: SeedRecord = {
      name: seed.name,
      checksum: seed.checksum,
      checksumAlgorithm: seed.checksumAlgorithm,
      appliedAt,
      toolVersion: TOOL_VERSION,
      baseline: false,
      workflows: seed.keys
        .filter((key) => !claimed.has(key))
        .map((key) => ({
          key,
          workflowId: computeFixtureWorkflowId(tenant, key),
          action: "created" as const,
          contentHash: null,
        })),
    };
    for (const key of seed.keys) claimed.add(key);
    return record;
  });
}

/** Runs scenario 4 on PostgreSQL. */
export async function runFixtureScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const seeds = await writeBenchSeedsDir(ctx);
  const fixtures = await loadWorkflowFixtures({ dir: seeds.dir });
  const db = await createBenchPostgres(ctx.serverUrl);
  const knex = db.knex;
  const tenant = BENCH_TENANT;
  try {
    const expected = fixtures.workflows.length;
    const verify = async () => {
      const counts = await countWorkflowRows(knex);
      if (counts.workflows !== expected)
        throw new Error(`reset left ${counts.workflows} workflows, expected ${expected}`);
    };
    const { warmup, rounds } = ctx.rounds(15);
    const samples = await compareInterleaved(
      [
        {
          name: "resetWorkflowFixtures",
          run: () => resetWorkflowFixtures(knex, { tenant, fixtures }),
          verify,
        },
        {
          name: "TRUNCATE + COPY",
          run: () =>
            db.copyTarget.inTransaction(async (tx) => {
              const rows = buildReferenceRows(fixtures.workflows, (key) => computeFixtureWorkflowId(tenant, key));
              const records = buildSeedRecords(fixtures, tenant, new Date().toISOString());
              await tx.exec(`truncate workflow_definitions, workflow_definition_versions, ${SEEDS_TABLE} cascade`);
              await tx.copy(COPY_SQL.workflows, formatWorkflowCopyText(tenant, rows.workflows));
              await tx.copy(COPY_SQL.versions, formatVersionCopyText(tenant, rows.versions));
              await tx.copy(COPY_SQL.seeds, formatSeedCopyText(tenant, records));
            }),
          verify,
        },
        {
          // TRUNCATE is not tenant-scoped (a reset must be) and, on a slow disk, costs more than
          // the rows: the tenant-scoped DELETE + COPY is the stricter reference.
          name: "DELETE (tenant) + COPY",
          run: () =>
            db.copyTarget.inTransaction(async (tx) => {
              const rows = buildReferenceRows(fixtures.workflows, (key) => computeFixtureWorkflowId(tenant, key));
              const records = buildSeedRecords(fixtures, tenant, new Date().toISOString());
              await tx.exec(`delete from workflow_definitions where tenant = '${tenant}'`);
              await tx.exec(`delete from ${SEEDS_TABLE} where tenant = '${tenant}'`);
              await tx.copy(COPY_SQL.workflows, formatWorkflowCopyText(tenant, rows.workflows));
              await tx.copy(COPY_SQL.versions, formatVersionCopyText(tenant, rows.versions));
              await tx.copy(COPY_SQL.seeds, formatSeedCopyText(tenant, records));
            }),
          verify,
        },
      ],
      { warmup, rounds, onRound: (r, n) => ctx.log(`  fixtures round ${r + 1}/${n}`) },
    );
    const measurements = collectMeasurements(samples);
    const reset = medianOf(measurements, "resetWorkflowFixtures");
    const floor = medianOf(measurements, "TRUNCATE + COPY");
    const { stats } = await collectQueryStats(knex, () => resetWorkflowFixtures(knex, { tenant, fixtures }));

    // Transactional mode: one transaction holds the fixtures; each test gets a savepoint.
    const tests = ctx.quick ? 50 : 300;
    const scope = await openFixtureTransaction(knex, { tenant, fixtures });
    const perTest: number[] = [];
    try {
      const anyKey = fixtures.workflows[0]?.key ?? "";
      for (let i = 0; i < tests + 10; i++) {
        let t = performance.now();
        await scope.beginTest();
        let elapsed = performance.now() - t;
        // The test itself (untimed): one write the savepoint must undo.
        await scope.db.raw("update workflow_definitions set name = ? where tenant = ? and key = ?", [
          `test ${i}`,
          tenant,
          anyKey,
        ]);
        t = performance.now();
        await scope.endTest();
        elapsed += performance.now() - t;
        if (i >= 10) perTest.push(elapsed);
      }
    } finally {
      await scope.close();
    }
    const perTestSummary = summarizeSamples(perTest);
    measurements.push({ name: "beginTest + endTest (per test)", ...perTestSummary });
    return {
      id: "4",
      name: "Fixture reset, PostgreSQL",
      workload: `${expected} workflows from ${fixtures.seeds.length} seeds (fixtures loaded once)`,
      measurements,
      ratios: [
        { name: "reset / (TRUNCATE + COPY)", value: reset / floor },
        { name: "reset / (DELETE + COPY)", value: reset / medianOf(measurements, "DELETE (tenant) + COPY") },
      ],
      targets: [
        checkTarget("resetWorkflowFixtures / (TRUNCATE + COPY)", reset / floor, "<=", 1.2, "x"),
        checkTarget("transactional mode, per test (median)", perTestSummary.medianMs, "<=", 1, "ms"),
      ],
      notes: [
        `resetWorkflowFixtures sends ${stats.count} statements (server time ${stats.sqlMs.toFixed(1)} ms)`,
        `transactional mode: ${tests} tests, each one savepoint + rollback to savepoint + release (3 statements)`,
      ],
    };
  } finally {
    await db.close();
  }
}
