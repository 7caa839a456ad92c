/**
 * `npm run bench [-- --quick --scale 1|10 --only 1a,3 --rounds N --json]`: runs every scenario of
 * issue 7 and prints a table, or with `--json` exactly one JSON document on stdout (run npm with
 * `-s`, or npm prints its script banner on stdout too). Progress goes to stderr. The bench's CLI:
 * the only bench file that reads argv or env.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseBenchArgs } from "./bench-args.js";
import type { BenchContext } from "./context.js";
import { readMachineInfo } from "./machine-info.js";
import { buildReport, formatTable, type ScenarioResult } from "./report.js";
import { runCanonicalScenario } from "./scenarios/canonical-scenario.js";
import { runCliImportScenario } from "./scenarios/cli-import-scenario.js";
import { runExportScenario } from "./scenarios/export-scenario.js";
import { runFixtureScenario } from "./scenarios/fixture-scenario.js";
import { runImportScenario } from "./scenarios/import-scenario.js";
import { runMemoryScenario } from "./scenarios/memory-scenario.js";
import { runSeedCliScenario } from "./scenarios/seed-cli-scenario.js";
import { runValidateScenario } from "./scenarios/validate-scenario.js";
import { isBenchCorpusFile, readBundleFiles, readTexts } from "./workload.js";

const SCENARIOS: readonly { id: string; run: (ctx: BenchContext) => Promise<ScenarioResult> }[] = [
  { id: "1a", run: (ctx) => runImportScenario(ctx, "postgres") },
  { id: "1b", run: (ctx) => runImportScenario(ctx, "pglite") },
  { id: "2", run: runExportScenario },
  { id: "3", run: runSeedCliScenario },
  { id: "4", run: runFixtureScenario },
  { id: "5", run: runCanonicalScenario },
  { id: "6", run: runValidateScenario },
  { id: "7", run: runMemoryScenario },
  { id: "8", run: runCliImportScenario },
];

async function main(): Promise<void> {
  const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const args = parseBenchArgs(process.argv.slice(2), process.env, projectDir);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const tmpDir = await mkdtemp(join(tmpdir(), "wfs-bench-"));
  try {
    const ctx: BenchContext = {
      serverUrl: args.serverUrl,
      projectDir,
      tmpDir,
      corpusDir: args.corpusDir,
      corpus: await readBundleFiles(args.corpusDir, isBenchCorpusFile),
      corpusTexts: await readTexts(args.corpusDir, (f) => f.endsWith(".json")),
      seeds: await readBundleFiles(join(projectDir, "seeds", "workflows"), (f) => f.endsWith(".bundle.json")),
      scale: args.scale,
      quick: args.quick,
      rounds: (full) =>
        args.rounds !== null
          ? { warmup: 1, rounds: args.rounds }
          : args.quick
            ? { warmup: 1, rounds: 2 }
            : { warmup: 1, rounds: full },
      log,
    };
    const results: ScenarioResult[] = [];
    for (const scenario of SCENARIOS) {
      if (args.only !== null && !args.only.includes(scenario.id) && !args.only.includes(scenario.id[0] as string))
        continue;
      log(`scenario ${scenario.id}`);
      const t = performance.now();
      results.push(await scenario.run(ctx));
      log(`scenario ${scenario.id} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const machine = await readMachineInfo(args.serverUrl, loadAtStart);
    const report = buildReport(
      machine,
      { scale: args.scale, quick: args.quick, rounds: args.rounds },
      performance.now() - started,
      results,
    );
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(
        `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; Node ${machine.node}; ${machine.postgres}; PGlite ${machine.pglite}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end\n\n`,
      );
      process.stdout.write(`${formatTable(results)}\n\nwhole run: ${(report.durationMs / 1000).toFixed(0)} s\n`);
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
