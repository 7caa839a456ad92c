/**
 * Hostile bundles for the property-based tests: fast-check arbitraries that describe mutations of
 * a valid bundle (structural, at every depth, and on the bytes of the file), and the pure code
 * that applies them. A case is data (fast-check can shrink and print it); {@link renderCase}
 * turns it into the bytes an importer reads.
 */
import fc from "fast-check";

/** A mutation of the parsed document. `at` picks a node: an index modulo the candidates. */
export type ValueMutation =
  | { kind: "drop"; at: number }
  | { kind: "rename"; at: number; to: number }
  | { kind: "retype"; at: number; to: number }
  | { kind: "formatVersion"; to: number }
  | { kind: "format"; to: number }
  | { kind: "hugeString"; at: number; size: number }
  | { kind: "deep"; at: number; depth: number; shape: "array" | "object" }
  | { kind: "duplicateWorkflow"; at: number }
  | { kind: "duplicateVersion"; at: number; version: number }
  | { kind: "protoKey"; at: number; key: number }
  | { kind: "badString"; at: number; what: number }
  | { kind: "number"; at: number; to: number }
  | { kind: "root"; to: number };

/** A mutation of the file's bytes, after serialization. */
export type TextMutation =
  | { kind: "truncate"; at: number }
  | { kind: "invalidUtf8"; at: number; bytes: number }
  | { kind: "duplicateJsonKey"; at: number; to: number }
  | { kind: "protoText"; at: number; key: number }
  | { kind: "garbage"; what: number };

/** One hostile case: a base bundle, value mutations in order, then at most one byte mutation. */
export interface HostileCase {
  base: number;
  mutations: ValueMutation[];
  text: TextMutation | null;
}

/** Key names that attack prototypes or confuse lookups. */
export const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "valueOf"];

const RENAMES = ["", "x", "KEY", "key ", " key", "__proto__", "constructor", "prototype", "\u0000", "\ud800", "é"];

/** Values of every JSON type, edge numbers included. */
const RETYPES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -0,
  1e308,
  "",
  "x",
  "1",
  "null",
  [],
  {},
  [null],
  { "": null },
];

const FORMAT_VERSIONS: unknown[] = [0, 2, -1, 1.5, "1", null, true, [1], {}, 1e308, 2 ** 53, Symbol.for("missing")];

const FORMATS: unknown[] = [
  "alga-psa.workflow-bundle.v2",
  "ALGA-PSA.WORKFLOW-BUNDLE",
  " alga-psa.workflow-bundle",
  "",
  null,
  1,
  ["alga-psa.workflow-bundle"],
  Symbol.for("missing"),
];

/** Strings inserted into a string: control, invalid, invisible and look-alike characters. */
const BAD_STRINGS = [
  "\u0000",
  "\ud800",
  "\udfff",
  "\udc00\ud800",
  "\ufffd",
  "\ufeff",
  "\u202e",
  "\u0007",
  "\\u0000",
  "'); drop table workflow_definitions; --",
];

/** Raw JSON numbers, written as they are in the file (some do not fit a double). */
const RAW_NUMBERS = [
  "1e309",
  "-1e309",
  "1e-400",
  "12345678901234567890",
  "2147483648",
  "-2147483649",
  "0.001",
  "999.995",
  "-0",
  "1E+2",
];

const ROOTS = ["null", "[]", '"alga-psa.workflow-bundle"', "42", "true", "{}", "[BUNDLE]", '""'];

/** Bytes that are not valid UTF-8: stray continuation, truncated sequence, overlong, surrogate. */
const INVALID_UTF8: number[][] = [
  [0xff],
  [0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

const GARBAGE = ["bom", "trailing", "comment", "nan", "single-quotes", "empty", "whitespace", "nul-byte"];

/** Depths of nested arrays/objects: some within the limit, some far beyond any stack. */
export const DEPTHS = [64, 600, 3_000, 20_000];

/** Sizes of huge strings, in characters. */
export const HUGE_SIZES = [100_000, 1_000_000, 5_000_000];

const at = fc.nat();

function pick<T>(values: readonly T[]): fc.Arbitrary<number> {
  return fc.nat({ max: values.length - 1 });
}

/** Mutations of the parsed document, weighted towards the cheap structural ones. */
export function valueMutation(options: { huge?: boolean } = {}): fc.Arbitrary<ValueMutation> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("drop" as const), at }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("rename" as const), at, to: pick(RENAMES) }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("retype" as const), at, to: pick(RETYPES) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("formatVersion" as const), to: pick(FORMAT_VERSIONS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("format" as const), to: pick(FORMATS) }) },
    {
      weight: options.huge === false ? 0 : 1,
      arbitrary: fc.record({
        kind: fc.constant("hugeString" as const),
        at,
        size: fc.constantFrom(...HUGE_SIZES),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("deep" as const),
        at,
        depth: fc.constantFrom(...DEPTHS),
        shape: fc.constantFrom("array" as const, "object" as const),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicateWorkflow" as const), at }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("duplicateVersion" as const),
        at,
        version: fc.integer({ min: -1, max: 3 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("protoKey" as const), at, key: pick(HOSTILE_KEYS) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("badString" as const), at, what: pick(BAD_STRINGS) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("number" as const), at, to: pick(RAW_NUMBERS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("root" as const), to: pick(ROOTS) }) },
  );
}

/** Mutations of the serialized bytes. */
export function textMutation(): fc.Arbitrary<TextMutation> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("invalidUtf8" as const), at, bytes: pick(INVALID_UTF8) }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("duplicateJsonKey" as const), at, to: pick(RETYPES) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("protoText" as const), at, key: pick(HOSTILE_KEYS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("garbage" as const), what: pick(GARBAGE) }) },
  );
}

/** A hostile case over `bases` base bundles. */
export function hostileCase(bases: number, options: { huge?: boolean } = {}): fc.Arbitrary<HostileCase> {
  return fc.record({
    base: fc.nat({ max: bases - 1 }),
    mutations: fc.array(valueMutation(options), { minLength: 0, maxLength: 3 }),
    text: fc.option(textMutation(), { freq: 3 }),
  });
}

type Path = (string | number)[];

/** Every node of a JSON value with its path, breadth first, at most `limit` of them. */
function collectPaths(value: unknown, limit = 20_000): { path: Path; value: unknown }[] {
  const found: { path: Path; value: unknown }[] = [];
  const queue: { path: Path; value: unknown }[] = [{ path: [], value }];
  for (let i = 0; i < queue.length && found.length < limit; i++) {
    const node = queue[i] as { path: Path; value: unknown };
    found.push(node);
    if (Array.isArray(node.value))
      node.value.forEach((v, j) => {
        queue.push({ path: [...node.path, j], value: v });
      });
    else if (node.value !== null && typeof node.value === "object")
      for (const k of Object.keys(node.value)) queue.push({ path: [...node.path, k], value: own(node.value, k) });
  }
  return found;
}

function own(object: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(object, key)?.value;
}

/** Sets an own property, even `__proto__` (plain assignment would change the prototype instead). */
function define(object: object, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = Array.isArray(node) ? node[segment as number] : own(node, String(segment));
  }
  return node;
}

function setAt(root: { value: unknown }, path: Path, value: unknown): void {
  if (path.length === 0) {
    root.value = value;
    return;
  }
  const parent = getAt(root.value, path.slice(0, -1));
  const last = path[path.length - 1] as string | number;
  if (Array.isArray(parent)) parent[last as number] = value;
  else if (parent !== null && typeof parent === "object") define(parent, String(last), value);
}

/** Renames a key in place, keeping the member's position among its siblings. */
function renameKey(object: Record<string, unknown>, from: string, to: string): void {
  const entries = Object.keys(object).map((k) => [k, own(object, k)] as const);
  for (const [k] of entries) delete object[k];
  for (const [k, v] of entries) define(object, k === from ? to : k, v);
}

/** Raw JSON text to splice in where a placeholder string stands. */
interface RawTable {
  next: number;
  raw: Map<string, string>;
}

function placeholder(table: RawTable, raw: string): string {
  const id = `@@wfs-raw-${table.next++}@@`;
  table.raw.set(id, raw);
  return id;
}

function nested(depth: number, shape: "array" | "object"): string {
  return shape === "array"
    ? `${"[".repeat(depth)}1${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

function deepClone(value: unknown): unknown {
  // structuredClone keeps own `__proto__` members as data (JSON.parse would too).
  return structuredClone(value);
}

const MISSING = Symbol.for("missing");

function applyValueMutation(root: { value: unknown }, m: ValueMutation, table: RawTable): void {
  const doc = root.value;
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  switch (m.kind) {
    case "root": {
      const raw = ROOTS[m.to] as string;
      root.value = raw === "[BUNDLE]" ? [doc] : placeholder(table, raw);
      return;
    }
    case "formatVersion":
    case "format": {
      if (!isObject(doc)) return;
      const field = m.kind;
      const value = (m.kind === "format" ? FORMATS : FORMAT_VERSIONS)[m.to];
      if (value === MISSING) delete doc[field];
      else define(doc, field, value);
      return;
    }
    case "duplicateWorkflow": {
      const workflows = isObject(doc) ? doc.workflows : undefined;
      if (!Array.isArray(workflows) || workflows.length === 0) return;
      workflows.push(deepClone(workflows[m.at % workflows.length]));
      return;
    }
    case "duplicateVersion": {
      const workflows = isObject(doc) ? doc.workflows : undefined;
      if (!Array.isArray(workflows) || workflows.length === 0) return;
      const w = workflows[m.at % workflows.length];
      if (!isObject(w) || !Array.isArray(w.publishedVersions)) return;
      const first = w.publishedVersions[0];
      const copy = isObject(first)
        ? (deepClone(first) as Record<string, unknown>)
        : { version: 1, definition: {}, payloadSchemaJson: null };
      if (m.version >= 0) copy.version = m.version;
      w.publishedVersions.push(copy);
      return;
    }
    default:
      break;
  }
  const nodes = collectPaths(doc);
  const members = nodes.filter((n) => n.path.length > 0);
  switch (m.kind) {
    case "drop": {
      const node = members[m.at % Math.max(1, members.length)];
      if (!node) return;
      const parent = getAt(doc, node.path.slice(0, -1));
      const last = node.path[node.path.length - 1];
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else if (isObject(parent)) delete parent[String(last)];
      return;
    }
    case "rename": {
      const keyed = members.filter((n) => typeof n.path[n.path.length - 1] === "string");
      const node = keyed[m.at % Math.max(1, keyed.length)];
      if (!node) return;
      const parent = getAt(doc, node.path.slice(0, -1));
      if (isObject(parent)) renameKey(parent, String(node.path[node.path.length - 1]), RENAMES[m.to] as string);
      return;
    }
    case "retype": {
      const node = members[m.at % Math.max(1, members.length)];
      if (node) setAt(root, node.path, deepClone(RETYPES[m.to]));
      return;
    }
    case "hugeString": {
      const node = members[m.at % Math.max(1, members.length)];
      if (node) setAt(root, node.path, "\u00e9x".repeat(Math.ceil(m.size / 2)).slice(0, m.size));
      return;
    }
    case "deep": {
      const node = members[m.at % Math.max(1, members.length)];
      if (node) setAt(root, node.path, placeholder(table, nested(m.depth, m.shape)));
      return;
    }
    case "protoKey": {
      const objects = nodes.filter((n) => isObject(n.value));
      const node = objects[m.at % Math.max(1, objects.length)];
      if (!node) return;
      const key = HOSTILE_KEYS[m.key] as string;
      define(node.value as object, key, { polluted: true, prototype: { polluted: true } });
      return;
    }
    case "badString": {
      const strings = members.filter((n) => typeof n.value === "string");
      const node = strings[m.at % Math.max(1, strings.length)];
      if (!node) return;
      const text = node.value as string;
      const middle = Math.floor(text.length / 2);
      setAt(root, node.path, text.slice(0, middle) + (BAD_STRINGS[m.what] as string) + text.slice(middle));
      return;
    }
    case "number": {
      const numbers = members.filter((n) => typeof n.value === "number");
      const candidates = numbers.length > 0 ? numbers : members;
      const node = candidates[m.at % Math.max(1, candidates.length)];
      if (node) setAt(root, node.path, placeholder(table, RAW_NUMBERS[m.to] as string));
      return;
    }
  }
}

function applyTextMutation(bytes: Buffer, m: TextMutation): Buffer {
  switch (m.kind) {
    case "truncate": {
      // Cut before the last closing bracket, so the prefix is never a complete document.
      const end = Math.max(0, bytes.lastIndexOf("}") === -1 ? bytes.length - 1 : bytes.lastIndexOf("}"));
      return bytes.subarray(0, end === 0 ? 0 : m.at % end);
    }
    case "invalidUtf8": {
      const position = bytes.length === 0 ? 0 : m.at % bytes.length;
      return Buffer.concat([
        bytes.subarray(0, position),
        Buffer.from(INVALID_UTF8[m.bytes] as number[]),
        bytes.subarray(position),
      ]);
    }
    case "duplicateJsonKey": {
      // Repeat a member right after itself with another value: JSON.parse keeps the last one.
      const text = bytes.toString("utf8");
      const members = [...text.matchAll(/"((?:[^"\\]|\\.)*)":\s*/g)];
      const member = members.length === 0 ? undefined : members[m.at % members.length];
      if (!member || member.index === undefined) return bytes;
      const value = JSON.stringify(RETYPES[m.to]);
      const insert = `${member[0].trimEnd()} ${value}, `;
      return Buffer.from(text.slice(0, member.index) + insert + text.slice(member.index), "utf8");
    }
    case "protoText": {
      const text = bytes.toString("utf8");
      const braces = [...text.matchAll(/\{/g)];
      const brace = braces.length === 0 ? undefined : braces[m.at % braces.length];
      if (!brace || brace.index === undefined) return bytes;
      const close = text
        .slice(brace.index + 1)
        .trimStart()
        .startsWith("}")
        ? ""
        : ",";
      const insert = `{"${HOSTILE_KEYS[m.key]}": {"polluted": true, "prototype": {"polluted": true}}${close}`;
      return Buffer.from(text.slice(0, brace.index) + insert + text.slice(brace.index + 1), "utf8");
    }
    case "garbage": {
      const text = bytes.toString("utf8");
      switch (GARBAGE[m.what]) {
        case "bom":
          return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
        case "trailing":
          return Buffer.from(`${text}\n{}`, "utf8");
        case "comment":
          return Buffer.from(`// exported by hand\n${text}`, "utf8");
        case "nan":
          return Buffer.from(text.replace(/"formatVersion": 1/, '"formatVersion": NaN'), "utf8");
        case "single-quotes":
          return Buffer.from(text.replace(/"format"/, "'format'"), "utf8");
        case "empty":
          return Buffer.alloc(0);
        case "whitespace":
          return Buffer.from(" \t\r\n ", "utf8");
        default:
          return Buffer.concat([bytes, Buffer.from([0])]);
      }
    }
  }
}

/** What a case renders to. */
export interface RenderedCase {
  /** The file's bytes. */
  bytes: Buffer;
  /** The bytes decoded as `readFile(path, "utf8")` decodes them (invalid sequences become U+FFFD). */
  text: string;
  /** The document before the byte mutation (undefined when the root was replaced by raw text). */
  document: unknown;
}

/** Applies a case to its base bundle (which is not changed). */
export function renderCase(bases: readonly unknown[], c: HostileCase): RenderedCase {
  const root = { value: deepClone(bases[c.base % bases.length]) };
  const table: RawTable = { next: 0, raw: new Map() };
  for (const m of c.mutations) applyValueMutation(root, m, table);
  let text = JSON.stringify(root.value, null, 2) ?? "null";
  for (const [id, raw] of table.raw) text = text.split(JSON.stringify(id)).join(raw);
  let bytes: Buffer = Buffer.from(text, "utf8");
  if (c.text) bytes = applyTextMutation(bytes, c.text);
  return { bytes, text: bytes.toString("utf8"), document: root.value };
}

/** Why a document must be refused, by an independent, deliberately simple model of the rules. */
export interface ExpectedRejection {
  /** The code it must be refused with, when the model knows it. */
  code?: string;
  reason: string;
}

const LIMIT_MODEL_DEPTH = 600;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this looks for.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The verdict of the model on a file's text: null when it may import (the product decides),
 * else the reason it must not. Iterative: documents here nest 20,000 levels deep.
 */
export function expectedRejection(text: string): ExpectedRejection | null {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return { code: "INVALID_JSON", reason: "not JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { code: "INVALID_BUNDLE", reason: "the root is not an object" };
  const root = value as Record<string, unknown>;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const node = stack.pop() as { value: unknown; depth: number };
    const v = node.value;
    if (typeof v === "number" && !Number.isFinite(v))
      return { code: "VALUE_OUT_OF_RANGE", reason: "a number overflows a double" };
    if (typeof v === "string" && UNSTORABLE.test(v))
      return { code: "VALUE_OUT_OF_RANGE", reason: "a string PostgreSQL cannot store" };
    if (v === null || typeof v !== "object") continue;
    if (node.depth > LIMIT_MODEL_DEPTH) return { code: "VALUE_OUT_OF_RANGE", reason: "nested too deep" };
    if (Array.isArray(v)) for (const item of v) stack.push({ value: item, depth: node.depth + 1 });
    else
      for (const key of Object.keys(v)) {
        if (UNSTORABLE.test(key)) return { code: "VALUE_OUT_OF_RANGE", reason: "a key PostgreSQL cannot store" };
        stack.push({ value: own(v, key), depth: node.depth + 1 });
      }
  }
  if (root.format !== "alga-psa.workflow-bundle") return { code: "UNSUPPORTED_FORMAT", reason: "format" };
  if (root.formatVersion !== 1) return { code: "UNSUPPORTED_FORMAT_VERSION", reason: "formatVersion" };
  if (Array.isArray(root.workflows)) {
    const keys = root.workflows.map((w) => (w !== null && typeof w === "object" ? own(w, "key") : undefined));
    const strings = keys.filter((k): k is string => typeof k === "string");
    if (new Set(strings).size !== strings.length) return { reason: "a duplicate workflow key" };
  }
  return null;
}
