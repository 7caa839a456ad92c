/**
 * `npm run bench [-- --quick --scale 1|10 --only 1a,3 --rounds N --json --alongside]`: runs every
 * scenario and prints a table, or with `--json` exactly one JSON document on stdout (run npm with
 * `-s`, or npm prints its script banner on stdout too). Progress goes to stderr. `--alongside`
 * runs a second copy of the bench at the same time and reports both (the targets under load).
 * The bench's CLI: the only bench file that reads argv or env.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseBenchArgs } from "./bench-args.js";
import type { BenchContext } from "./context.js";
import { readMachineInfo } from "./machine-info.js";
import { type BenchReport, buildReport, formatTable, type ScenarioResult } from "./report.js";
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

/**
 * Starts a second copy of the bench with the same options (`--json`, without `--alongside`), its
 * progress prefixed on stderr; resolves to its report.
 */
function startSecondCopy(argv: readonly string[], log: (message: string) => void): Promise<BenchReport> {
  const args = [fileURLToPath(import.meta.url), ...argv.filter((a) => a !== "--alongside" && a !== "--json"), "--json"];
  return new Promise((resolveReport, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let pending = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      pending += d.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) log(`[second copy] ${line}`);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`the second copy of the bench exited with ${code}`));
      else resolveReport(JSON.parse(stdout) as BenchReport);
    });
  });
}

async function main(): Promise<void> {
  const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const args = parseBenchArgs(process.argv.slice(2), process.env, projectDir);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const tmpDir = await mkdtemp(join(tmpdir(), "wfs-bench-"));
  const secondCopy = args.alongside ? startSecondCopy(process.argv.slice(2), log) : undefined;
  // Reported after this copy's own results; a failure of the copy fails the run.
  secondCopy?.catch(() => undefined);
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
    if (secondCopy !== undefined) {
      log("waiting for the second copy");
      const alongside = await secondCopy;
      report.alongside = alongside;
      report.allTargetsPass = report.allTargetsPass && alongside.allTargetsPass;
    }
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(formatRun(report));
      if (report.alongside !== undefined)
        process.stdout.write(`\n--- the second copy, run at the same time ---\n\n${formatRun(report.alongside)}`);
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

/** One run's human report: the machine and its load, the table, the duration. */
function formatRun(report: BenchReport): string {
  const m = report.machine;
  return `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM; Node ${m.node}; ${m.postgres}; PGlite ${m.pglite}; load average ${m.loadAverage.start.toFixed(1)} at start, ${m.loadAverage.end.toFixed(1)} at end\n\n${formatTable(report.scenarios)}\n\nwhole run: ${(report.durationMs / 1000).toFixed(0)} s\n`;
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
