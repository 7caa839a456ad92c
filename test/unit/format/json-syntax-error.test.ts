import { expect } from "chai";
import fc from "fast-check";
import { findJsonSyntaxErrorOffset } from "../../../src/format/json-syntax-error.js";

/** The position V8 gives in its message, when it gives one. */
function v8Position(text: string): number | null | "valid" {
  try {
    JSON.parse(text);
    return "valid";
  } catch (error) {
    const m = /at position (\d+)/.exec((error as Error).message);
    return m ? Number(m[1]) : null;
  }
}

describe("findJsonSyntaxErrorOffset", () => {
  it("returns -1 for valid JSON of every kind", () => {
    for (const text of [
      "0",
      "-0.5e+10",
      '"a\\u00e9\\n"',
      " true ",
      "null",
      "[]",
      "{}",
      '{"a": [1, {"b": null}], "c": "d"}',
      "\t\r\n[ ]\n",
    ])
      expect(findJsonSyntaxErrorOffset(text), text).to.equal(-1);
  });

  it("finds the offending character", () => {
    for (const [text, offset] of [
      ["", 0],
      ["{", 1],
      ['{"a": ]}', 6],
      ["[1,]", 3],
      ['{"a" 1}', 5],
      ["{,}", 1],
      ["[1 2]", 3],
      ["nul", 3],
      ["[-]", 2],
      ["[1.]", 3],
      ["[1e]", 3],
      ['"abc', 4],
      ['"a\nb"', 2],
      ['"\\u12g4"', 5],
      ["[1] x", 4],
      ["{'a': 1}", 1],
    ] as const)
      expect(findJsonSyntaxErrorOffset(text), JSON.stringify(text)).to.equal(offset);
  });

  it("does not overflow the stack on deep nesting", () => {
    expect(findJsonSyntaxErrorOffset(`${"[".repeat(200_000)}${"]".repeat(200_000)}`)).to.equal(-1);
    expect(findJsonSyntaxErrorOffset(`${"[".repeat(200_000)}}`)).to.equal(200_000);
  });

  it("agrees with JSON.parse on validity, and with V8's position whenever V8 gives one (fast-check)", () => {
    const mutate = fc
      .tuple(
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 1)),
        fc.nat(),
        fc.constantFrom("delete", "insert", "replace"),
        fc.constantFrom(...'{}[],:"\\ 0-.eE\ntnfa'.split("")),
      )
      .map(([text, at, op, c]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        if (op === "delete") return text.slice(0, i) + text.slice(i + 1);
        if (op === "insert") return text.slice(0, i) + c + text.slice(i);
        return text.slice(0, i) + c + text.slice(i + 1);
      });
    fc.assert(
      fc.property(mutate, (text) => {
        const v8 = v8Position(text);
        const ours = findJsonSyntaxErrorOffset(text);
        if (v8 === "valid") expect(ours, text).to.equal(-1);
        else {
          expect(ours, text).to.be.at.least(0);
          if (v8 !== null) expect(ours, JSON.stringify(text)).to.equal(v8);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
