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

function describeUnstorable(text: string): string {
  const m = UNSTORABLE_CHARACTER.exec(text);
  const code = (m?.[0] ?? "").charCodeAt(0);
  const what = code === 0 ? "U+0000 (NUL)" : `an unpaired surrogate \\u${code.toString(16).padStart(4, "0")}`;
  return `contains ${what} at character ${m?.index ?? 0}, which PostgreSQL cannot store in text or jsonb; remove it`;
}

interface Node {
  value: unknown;
  depth: number;
  parent: Node | null;
  segment: string | number;
}

function pathSegments(node: Node): (string | number)[] {
  const segments: (string | number)[] = [];
  for (let n: Node | null = node; n !== null && n.parent !== null; n = n.parent) segments.push(n.segment);
  return segments.reverse();
}

function pathOf(node: Node): string {
  return toJsonPointer(pathSegments(node));
}

/**
 * Finds values of a parsed JSON document that no import can store as given, so they are refused
 * before any serializer or database sees them: nesting deeper than `maxDepth` (the root object is
 * level 1), numbers that are not finite (`1e309` parses to Infinity, which would be written as
 * null), and strings or keys containing U+0000 or unpaired surrogates. Iterative (safe at any
 * depth), document order, at most {@link MAX_LIMIT_PROBLEMS} problems.
 */
export function collectJsonLimitProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): PathProblem[] {
  const problems: PathProblem[] = [];
  const stack: Node[] = [{ value, depth: 1, parent: null, segment: "" }];
  while (stack.length > 0 && problems.length < MAX_LIMIT_PROBLEMS) {
    const node = stack.pop() as Node;
    const v = node.value;
    if (typeof v === "number") {
      if (!Number.isFinite(v))
        problems.push({
          path: pathOf(node),
          message: "is a number too large for a 64-bit float (it would be stored as null); write a smaller number",
        });
      continue;
    }
    if (typeof v === "string") {
      if (UNSTORABLE_CHARACTER.test(v)) problems.push({ path: pathOf(node), message: describeUnstorable(v) });
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (node.depth > maxDepth) {
      problems.push({ path: pathOf(node), message: `nests deeper than ${maxDepth} levels of arrays and objects` });
      continue;
    }
    // Pushed in reverse: popped, and so reported, in document order.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], depth: node.depth + 1, parent: node, segment: i });
      continue;
    }
    const keys = Object.keys(v);
    for (const key of keys)
      if (UNSTORABLE_CHARACTER.test(key))
        problems.push({
          path: toJsonPointer([...pathSegments(node), key]),
          message: `the key ${describeUnstorable(key)}`,
        });
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      // getOwnPropertyDescriptor: a `__proto__` member is data here, never the prototype.
      const child = Object.getOwnPropertyDescriptor(v, key)?.value;
      stack.push({ value: child, depth: node.depth + 1, parent: node, segment: key });
    }
  }
  return problems.slice(0, MAX_LIMIT_PROBLEMS);
}
