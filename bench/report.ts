/**
 * What a scenario reports, and how the report is printed: a table for people, one JSON document
 * for machines.
 */
import { type Summary, summarizeSamples } from "./measure.js";

/** The timing of one contender. */
export interface Measurement extends Summary {
  name: string;
}

/** A ratio of two medians (or of derived figures), e.g. `importBundles / COPY`. */
export interface Ratio {
  name: string;
  value: number;
}

/** A target (issues 7 and 14) and whether this run meets it. */
export interface Target {
  name: string;
  comparison: "<=" | ">=";
  limit: number;
  value: number;
  unit: "x" | "ms" | "MiB";
  pass: boolean;
}

/** The result of one scenario. */
export interface ScenarioResult {
  id: string;
  name: string;
  workload: string;
  measurements: Measurement[];
  ratios: Ratio[];
  targets: Target[];
  /** Extra figures that explain the result (breakdowns, round trips). */
  notes: string[];
}

/** A target checked against a value. */
export function checkTarget(
  name: string,
  value: number,
  comparison: Target["comparison"],
  limit: number,
  unit: Target["unit"],
): Target {
  return { name, comparison, limit, value, unit, pass: comparison === "<=" ? value <= limit : value >= limit };
}

/** Measurements of the named contenders, in the given order. */
export function collectMeasurements(samples: ReadonlyMap<string, number[]>): Measurement[] {
  return [...samples].map(([name, values]) => ({ name, ...summarizeSamples(values) }));
}

/** The median of the named measurement. */
export function medianOf(measurements: readonly Measurement[], name: string): number {
  const m = measurements.find((x) => x.name === name);
  if (!m) throw new Error(`no measurement named ${name}`);
  return m.medianMs;
}

function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

function formatValue(value: number, unit: Target["unit"]): string {
  if (unit === "x") return `${value.toFixed(2)}x`;
  if (unit === "ms") return `${formatMs(value)} ms`;
  return `${value.toFixed(0)} MiB`;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The human report: one block per scenario, then every target. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const lines: string[] = [];
  const nameWidth = Math.max(
    28,
    ...results.flatMap((r) => [...r.measurements.map((m) => m.name.length), ...r.ratios.map((x) => x.name.length)]),
  );
  for (const r of results) {
    lines.push(`${r.id}. ${r.name}  (${r.workload})`);
    if (r.measurements.length > 0) {
      lines.push(
        `  ${pad("contender", nameWidth)} ${pad("median ms", 10, true)} ${pad("min ms", 10, true)} ${pad("max ms", 10, true)} ${pad("n", 3, true)}`,
      );
      for (const m of r.measurements)
        lines.push(
          `  ${pad(m.name, nameWidth)} ${pad(formatMs(m.medianMs), 10, true)} ${pad(formatMs(m.minMs), 10, true)} ${pad(formatMs(m.maxMs), 10, true)} ${pad(String(m.samples), 3, true)}`,
        );
    }
    for (const x of r.ratios) lines.push(`  ${pad(x.name, nameWidth)} ${pad(`${x.value.toFixed(2)}x`, 10, true)}`);
    for (const n of r.notes) lines.push(`  note: ${n}`);
    lines.push("");
  }
  lines.push("targets");
  for (const r of results)
    for (const t of r.targets)
      lines.push(
        `  ${t.pass ? "PASS" : "FAIL"}  ${r.id}. ${t.name}: ${formatValue(t.value, t.unit)} (target ${t.comparison} ${formatValue(t.limit, t.unit)})`,
      );
  return lines.join("\n");
}

/** The machine a run happened on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  pglite: string;
  platform: string;
  /** 1-minute load average when the run started and when it ended (other work on the machine). */
  loadAverage: { start: number; end: number };
}

/** The `--json` document. */
export interface BenchReport {
  machine: MachineInfo;
  options: { scale: number; quick: boolean; rounds: number | null };
  durationMs: number;
  scenarios: ScenarioResult[];
  targets: {
    scenario: string;
    name: string;
    value: number;
    limit: number;
    comparison: string;
    unit: string;
    pass: boolean;
  }[];
  allTargetsPass: boolean;
  /**
   * With `--alongside`: the report of the second copy that ran at the same time (its own
   * `allTargetsPass`); this report's `allTargetsPass` then holds only if both copies pass.
   */
  alongside?: BenchReport;
}

/** Assembles the JSON report. */
export function buildReport(
  machine: MachineInfo,
  options: BenchReport["options"],
  durationMs: number,
  scenarios: readonly ScenarioResult[],
): BenchReport {
  const targets = scenarios.flatMap((s) => s.targets.map((t) => ({ scenario: s.id, ...t })));
  return {
    machine,
    options,
    durationMs: Math.round(durationMs),
    scenarios: [...scenarios],
    targets,
    allTargetsPass: targets.every((t) => t.pass),
  };
}
