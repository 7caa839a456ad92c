/**
 * Scenario 2: exporting every workflow of a tenant to canonical bundle text, against the two
 * queries that read the rows and the floor of JSON-serialising those rows without a database.
 */
import { selectVersions, selectWorkflows } from "../../src/db/workflow-store.js";
import { buildBundle, exportBundle } from "../../src/export/export-bundle.js";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import { importBundles } from "../../src/import/import-bundle.js";
import { createBenchPostgres } from "../bench-databases.js";
import { BENCH_TENANT, type BenchContext, collectQueryStats } from "../context.js";
import { compareInterleaved, summarizeSamples, timeOnce } from "../measure.js";
import { checkTarget, collectMeasurements, medianOf, type ScenarioResult } from "../report.js";
import { buildWorkload } from "../workload.js";

const EXPORTED_AT = "2026-01-01T00:00:00.000Z";
const SMALL_TENANT = "00000000-0000-4000-8000-0000000be7c1";

/** Runs scenario 2 on PostgreSQL. */
export async function runExportScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const workload = buildWorkload(ctx.corpus, ctx.seeds, { scale: ctx.scale });
  const small = buildWorkload(ctx.corpus, ctx.seeds, { scale: 1 });
  const db = await createBenchPostgres(ctx.serverUrl);
  const knex = db.knex;
  const tenant = BENCH_TENANT;
  try {
    await importBundles(knex, workload.bundles, { tenant });
    await importBundles(knex, small.bundles, { tenant: SMALL_TENANT });
    const readRows = async () => {
      const rows = await selectWorkflows(knex, tenant, { all: true });
      const versions = await selectVersions(
        knex,
        tenant,
        rows.map((r) => r.workflow_id),
      );
      return { rows, versions };
    };
    const fetched = await readRows();
    let bytes = 0;
    const { warmup, rounds } = ctx.rounds(7);
    const samples = await compareInterleaved(
      [
        {
          name: "exportBundle + canonicalizeJson",
          run: async () => {
            bytes = canonicalizeJson(await exportBundle(knex, { tenant, all: true, exportedAt: EXPORTED_AT })).length;
          },
        },
        { name: "the two queries", run: readRows },
        { name: "JSON.stringify(rows) floor", run: () => JSON.stringify(fetched, null, 2) },
      ],
      { warmup, rounds, onRound: (r, n) => ctx.log(`  export round ${r + 1}/${n}`) },
    );
    const measurements = collectMeasurements(samples);
    const product = medianOf(measurements, "exportBundle + canonicalizeJson");
    const reference = medianOf(measurements, "the two queries") + medianOf(measurements, "JSON.stringify(rows) floor");

    // Statements per export, at scale 1 and at this scale: constant when set-based.
    const large = await collectQueryStats(knex, () =>
      exportBundle(knex, { tenant, all: true, exportedAt: EXPORTED_AT }),
    );
    const few = await collectQueryStats(knex, () =>
      exportBundle(knex, { tenant: SMALL_TENANT, all: true, exportedAt: EXPORTED_AT }),
    );
    const keyById = new Map(fetched.rows.map((r) => [r.workflow_id, r.key as string]));
    const build: number[] = [];
    const canonical: number[] = [];
    for (let i = 0; i < Math.max(3, rounds); i++) {
      const built = await timeOnce(() => buildBundle(fetched.rows, fetched.versions, keyById, EXPORTED_AT));
      build.push(built.ms);
      canonical.push((await timeOnce(() => canonicalizeJson(built.value))).ms);
    }
    return {
      id: "2",
      name: `Export, scale ${ctx.scale}, PostgreSQL`,
      workload: `${fetched.rows.length} workflows, ${fetched.versions.length} versions, ${(bytes / 1024 / 1024).toFixed(1)} MiB of bundle text`,
      measurements,
      ratios: [{ name: "export / (queries + floor)", value: product / reference }],
      targets: [
        checkTarget("export / (two queries + serialization floor)", product / reference, "<=", 2, "x"),
        checkTarget(
          `statements per export at scale ${ctx.scale} / at scale 1`,
          large.stats.count / few.stats.count,
          "<=",
          1,
          "x",
        ),
      ],
      notes: [
        `statements per export: ${few.stats.count} at scale 1, ${large.stats.count} at scale ${ctx.scale} (server time ${large.stats.sqlMs.toFixed(0)} ms)`,
        `export breakdown: buildBundle (pure) ${summarizeSamples(build).medianMs.toFixed(0)} ms, canonicalizeJson ${summarizeSamples(canonical).medianMs.toFixed(0)} ms`,
      ],
    };
  } finally {
    await db.close();
  }
}
