/** Scenario 6: the offline validation (`checkBundleText`) of the whole corpus in one process. */
import { checkBundleText } from "../../src/catalog/check-bundle.js";
import type { BenchContext } from "../context.js";
import { compareInterleaved, timeOnce } from "../measure.js";
import { collectMeasurements, medianOf, type ScenarioResult } from "../report.js";

/** Runs scenario 6 (no database). */
export async function runValidateScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const files = ctx.corpusTexts;
  const checkAll = () => {
    let ok = 0;
    for (const f of files) if (checkBundleText(f.text, { file: f.file }).ok) ok++;
    return ok;
  };
  // The first pass pays for building the schemas' parsers (what one CLI `validate` run pays).
  const cold = await timeOnce(checkAll);
  const { warmup, rounds } = ctx.rounds(9);
  const samples = await compareInterleaved(
    [
      { name: "checkBundleText (all files)", run: checkAll },
      {
        name: "JSON.parse alone",
        run: () => {
          for (const f of files) {
            try {
              JSON.parse(f.text);
            } catch {
              // The corpus holds one file that is not JSON.
            }
          }
        },
      },
    ],
    { warmup, rounds },
  );
  const measurements = collectMeasurements(samples);
  const bytes = files.reduce((n, f) => n + f.text.length, 0);
  return {
    id: "6",
    name: "Offline validation of the corpus, one process",
    workload: `${files.length} files (${cold.value} valid), ${(bytes / 1024 / 1024).toFixed(1)} MiB`,
    measurements,
    ratios: [
      {
        name: "checkBundleText / JSON.parse",
        value: medianOf(measurements, "checkBundleText (all files)") / medianOf(measurements, "JSON.parse alone"),
      },
    ],
    targets: [],
    notes: [`first pass in a fresh process (schemas cold): ${cold.ms.toFixed(0)} ms`],
  };
}
