/**
 * The figures of a reliability run: each suite adds what it tried. Mocha may run the suites in
 * several worker processes (`--parallel`), so each process keeps its figures in a file (rewritten
 * at every change: a few small writes per test), and the run's global teardown (test/support/global-fixtures.ts, in the main
 * process) adds them up, prints the summary line and writes it as JSON next to the compiled tests,
 * for docs/reliability.md.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Counters (summed over processes) and measurements (one suite records each), by name. */
const counters = new Map<string, number>();
const records = new Map<string, number | string>();
let failedTests = 0;

/** Adds `n` to a counter. */
export function countFigure(name: string, n = 1): void {
  counters.set(name, (counters.get(name) ?? 0) + n);
  writeFragment();
}

/** Records a measurement (the latest value wins). */
export function recordFigure(name: string, value: number | string): void {
  records.set(name, value);
  writeFragment();
}

/** Where the last run's figures are written. */
export const REPORT_PATH = resolve(process.cwd(), "dist", "test", "reliability", "last-run.json");

/** Where each process leaves its figures for the teardown. */
const FRAGMENTS_DIR = resolve(process.cwd(), "dist", "test", "reliability", "figures");

interface Fragment {
  failedTests: number;
  counters: Record<string, number>;
  records: Record<string, number | string>;
}

/** Rewrites this process's file of figures. */
function writeFragment(): void {
  const fragment: Fragment = {
    failedTests,
    counters: Object.fromEntries(counters),
    records: Object.fromEntries(records),
  };
  mkdirSync(FRAGMENTS_DIR, { recursive: true });
  writeFileSync(join(FRAGMENTS_DIR, `${process.pid}.json`), JSON.stringify(fragment));
}

/** Call inside a reliability suite's `describe`: counts its failed tests for the summary. */
export function reportReliabilitySuite(): void {
  afterEach(function countFailures() {
    if (this.currentTest?.state !== "failed") return;
    failedTests++;
    writeFragment();
  });
}

/** Removes the figures of an earlier run (global setup). */
export function clearReliabilityFigures(): void {
  rmSync(FRAGMENTS_DIR, { recursive: true, force: true });
}

/**
 * Adds up every process's figures, prints the summary line and writes `last-run.json` (global
 * teardown). Prints nothing when no reliability suite ran.
 */
export function writeReliabilityReport(elapsedS: number): void {
  let files: string[];
  try {
    files = readdirSync(FRAGMENTS_DIR).filter((f) => f.endsWith(".json"));
  } catch {
    return;
  }
  const total = new Map<string, number>();
  const recorded = new Map<string, number | string>();
  let failed = 0;
  for (const file of files) {
    const fragment = JSON.parse(readFileSync(join(FRAGMENTS_DIR, file), "utf8")) as Fragment;
    failed += fragment.failedTests;
    for (const [k, v] of Object.entries(fragment.counters)) total.set(k, (total.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(fragment.records)) recorded.set(k, v);
  }
  clearReliabilityFigures();
  if (total.size + recorded.size === 0) return;
  const of = (name: string) => total.get(name) ?? 0;
  const hostile = [...total].filter(([k]) => k.startsWith("cases.hostile.")).reduce((sum, [, v]) => sum + v, 0);
  const crash = of("crash.import.points") + of("crash.seed.points");
  const processes = of("concurrency.processes");
  const requests = of("concurrency.requests");
  const status = failed === 0 ? "all held" : `${failed} FAILED`;
  console.warn(
    `reliability: ${hostile} hostile cases, ${crash} crash points, ${processes + requests} concurrent runs (${processes} processes, ${requests} requests/calls), ${of("faults.injected")} injected faults, ${of("isolation.attempts")} isolation probes, ${of("sql.probes")} SQL probes: ${status} (${elapsedS} s)`,
  );
  const all = [...total, ...recorded].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  try {
    writeFileSync(
      REPORT_PATH,
      `${JSON.stringify({ elapsedS, failedTests: failed, ...Object.fromEntries(all) }, null, 2)}\n`,
    );
  } catch {
    // The report is a convenience for the docs; a read-only tree must not fail the suite.
  }
}
