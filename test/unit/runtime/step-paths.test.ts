import { expect } from "chai";
import { parseStepPath } from "../../../src/runtime/step-paths.js";

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
