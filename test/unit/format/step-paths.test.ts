import { expect } from "chai";
import {
  branchListPath,
  parseStepPath,
  ROOT_STEP_LIST,
  STEP_BRANCHES,
  type StepPathSegment,
  stepPathAt,
  toStepPath,
  toStepPointer,
} from "../../../src/format/step-paths.js";

describe("parseStepPath", () => {
  it("parses Alga's step paths into positions", () => {
    expect(parseStepPath("root.steps[2]")).to.deep.equal([{ branch: null, index: 2 }]);
    expect(parseStepPath("root.steps[2].then.steps[0].body.steps[11]")).to.deep.equal([
      { branch: null, index: 2 },
      { branch: "then", index: 0 },
      { branch: "body", index: 11 },
    ]);
  });

  for (const bad of ["", "steps[0]", "root.steps[x]", "root.steps[0].loop.steps[1]", "root.steps[0]."])
    it(`rejects ${JSON.stringify(bad)}`, () => {
      expect(parseStepPath(bad)).to.equal(null);
    });
});

describe("stepPathAt and branchListPath", () => {
  it("build the paths parseStepPath reads back, through every branch", () => {
    let path = stepPathAt(ROOT_STEP_LIST, 3);
    const expected: StepPathSegment[] = [{ branch: null, index: 3 }];
    for (const [i, branch] of STEP_BRANCHES.entries()) {
      path = stepPathAt(branchListPath(path, branch), i);
      expected.push({ branch, index: i });
    }
    expect(path).to.equal("root.steps[3].then.steps[0].else.steps[1].body.steps[2].try.steps[3].catch.steps[4]");
    expect(parseStepPath(path)).to.deep.equal(expected);
  });
});

describe("toStepPointer", () => {
  it("gives the JSON pointer segments of a step inside its definition", () => {
    expect(toStepPointer("root.steps[2]")).to.deep.equal(["steps", "2"]);
    expect(toStepPointer("root.steps[2].then.steps[0].catch.steps[5]")).to.deep.equal([
      "steps",
      "2",
      "then",
      "0",
      "catch",
      "5",
    ]);
  });

  it("is empty for what is not a step path", () => {
    expect(toStepPointer("root")).to.deep.equal([]);
  });
});

describe("toStepPath", () => {
  it("names the deepest step of a JSON path in the grammar parseStepPath reads, through every branch", () => {
    const path = toStepPath(["steps", 1, ...STEP_BRANCHES.flatMap((b, i) => [b, i]), "config", "state"]);
    expect(path).to.equal("root.steps[1].then.steps[0].else.steps[1].body.steps[2].try.steps[3].catch.steps[4]");
    expect(parseStepPath(path as string)).to.deep.equal([
      { branch: null, index: 1 },
      ...STEP_BRANCHES.map((branch, index) => ({ branch, index })),
    ]);
  });

  it("stops at a segment that is not a branch, and is undefined outside the steps", () => {
    expect(toStepPath(["steps", 0, "loop", 1])).to.equal("root.steps[0]");
    expect(toStepPath(["steps", 0, "__proto__", 1])).to.equal("root.steps[0]");
    expect(toStepPath(["trigger"])).to.equal(undefined);
  });
});
