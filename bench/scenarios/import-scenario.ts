/**
 * Scenario 1: importing the scaled corpus in one transaction with `importBundles`, against the
 * naive one-statement-per-row importer and the COPY floor, on one engine.
 */
import { DEFAULT_CATALOG } from "../../src/catalog/runtime-catalog.js";
import { checkSources } from "../../src/import/check-sources.js";
import { importBundles } from "../../src/import/import-bundle.js";
import {
  type BenchDatabase,
  countWorkflowRows,
  createBenchPglite,
  createBenchPostgres,
  truncateWorkflowTables,
} from "../bench-databases.js";
import { BENCH_TENANT, type BenchContext, collectQueryStats } from "../context.js";
import { loadByCopy } from "../copy-load.js";
import { compareInterleaved, summarizeSamples, timeOnce } from "../measure.js";
import { importNaive } from "../naive-import.js";
import { buildReferenceRows, collectBundleWorkflows } from "../reference-rows.js";
import { checkTarget, collectMeasurements, medianOf, type ScenarioResult, type Target } from "../report.js";
import { buildWorkload } from "../workload.js";

/** Runs scenario 1 on PostgreSQL (`1a`) or PGlite (`1b`). */
export async function runImportScenario(ctx: BenchContext, engine: "postgres" | "pglite"): Promise<ScenarioResult> {
  const workload = buildWorkload(ctx.corpus, ctx.seeds, { scale: ctx.scale });
  const sources = workload.bundles.map((b) => ({ bundle: b.bundle, file: b.file }));
  const workflows = collectBundleWorkflows(workload.bundles);
  const db: BenchDatabase =
    engine === "postgres" ? await createBenchPostgres(ctx.serverUrl) : await createBenchPglite();
  const knex = db.knex;
  const tenant = BENCH_TENANT;
  const expectCounts = async (name: string) => {
    const counts = await countWorkflowRows(knex);
    if (counts.workflows !== workload.workflows || counts.versions !== workload.versions)
      throw new Error(`${name} wrote ${JSON.stringify(counts)}, expected ${workload.workflows}/${workload.versions}`);
  };
  try {
    const truncate = () => truncateWorkflowTables(knex);
    // Time importBundles waits for the server, per run (statement sent -> answer received).
    const sqlTimes: number[] = [];
    let statements = 0;
    // The first imports of a process run unoptimized code (2-3x slower): time the cold one for the
    // record, then warm importBundles up before the interleaved rounds (its references are small
    // loops that the warm-up round covers).
    await truncate();
    const cold = await timeOnce(() => importBundles(knex, sources, { tenant }));
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      await truncate();
      await importBundles(knex, sources, { tenant });
    }
    const { warmup, rounds } = ctx.rounds(engine === "postgres" ? 4 : 3);
    const samples = await compareInterleaved(
      [
        {
          name: "importBundles",
          prepare: truncate,
          run: async () => {
            const { stats } = await collectQueryStats(knex, () => importBundles(knex, sources, { tenant }));
            statements = stats.count;
            sqlTimes.push(stats.sqlMs);
          },
          verify: () => expectCounts("importBundles"),
        },
        {
          name: "naive (1 statement/row)",
          prepare: truncate,
          run: () => importNaive(knex, tenant, workflows),
          verify: () => expectCounts("naive"),
        },
        {
          name: "COPY (floor)",
          prepare: truncate,
          run: () => loadByCopy(db.copyTarget, tenant, buildReferenceRows(workflows)),
          verify: () => expectCounts("COPY"),
        },
      ],
      { warmup, rounds, onRound: (r, n) => ctx.log(`  import [${engine}] round ${r + 1}/${n}`) },
    );
    const measurements = collectMeasurements(samples);
    const product = medianOf(measurements, "importBundles");
    const naive = medianOf(measurements, "naive (1 statement/row)");
    const copy = medianOf(measurements, "COPY (floor)");

    // Where importBundles spends its time: the offline checks (pure, timed alone), the waits for
    // the server (measured in every run above), and the rest (rows, references, JSON.stringify).
    const checkTimes: number[] = [];
    for (let i = 0; i < Math.max(3, rounds); i++)
      checkTimes.push((await timeOnce(() => checkSources(sources, DEFAULT_CATALOG))).ms);
    const check = summarizeSamples(checkTimes).medianMs;
    const sql = summarizeSamples(sqlTimes.slice(warmup)).medianMs;
    const targets: Target[] =
      engine === "postgres"
        ? [
            checkTarget("importBundles / COPY (PostgreSQL)", product / copy, "<=", 1.5, "x"),
            checkTarget("naive / importBundles (PostgreSQL)", naive / product, ">=", 6, "x"),
          ]
        : [checkTarget("importBundles / COPY (PGlite)", product / copy, "<=", 2, "x")];
    return {
      id: engine === "postgres" ? "1a" : "1b",
      name: `Import, scale ${ctx.scale}, ${engine === "postgres" ? "PostgreSQL" : "PGlite"}`,
      workload: `${workload.workflows} workflows, ${workload.versions} versions, ${sources.length} bundles, one transaction`,
      measurements,
      ratios: [
        { name: "importBundles / COPY", value: product / copy },
        { name: "naive / importBundles", value: naive / product },
        { name: "(importBundles - checks) / COPY", value: (product - check) / copy },
        { name: "server waits of importBundles / COPY", value: sql / copy },
      ],
      targets,
      notes: [
        `importBundles breakdown (medians): offline checks (checkSources) ${check.toFixed(0)} ms, ${statements} statements waiting ${sql.toFixed(0)} ms for the server, the rest (plan, references, rows, JSON.stringify, BEGIN/COMMIT) ${Math.max(0, product - check - sql).toFixed(0)} ms`,
        "COPY includes building the same rows from the bundles and formatting them as COPY text",
        `the first importBundles of the process (cold, as a CLI run pays it): ${cold.ms.toFixed(0)} ms; then ${ctx.quick ? 1 : 3} untimed warm-up imports`,
      ],
    };
  } finally {
    await db.close();
  }
}
