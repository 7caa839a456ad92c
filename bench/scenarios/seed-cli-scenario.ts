/**
 * Scenario 3: `seed:workflows` (`node dist/cli.js up`) as a whole process, on a fresh database
 * and again with nothing to do, against a process that loads knex + pg and runs `select 1`.
 */
import { join } from "node:path";
import { createEmptyPostgresDatabase } from "../bench-databases.js";
import { BENCH_TENANT, type BenchContext } from "../context.js";
import { compareInterleaved } from "../measure.js";
import { checkTarget, collectMeasurements, medianOf, type ScenarioResult } from "../report.js";
import { runNodeProcess } from "../run-process.js";
import { writeBenchSeedsDir } from "../seed-workload.js";

const BASELINE_SCRIPT =
  'const knex = require("knex")({ client: "pg", connection: process.argv[1] }); knex.raw("select 1").then(() => knex.destroy())';

/** Runs scenario 3 on PostgreSQL. */
export async function runSeedCliScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const seeds = await writeBenchSeedsDir(ctx);
  const cli = join(ctx.projectDir, "dist", "cli.js");
  const up = (url: string) =>
    runNodeProcess([cli, "up", "--database-url", url, "--dir", seeds.dir, "--tenant", BENCH_TENANT], ctx.projectDir);
  const applied = await createEmptyPostgresDatabase(ctx.serverUrl);
  let fresh: Awaited<ReturnType<typeof createEmptyPostgresDatabase>> | null = null;
  try {
    await up(applied.url);
    const { warmup, rounds } = ctx.rounds(4);
    const samples = await compareInterleaved(
      [
        {
          name: "up, fresh database",
          prepare: async () => {
            await fresh?.drop();
            fresh = await createEmptyPostgresDatabase(ctx.serverUrl);
          },
          run: () => up((fresh as { url: string }).url),
        },
        {
          name: "up, nothing to do",
          run: async () => {
            const r = await up(applied.url);
            if (!r.stdout.includes("nothing to do"))
              throw new Error(`a no-op up did something: ${r.stdout}${r.stderr}`);
          },
        },
        {
          name: "node -e knex + pg + select 1",
          run: () => runNodeProcess(["-e", BASELINE_SCRIPT, applied.url], ctx.projectDir),
        },
        { name: "node -e '' (bare Node)", run: () => runNodeProcess(["-e", ""], ctx.projectDir) },
      ],
      { warmup, rounds, onRound: (r, n) => ctx.log(`  seed:workflows round ${r + 1}/${n}`) },
    );
    const measurements = collectMeasurements(samples);
    const noop = medianOf(measurements, "up, nothing to do");
    const baseline = medianOf(measurements, "node -e knex + pg + select 1");

    // What a no-op up spends its time on, stage by stage (median of three probe runs per stage).
    const probes: { stage: string; ms: number }[][] = [];
    for (let i = 0; i < 3; i++) {
      const probe = await runNodeProcess(
        [join(ctx.projectDir, "dist", "bench", "startup-probe.js"), applied.url, seeds.dir, BENCH_TENANT],
        ctx.projectDir,
      );
      probes.push(JSON.parse(probe.stdout));
    }
    const stageNotes = (probes[0] ?? []).map((s, i) => {
      const values = probes.map((p) => p[i]?.ms ?? 0).sort((a, b) => a - b);
      return `no-op up stage: ${s.stage}: ${(values[1] ?? 0).toFixed(1)} ms`;
    });
    return {
      id: "3",
      name: "seed:workflows, whole process, PostgreSQL",
      workload: `${seeds.seeds} seed files, ${seeds.workflows} workflows`,
      measurements,
      ratios: [
        { name: "no-op up / knex+pg+select 1", value: noop / baseline },
        { name: "fresh up / knex+pg+select 1", value: medianOf(measurements, "up, fresh database") / baseline },
      ],
      targets: [checkTarget("no-op up / (knex + pg + select 1 process)", noop / baseline, "<=", 1.8, "x")],
      notes: stageNotes,
    };
  } finally {
    await (fresh as { drop: () => Promise<void> } | null)?.drop();
    await applied.drop();
  }
}
