import { configure } from "safe-stable-stringify";

// strict: throw on anything JSON cannot carry (NaN, Infinity, BigInt, functions, symbols);
// circularValue Error: throw on cycles instead of writing a placeholder; deterministic: keys
// sorted with Array#sort, i.e. by UTF-16 code unit, so "10" sorts before "2".
const stringifyStrict = configure({
  strict: true,
  bigint: false,
  circularValue: Error,
  deterministic: true,
});

/**
 * Serializes a JSON value in canonical form, as Alga writes bundles: object keys sorted
 * recursively by UTF-16 code unit, 2-space indentation, one trailing newline. Throws a
 * `TypeError`/`Error` on values JSON cannot represent (NaN, BigInt, functions, cycles).
 *
 * @example canonicalizeJson({ b: 1, a: [1] }) // '{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
 */
export function canonicalizeJson(value: unknown): string {
  const text = stringifyStrict(value, null, 2);
  if (text === undefined) throw new TypeError("value cannot be represented as JSON");
  return `${text}\n`;
}

/** Compact canonical form (sorted keys, no whitespace): for hashing and comparing values. */
export function canonicalizeJsonCompact(value: unknown): string {
  const text = stringifyStrict(value);
  if (text === undefined) throw new TypeError("value cannot be represented as JSON");
  return text;
}
