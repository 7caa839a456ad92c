/** Scenario 5: canonical serialization of the corpus against `safe-stable-stringify` alone. */
import stringify from "safe-stable-stringify";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import type { BenchContext } from "../context.js";
import { compareInterleaved } from "../measure.js";
import { checkTarget, collectMeasurements, medianOf, type ScenarioResult } from "../report.js";

/** Passes over the corpus per sample: one pass takes a few ms, too little to time reliably. */
const PASSES = 5;

/** Runs scenario 5 (no database). */
export async function runCanonicalScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const values = ctx.corpus.map((c) => c.bundle);
  const { warmup, rounds } = ctx.rounds(21);
  let bytes = 0;
  const samples = await compareInterleaved(
    [
      {
        name: "canonicalizeJson",
        run: () => {
          bytes = 0;
          for (let pass = 0; pass < PASSES; pass++) for (const v of values) bytes += canonicalizeJson(v).length;
        },
      },
      {
        name: "safe-stable-stringify alone",
        run: () => {
          for (let pass = 0; pass < PASSES; pass++) for (const v of values) stringify(v, null, 2);
        },
      },
      {
        name: "JSON.stringify (unsorted)",
        run: () => {
          for (let pass = 0; pass < PASSES; pass++) for (const v of values) JSON.stringify(v, null, 2);
        },
      },
    ],
    { warmup: warmup + 2, rounds },
  );
  const measurements = collectMeasurements(samples);
  const ratio = medianOf(measurements, "canonicalizeJson") / medianOf(measurements, "safe-stable-stringify alone");
  return {
    id: "5",
    name: "Canonical serialization of the corpus",
    workload: `${values.length} bundles, ${(bytes / PASSES / 1024 / 1024).toFixed(1)} MiB of canonical text, ${PASSES} passes per sample`,
    measurements,
    ratios: [{ name: "canonicalizeJson / safe-stable-stringify", value: ratio }],
    targets: [checkTarget("canonicalizeJson / safe-stable-stringify", ratio, "<=", 1.15, "x")],
    notes: [],
  };
}
