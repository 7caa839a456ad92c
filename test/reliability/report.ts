/**
 * The figures of a reliability run: each suite adds what it tried, and one root hook prints the
 * summary line (and writes it as JSON next to the compiled tests, for docs/reliability.md).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";

/** Counters and measurements, by name. */
const figures = new Map<string, number | string>();
const started = Date.now();
let failedTests = 0;

/** Adds `n` to a counter. */
export function countFigure(name: string, n = 1): void {
  const current = figures.get(name);
  figures.set(name, (typeof current === "number" ? current : 0) + n);
}

/** Records a measurement (the latest value wins). */
export function recordFigure(name: string, value: number | string): void {
  figures.set(name, value);
}

/** The value of a counter (0 when never counted). */
export function figureOf(name: string): number {
  const value = figures.get(name);
  return typeof value === "number" ? value : 0;
}

/** Where the last run's figures are written. */
export const REPORT_PATH = resolve(process.cwd(), "dist", "test", "reliability", "last-run.json");

afterEach(function countFailures() {
  // Root hooks see every test of the run; only this suite's failures belong in its summary.
  const test = this.currentTest;
  if (test?.state === "failed" && /[\\/]reliability[\\/]/.test(test.file ?? "")) failedTests++;
});

after(function writeReliabilityReport() {
  if (figures.size === 0) return;
  const sorted = Object.fromEntries([...figures.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const hostile = Object.entries(sorted)
    .filter(([k]) => k.startsWith("cases.hostile."))
    .reduce((sum, [, v]) => sum + (typeof v === "number" ? v : 0), 0);
  const crash = figureOf("crash.import.points") + figureOf("crash.seed.points");
  const processes = figureOf("concurrency.processes");
  const requests = figureOf("concurrency.requests");
  const elapsedS = Math.round((Date.now() - started) / 100) / 10;
  const status = failedTests === 0 ? "all held" : `${failedTests} FAILED`;
  console.warn(
    `reliability: ${hostile} hostile cases, ${crash} crash points, ${processes + requests} concurrent runs (${processes} processes, ${requests} requests/calls), ${figureOf("faults.injected")} injected faults, ${figureOf("isolation.attempts")} isolation probes, ${figureOf("sql.probes")} SQL probes: ${status} (${elapsedS} s)`,
  );
  try {
    writeFileSync(REPORT_PATH, `${JSON.stringify({ elapsedS, failedTests, ...sorted }, null, 2)}\n`);
  } catch {
    // The report is a convenience for the docs; a read-only tree must not fail the suite.
  }
});
