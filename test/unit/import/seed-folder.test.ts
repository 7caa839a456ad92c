import { expect } from "chai";
import { collectFinalSeedState, type SeedBundle } from "../../../src/import/seed-folder.js";
import { templateBundle } from "../../support/bundles.js";

function seed(file: string, keys: Record<string, string>): SeedBundle {
  return {
    file,
    bundle: templateBundle(Object.entries(keys).map(([key, description]) => ({ key, description }))),
  };
}

/** Each seed as `[file, [key, description]...]`. */
function shape(seeds: readonly SeedBundle[]): [string, [string, string | null][]][] {
  return seeds.map((s) => [s.file, s.bundle.workflows.map((w) => [w.key, w.metadata.description ?? null])]);
}

describe("collectFinalSeedState", () => {
  it("a later seed's version of a key replaces the earlier one; a seed left empty is dropped", () => {
    const final = collectFinalSeedState([
      seed("1.a.bundle.json", { a: "a1", b: "b1" }),
      seed("2.b.bundle.json", { b: "b2" }),
      seed("3.c.bundle.json", { a: "a3", c: "c3" }),
      seed("4.d.bundle.json", { c: "c4" }),
    ]);
    expect(shape(final)).to.deep.equal([
      ["2.b.bundle.json", [["b", "b2"]]],
      ["3.c.bundle.json", [["a", "a3"]]],
      ["4.d.bundle.json", [["c", "c4"]]],
    ]);
  });

  it("seeds with distinct keys are kept as they are (same objects)", () => {
    const seeds = [seed("1.a.bundle.json", { a: "a" }), seed("2.b.bundle.json", { b: "b" })];
    const final = collectFinalSeedState(seeds);
    expect(final).to.have.length(2);
    expect(final[0]).to.equal(seeds[0]);
    expect(final[1]).to.equal(seeds[1]);
  });
});
