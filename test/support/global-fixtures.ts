/**
 * Mocha global fixtures (loaded with `require` in .mocharc.cjs), run once in the main process even
 * when the files run in parallel workers: the reliability summary is gathered from every worker.
 */
import { clearReliabilityFigures, writeReliabilityReport } from "../reliability/report.js";

let started = Date.now();

/** Before any file: forget the figures of an earlier run. */
export function mochaGlobalSetup(): void {
  started = Date.now();
  clearReliabilityFigures();
}

/** After every file: the reliability summary line and `last-run.json`. */
export function mochaGlobalTeardown(): void {
  writeReliabilityReport(Math.round((Date.now() - started) / 100) / 10);
}
