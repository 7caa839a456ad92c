import { expect } from "chai";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";

describe("canonicalizeJson", () => {
  it("sorts keys recursively by code unit, indents by 2 and ends with one newline", () => {
    expect(canonicalizeJson({ b: 1, a: { d: [1, { z: true, y: null }], c: "x" } })).to.equal(
      '{\n  "a": {\n    "c": "x",\n    "d": [\n      1,\n      {\n        "y": null,\n        "z": true\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it('orders integer-like keys as strings: "10" before "2"', () => {
    expect(canonicalizeJson({ "2": "two", "10": "ten", a: 0 })).to.equal(
      '{\n  "10": "ten",\n  "2": "two",\n  "a": 0\n}\n',
    );
  });

  it("sorts by UTF-16 code unit, not locale (upper case before lower case, é after z)", () => {
    const keys = Object.keys(JSON.parse(canonicalizeJson({ é: 1, z: 1, Z: 1, a: 1 })));
    expect(keys).to.deep.equal(["Z", "a", "z", "é"]);
  });

  it("is stable: the same value gives the same bytes whatever the key insertion order", () => {
    expect(canonicalizeJson({ a: 1, b: [2, 3] })).to.equal(canonicalizeJson({ b: [2, 3], a: 1 }));
  });

  it("keeps a __proto__ own key as data", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    expect(canonicalizeJson(value)).to.equal('{\n  "__proto__": {\n    "polluted": true\n  },\n  "a": 1\n}\n');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  for (const [name, value] of [
    ["NaN", { a: Number.NaN }],
    ["Infinity", { a: Number.POSITIVE_INFINITY }],
    ["BigInt", { a: 1n }],
    ["a function", { a: () => 1 }],
  ] as const) {
    it(`throws on ${name}`, () => {
      expect(() => canonicalizeJson(value)).to.throw();
    });
  }

  it("throws on a circular value", () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    expect(() => canonicalizeJson(value)).to.throw();
  });

  it("escapes lone surrogates like JSON.stringify", () => {
    expect(canonicalizeJson({ s: "\ud800" })).to.equal(`{\n  "s": ${JSON.stringify("\ud800")}\n}\n`);
  });
});
