/** Scenario 7: peak RSS of a process importing the scaled corpus, minus an idle Node process's. */
import { join } from "node:path";
import { createBenchPostgres, truncateWorkflowTables } from "../bench-databases.js";
import { BENCH_TENANT, type BenchContext } from "../context.js";
import { checkTarget, type ScenarioResult } from "../report.js";
import { runNodeProcess } from "../run-process.js";

const MIB = 1024 * 1024;
// VmHWM: the peak RSS of this process image (ru_maxrss would report the forking parent's).
const IDLE_SCRIPT =
  'process.stdout.write(String(Number(/^VmHWM:\\s*(\\d+)/m.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]) * 1024))';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Runs scenario 7 on PostgreSQL (each sample in a fresh child process). */
export async function runMemoryScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const db = await createBenchPostgres(ctx.serverUrl);
  try {
    const peaks: number[] = [];
    const afterLoad: number[] = [];
    const idle: number[] = [];
    let workflows = 0;
    const samples = ctx.quick ? 1 : 3;
    for (let i = 0; i < samples; i++) {
      await truncateWorkflowTables(db.knex);
      const child = await runNodeProcess(
        [
          join(ctx.projectDir, "dist", "bench", "memory-child.js"),
          db.url as string,
          ctx.corpusDir,
          join(ctx.projectDir, "seeds", "workflows"),
          String(ctx.scale),
          BENCH_TENANT,
        ],
        ctx.projectDir,
      );
      const r = JSON.parse(child.stdout) as { workflows: number; rssAfterLoadBytes: number; maxRssBytes: number };
      peaks.push(r.maxRssBytes);
      afterLoad.push(r.rssAfterLoadBytes);
      workflows = r.workflows;
      idle.push(Number((await runNodeProcess(["-e", IDLE_SCRIPT], ctx.projectDir)).stdout));
    }
    const above = (median(peaks) - median(idle)) / MIB;
    return {
      id: "7",
      name: `Memory, import of scale ${ctx.scale}, PostgreSQL`,
      workload: `${workflows} workflows in one importBundles call, in a child process`,
      measurements: [],
      ratios: [],
      targets: [checkTarget("peak RSS above an idle Node process", above, "<=", 300, "MiB")],
      notes: [
        `peak RSS ${(median(peaks) / MIB).toFixed(0)} MiB, idle Node process ${(median(idle) / MIB).toFixed(0)} MiB, the importing process after loading its modules ${(median(afterLoad) / MIB).toFixed(0)} MiB (median of ${samples})`,
      ],
    };
  } finally {
    await db.close();
  }
}
