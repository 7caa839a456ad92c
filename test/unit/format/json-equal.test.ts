import { expect } from "chai";
import fc from "fast-check";
import { canonicalizeJsonCompact } from "../../../src/format/canonical-json.js";
import { isJsonEqual } from "../../../src/format/json-equal.js";

describe("isJsonEqual", () => {
  it("says what comparing canonical JSON says, on any pair of JSON values (fast-check)", () => {
    const value = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(isJsonEqual(a, b)).to.equal(canonicalizeJsonCompact(a) === canonicalizeJsonCompact(b));
        expect(isJsonEqual(a, structuredClone(a))).to.equal(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("ignores key order, not extra keys, and reads an own __proto__ key as data", () => {
    expect(isJsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).to.equal(true);
    expect(isJsonEqual({ a: 1 }, { a: 1, b: undefined })).to.equal(false);
    expect(isJsonEqual({ a: 1, b: 2 }, { a: 1 })).to.equal(false);
    expect(isJsonEqual(JSON.parse('{"__proto__": {"x": 1}}'), JSON.parse('{"__proto__": {"x": 2}}'))).to.equal(false);
    expect(isJsonEqual(JSON.parse('{"__proto__": {"x": 1}}'), {})).to.equal(false);
    expect(isJsonEqual([1, 2], { 0: 1, 1: 2 })).to.equal(false);
  });
});
