/**
 * Scenario 8: `workflow-seeder import <file>` as a whole process, on one bundle file of the corpus
 * at scale 20, against a COPY loader process that reads, parses and loads the same file
 * (bench/copy-loader-process.ts). What a CLI user pays: start-up, module loading, reading and
 * parsing, the checks, and the server.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createBenchPostgres, truncateWorkflowTables } from "../bench-databases.js";
import { BENCH_TENANT, type BenchContext } from "../context.js";
import { compareInterleaved } from "../measure.js";
import { checkTarget, collectMeasurements, medianOf, type ScenarioResult } from "../report.js";
import { runNodeProcess } from "../run-process.js";
import { buildWorkload } from "../workload.js";

/** The scale of the bundle file (2 with `--quick`). */
export const CLI_IMPORT_SCALE = 20;

/** Runs scenario 8 on PostgreSQL. */
export async function runCliImportScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const scale = ctx.quick ? 2 : CLI_IMPORT_SCALE;
  const workload = buildWorkload(ctx.corpus, ctx.seeds, { scale });
  const file = join(ctx.tmpDir, `import-scale-${scale}.bundle.json`);
  // One bundle file, as `export --all` writes one: every workflow of the workload.
  const bundle = {
    format: "alga-psa.workflow-bundle",
    formatVersion: 1,
    exportedAt: "2026-01-01T00:00:00.000Z",
    workflows: workload.bundles.flatMap((b) => b.bundle.workflows as unknown[]),
  };
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  await writeFile(file, text);
  const db = await createBenchPostgres(ctx.serverUrl);
  const url = db.url as string;
  const dist = join(ctx.projectDir, "dist");
  try {
    const truncate = () => truncateWorkflowTables(db.knex);
    const expectCounts = async (name: string) => {
      const r = await db.knex.raw("select count(*)::int as n from workflow_definitions");
      if (r.rows[0].n !== workload.workflows) throw new Error(`${name} wrote ${r.rows[0].n} workflows`);
    };
    // The database is migrated; each run starts from empty tables.
    const { warmup, rounds } = ctx.rounds(5);
    const samples = await compareInterleaved(
      [
        {
          name: "workflow-seeder import (process)",
          prepare: truncate,
          run: () =>
            runNodeProcess(
              [join(dist, "cli.js"), "import", file, "--database-url", url, "--tenant", BENCH_TENANT, "--json"],
              ctx.projectDir,
            ),
          verify: () => expectCounts("import"),
        },
        {
          name: "COPY loader (process)",
          prepare: truncate,
          run: () =>
            runNodeProcess([join(dist, "bench", "copy-loader-process.js"), file, url, BENCH_TENANT], ctx.projectDir),
          verify: () => expectCounts("COPY loader"),
        },
      ],
      { warmup, rounds, onRound: (r, n) => ctx.log(`  cli import round ${r + 1}/${n}`) },
    );
    const measurements = collectMeasurements(samples);
    const product = medianOf(measurements, "workflow-seeder import (process)");
    const floor = medianOf(measurements, "COPY loader (process)");

    // Where the import process spends its time, stage by stage (median of three probe runs).
    const probes: { stage: string; ms: number }[][] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      await truncate();
      const probe = await runNodeProcess(
        [join(dist, "bench", "import-probe.js"), file, url, BENCH_TENANT],
        ctx.projectDir,
      );
      probes.push(JSON.parse(probe.stdout));
    }
    const stageNotes = (probes[0] ?? []).map((s, i) => {
      const values = probes.map((p) => p[i]?.ms ?? 0).sort((a, b) => a - b);
      return `import process stage: ${s.stage}: ${(values[Math.floor(values.length / 2)] ?? 0).toFixed(1)} ms`;
    });
    return {
      id: "8",
      name: `Import, whole process, scale ${scale}, PostgreSQL`,
      workload: `${workload.workflows} workflows, ${workload.versions} versions in one bundle file of ${(text.length / 1024 / 1024).toFixed(1)} MiB`,
      measurements,
      ratios: [{ name: "import process / COPY loader process", value: product / floor }],
      targets: [checkTarget("import process / COPY loader process", product / floor, "<=", 1.5, "x")],
      notes: [
        "both processes read and parse the same file and load the same rows in one transaction; tables emptied before each run, untimed",
        ...stageNotes,
      ],
    };
  } finally {
    await db.close();
  }
}
