import type { PathProblem } from "../errors.js";
import { toJsonPointer } from "./json-value.js";

/**
 * The deepest nesting of arrays and objects a bundle may have. Real definitions nest a few dozen
 * levels; far deeper documents overflow the recursive serializers every import and checksum runs
 * (JSON.stringify, canonical JSON) before they reach the database. Default of
 * {@link collectJsonLimitProblems}.
 */
export const MAX_JSON_DEPTH = 512;

/** Problems reported at most by {@link collectJsonLimitProblems} (the first ones, in document order). */
export const MAX_LIMIT_PROBLEMS = 100;

// U+0000 and unpaired UTF-16 surrogates: PostgreSQL stores neither in text nor in jsonb.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this looks for.
const UNSTORABLE_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when PostgreSQL can store `text` in text and jsonb: no U+0000, no unpaired surrogate. */
export function isStorableString(text: string): boolean {
  return !UNSTORABLE_CHARACTER.test(text);
}

function describeUnstorable(text: string): string {
  const m = UNSTORABLE_CHARACTER.exec(text);
  const code = (m?.[0] ?? "").charCodeAt(0);
  const what = code === 0 ? "U+0000 (NUL)" : `an unpaired surrogate \\u${code.toString(16).padStart(4, "0")}`;
  return `contains ${what} at character ${m?.index ?? 0}, which PostgreSQL cannot store in text or jsonb; remove it`;
}

/**
 * Finds values of a parsed JSON document that no import can store as given, so they are refused
 * before any serializer or database sees them: nesting deeper than `maxDepth` (the root object is
 * level 1), numbers that are not finite (`1e309` parses to Infinity, which would be written as
 * null), and strings or keys containing U+0000 or unpaired surrogates. Document order, at most
 * {@link MAX_LIMIT_PROBLEMS} problems. The recursion never goes deeper than `maxDepth + 1`, so it
 * is safe on any document; the path is built only for a problem.
 */
export function collectJsonLimitProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): PathProblem[] {
  const problems: PathProblem[] = [];
  const segments: (string | number)[] = [];
  const report = (message: string, last?: string) =>
    problems.push({ path: toJsonPointer(last === undefined ? segments : [...segments, last]), message });
  const visit = (v: unknown, depth: number): void => {
    if (problems.length >= MAX_LIMIT_PROBLEMS) return;
    if (typeof v === "number") {
      if (!Number.isFinite(v))
        report("is a number too large for a 64-bit float (it would be stored as null); write a smaller number");
      return;
    }
    if (typeof v === "string") {
      if (UNSTORABLE_CHARACTER.test(v)) report(describeUnstorable(v));
      return;
    }
    if (v === null || typeof v !== "object") return;
    if (depth > maxDepth) {
      report(`nests deeper than ${maxDepth} levels of arrays and objects`);
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        segments.push(i);
        visit(v[i], depth + 1);
        segments.pop();
      }
      return;
    }
    const keys = Object.keys(v);
    for (const key of keys) if (UNSTORABLE_CHARACTER.test(key)) report(`the key ${describeUnstorable(key)}`, key);
    for (const key of keys) {
      segments.push(key);
      // An own `__proto__` member (JSON.parse makes one) shadows the accessor: this reads the data.
      visit((v as Record<string, unknown>)[key], depth + 1);
      segments.pop();
    }
  };
  visit(value, 1);
  return problems.slice(0, MAX_LIMIT_PROBLEMS);
}
