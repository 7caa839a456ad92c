import { expect } from "chai";
import fc from "fast-check";
import { canonicalizeJson, canonicalizeJsonCompact } from "../../../src/format/canonical-json.js";
import { hashCanonicalJson } from "../../../src/format/checksum.js";
import { itEachBundleSet } from "../../support/bundle-sets.js";
import { independentCanonical } from "../../support/canonical.js";

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

  it("equals an independent implementation on any JSON value, and is idempotent (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalizeJson(value);
        expect(text).to.equal(independentCanonical(value));
        expect(canonicalizeJson(JSON.parse(text))).to.equal(text);
        const compact = canonicalizeJsonCompact(value);
        expect(JSON.parse(compact)).to.deep.equal(JSON.parse(text));
        expect(canonicalizeJsonCompact(JSON.parse(text))).to.equal(compact);
      }),
      { numRuns: 1000 },
    );
  });

  it("writes large documents (the sorted-copy path) exactly like small ones (fast-check)", () => {
    // 64+ items at the top level take the native-serializer path; compare with the independent form.
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 64, maxLength: 80 }), fc.jsonValue(), (items, extra) => {
        for (const value of [items, { extra, items }]) {
          expect(canonicalizeJson(value)).to.equal(independentCanonical(value));
          expect(JSON.parse(canonicalizeJsonCompact(value))).to.deep.equal(JSON.parse(canonicalizeJson(value)));
        }
      }),
      { numRuns: 200 },
    );
    const large = { items: Array.from({ length: 64 }, (_, i) => ({ "10": i, "2": i, __proto__x: 1 })) };
    expect(canonicalizeJson(large)).to.equal(independentCanonical(large));
    const withProto = { items: Array.from({ length: 64 }, () => JSON.parse('{"b": 1, "__proto__": {"a": 1}}')) };
    expect(canonicalizeJson(withProto)).to.equal(independentCanonical(withProto));
    expect(() => canonicalizeJson({ items: Array.from({ length: 64 }, () => Number.NaN) })).to.throw();
  });

  itEachBundleSet("gives every bundle of the set a canonical form that parses back to the same value", (set) => {
    for (const file of set.files.filter((f) => f !== set.invalidJson.file)) {
      const value = set.readBundle(file);
      const text = canonicalizeJson(value);
      expect(text, file).to.equal(independentCanonical(value));
      expect(JSON.parse(text), file).to.deep.equal(value);
      // Neither set holds a file in canonical form, so the check above sees real rewriting.
      expect(text, file).to.not.equal(set.readText(file));
    }
  });

  it("hashCanonicalJson ignores key order and formatting, and sees any change of value", () => {
    expect(hashCanonicalJson({ a: 1, b: [1, 2] })).to.equal(hashCanonicalJson(JSON.parse('{"b":[1,2],"a":1}')));
    expect(hashCanonicalJson({ a: 1, b: [1, 2] })).to.not.equal(hashCanonicalJson({ a: 1, b: [2, 1] }));
    expect(hashCanonicalJson({ a: "1" })).to.not.equal(hashCanonicalJson({ a: 1 }));
    expect(hashCanonicalJson({})).to.match(/^[0-9a-f]{64}$/);
  });
});
