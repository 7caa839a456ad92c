/**
 * The benchmark's pure parts on a tiny workload (the project's own seeds, two copies), so a broken
 * bench fails CI. The bench itself (databases, processes, minutes) never runs here.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { parseBenchArgs } from "../../../bench/bench-args.js";
import { formatCopyField } from "../../../bench/copy-load.js";
import { compareInterleaved, summarizeSamples } from "../../../bench/measure.js";
import { buildReferenceRows, collectBundleWorkflows } from "../../../bench/reference-rows.js";
import { buildReport, checkTarget, collectMeasurements, formatTable } from "../../../bench/report.js";
import {
  type BenchBundle,
  buildCopyKey,
  buildSeedFileNames,
  buildWorkload,
  countWorkload,
  readBundleFiles,
  takeWorkflows,
} from "../../../bench/workload.js";
import { checkBundle } from "../../../src/catalog/check-bundle.js";
import { isJsonObject } from "../../../src/format/json-value.js";
import { computePortableWorkflowId } from "../../../src/format/portable-id.js";
import { parseSeedFileName } from "../../../src/seeder/seed-files.js";

// dist/test/unit/bench -> the project directory.
const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

function definitionIds(bundle: Record<string, unknown>): string[] {
  const workflows = (bundle.workflows ?? []) as Record<string, unknown>[];
  return workflows.flatMap((w) => {
    const draft = w.draft as { definition: { id: string } };
    const versions = (w.publishedVersions ?? []) as { definition: { id: string } }[];
    return [draft.definition.id, ...versions.map((v) => v.definition.id)];
  });
}

describe("bench (pure parts)", () => {
  let seeds: BenchBundle[];

  before(async () => {
    seeds = await readBundleFiles(resolve(PROJECT_DIR, "seeds", "workflows"), (f) => f.endsWith(".bundle.json"));
    expect(seeds.length).to.be.greaterThan(0);
  });

  describe("buildWorkload", () => {
    it("makes N copies under new keys and new definition ids, then appends the seeds", () => {
      const corpus = seeds.map((s) => ({ file: s.file, bundle: s.bundle }));
      const one = countWorkload(corpus);
      const workload = buildWorkload(corpus, seeds, { scale: 2 });
      expect(workload.workflows).to.equal(3 * one.workflows);
      expect(workload.versions).to.equal(3 * one.versions);
      expect(workload.bundles).to.have.length(3 * corpus.length);

      const keys = collectBundleWorkflows(workload.bundles).map((w) => w.key);
      expect(new Set(keys).size, "keys are unique").to.equal(keys.length);
      const firstKey = collectBundleWorkflows(corpus)[0]?.key as string;
      expect(keys).to.include(buildCopyKey(firstKey, 1)).and.include(buildCopyKey(firstKey, 2)).and.include(firstKey);

      const copy1 = workload.bundles.slice(0, corpus.length).flatMap((b) => definitionIds(b.bundle));
      const copy2 = workload.bundles.slice(corpus.length, 2 * corpus.length).flatMap((b) => definitionIds(b.bundle));
      const original = corpus.flatMap((b) => definitionIds(b.bundle));
      for (const id of copy1) expect(copy2).not.to.include(id);
      for (const id of copy1) expect(original).not.to.include(id);
    });

    it("rewrites references to the original ids and portable ids inside each copy", () => {
      const source = seeds[0]?.bundle as Record<string, unknown>;
      const workflow = (source.workflows as Record<string, unknown>[])[0] as Record<string, unknown>;
      const draft = workflow.draft as { definition: Record<string, unknown> };
      const originalId = draft.definition.id as string;
      const portable = computePortableWorkflowId(workflow.key as string);
      const bundle = {
        ...source,
        workflows: [
          { ...workflow, draft: { ...draft, definition: { ...draft.definition, note: [originalId, portable] } } },
        ],
      };
      const copy = buildWorkload([{ file: "a.json", bundle }], [], { scale: 1 }).bundles[0];
      if (copy === undefined) throw new Error("no copy");
      const copiedWorkflow = (copy.bundle.workflows as Record<string, unknown>[])[0] as Record<string, unknown>;
      const copied = copiedWorkflow.draft as { definition: { id: string; note: string[] } };
      expect(copied.definition.id).not.to.equal(originalId);
      expect(copied.definition.note).to.deep.equal([
        copied.definition.id,
        computePortableWorkflowId(buildCopyKey(workflow.key as string, 1)),
      ]);
      // The input is never changed.
      expect(draft.definition.id).to.equal(originalId);
    });

    it("gives copies that still pass every offline check", () => {
      const workload = buildWorkload(seeds, [], { scale: 2 });
      for (const b of workload.bundles) {
        const checked = checkBundle(b.bundle);
        expect(checked.ok, `${b.file}: ${JSON.stringify(checked.ok ? [] : checked.issues)}`).to.equal(true);
      }
    });

    it("rejects a scale that is not a positive integer", () => {
      expect(() => buildWorkload(seeds, [], { scale: 0 })).to.throw(RangeError);
      expect(() => buildWorkload(seeds, [], { scale: 1.5 })).to.throw(RangeError);
    });
  });

  describe("takeWorkflows and buildSeedFileNames", () => {
    it("takes exactly the asked number of workflows, cutting the last bundle", () => {
      const workload = buildWorkload(seeds, [], { scale: 3 });
      const taken = takeWorkflows(workload.bundles, workload.workflows - 1);
      expect(taken.workflows).to.equal(workload.workflows - 1);
      expect(() => takeWorkflows(workload.bundles, workload.workflows + 1)).to.throw(RangeError);
    });

    it("names seeds that the seeder accepts, in the given order", () => {
      const names = buildSeedFileNames(["s1/a b.bundle.json", "s1/x.json", "s2/a b.bundle.json"]);
      for (const name of names) expect(parseSeedFileName(name), name).not.to.equal(null);
      expect([...names].sort()).to.deep.equal(names);
      expect(new Set(names).size).to.equal(names.length);
    });
  });

  describe("reference rows and COPY text", () => {
    it("builds one definition row per workflow and one row per version, definition ids set to the row id", () => {
      const workflows = collectBundleWorkflows(seeds);
      const rows = buildReferenceRows(workflows, (key) => computePortableWorkflowId(key));
      expect(rows.workflows).to.have.length(workflows.length);
      expect(rows.versions).to.have.length(workflows.reduce((n, w) => n + w.publishedVersions.length, 0));
      for (const row of rows.workflows) {
        expect(row.workflow_id).to.equal(computePortableWorkflowId(row.key as string));
        expect(isJsonObject(row.draft_definition) && row.draft_definition.id).to.equal(row.workflow_id);
      }
    });

    it("escapes COPY text fields", () => {
      expect(formatCopyField(null)).to.equal("\\N");
      expect(formatCopyField(undefined)).to.equal("\\N");
      expect(formatCopyField("a\tb\nc\\d\re")).to.equal("a\\tb\\nc\\\\d\\re");
      expect(formatCopyField({ s: 'say "hi"\n' })).to.equal('{"s":"say \\\\"hi\\\\"\\\\n"}');
      expect(formatCopyField(true)).to.equal("true");
      expect(formatCopyField(0.5)).to.equal("0.5");
    });
  });

  describe("measurement and report", () => {
    it("summarizes samples", () => {
      expect(summarizeSamples([3, 1, 2])).to.deep.equal({ medianMs: 2, minMs: 1, maxMs: 3, samples: 3 });
      expect(summarizeSamples([4, 1, 2, 3]).medianMs).to.equal(2.5);
      expect(() => summarizeSamples([])).to.throw(RangeError);
    });

    it("runs contenders interleaved, rotating the order, and drops the warm-up", async () => {
      const order: string[] = [];
      const samples = await compareInterleaved(
        [
          { name: "a", run: () => order.push("a") },
          { name: "b", run: () => order.push("b") },
        ],
        { warmup: 1, rounds: 2 },
      );
      expect(order).to.deep.equal(["a", "b", "b", "a", "a", "b"]);
      expect(samples.get("a")).to.have.length(2);
      expect(samples.get("b")).to.have.length(2);
    });

    it("prints a table and one JSON report with targets", () => {
      const measurements = collectMeasurements(
        new Map([
          ["x", [1, 2, 3]],
          ["y", [2, 4, 6]],
        ]),
      );
      const result = {
        id: "9",
        name: "Example",
        workload: "nothing",
        measurements,
        ratios: [{ name: "x / y", value: 0.5 }],
        targets: [checkTarget("x / y", 0.5, "<=", 1, "x"), checkTarget("y ms", 4, "<=", 1, "ms")],
        notes: ["a note"],
      };
      const table = formatTable([result]);
      expect(table).to.include("9. Example").and.include("PASS  9. x / y").and.include("FAIL  9. y ms");
      const machine = {
        cpu: "cpu",
        cores: 2,
        memoryGiB: 1,
        node: "v20",
        postgres: "PostgreSQL 15",
        pglite: "0",
        platform: "linux",
        loadAverage: { start: 0, end: 0 },
      };
      const report = buildReport(machine, { scale: 1, quick: true, rounds: null }, 12.3, [result]);
      expect(report.allTargetsPass).to.equal(false);
      expect(report.targets.map((t) => [t.scenario, t.pass])).to.deep.equal([
        ["9", true],
        ["9", false],
      ]);
      expect(JSON.parse(JSON.stringify(report)).scenarios[0].measurements[0].medianMs).to.equal(2);
    });
  });

  describe("parseBenchArgs", () => {
    it("reads the options and applies the defaults once", () => {
      const defaults = parseBenchArgs([], {}, "/p/main");
      expect(defaults).to.include({ json: false, quick: false, scale: 10, rounds: null, only: null, alongside: false });
      expect(parseBenchArgs(["--alongside"], {}, "/p/main").alongside).to.equal(true);
      expect(defaults.corpusDir).to.equal("/p/shared/corpus/alga");
      expect(parseBenchArgs(["--quick"], {}, "/p/main").scale).to.equal(1);
      expect(parseBenchArgs(["--quick", "--scale", "10"], {}, "/p/main").scale).to.equal(10);
      expect(parseBenchArgs(["--json", "--only", "1a,3", "--rounds", "2"], {}, "/p")).to.include({
        json: true,
        rounds: 2,
      });
      expect(parseBenchArgs(["--only", "1a,3"], {}, "/p").only).to.deep.equal(["1a", "3"]);
      expect(parseBenchArgs([], { BENCH_DATABASE_URL: "postgres://x/y" }, "/p").serverUrl).to.equal("postgres://x/y");
      expect(() => parseBenchArgs(["--scale", "5"], {}, "/p")).to.throw(/scale/);
      expect(() => parseBenchArgs(["--nope"], {}, "/p")).to.throw(/unknown option/);
    });
  });
});
