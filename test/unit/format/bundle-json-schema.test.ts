import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { expect } from "chai";
import fc from "fast-check";
import { BUNDLE_JSON_SCHEMA_PATH, generateBundleJsonSchema } from "../../../src/format/bundle-json-schema.js";
import { WorkflowBundleSchema } from "../../../src/format/bundle-schema.js";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";
import { validateBundleHeader } from "../../../src/format/parse-bundle.js";
import { itEachBundleSet } from "../../support/bundle-sets.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { ALGA_BUNDLE_SCHEMA } from "./fixtures/alga-bundle-schema.js";

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv | Ajv2020,
) => void;

/** Alga's validator exactly as Alga builds it: Ajv 2020 + the draft-07 meta schema + ajv-formats. */
function compileAlgaValidator(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-07.json"));
  addFormats(ajv);
  return ajv.compile(ALGA_BUNDLE_SCHEMA as unknown as object);
}

/** Our committed/generated schema, compiled as any draft-07 consumer would. */
function compileGeneratedValidator(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(generateBundleJsonSchema());
}

describe("bundle JSON Schema", () => {
  describe("the committed file", () => {
    it(`${BUNDLE_JSON_SCHEMA_PATH} equals generateBundleJsonSchema() in canonical form (run \`node dist/cli.js schema --write\`)`, () => {
      const committed = readFileSync(join(process.cwd(), BUNDLE_JSON_SCHEMA_PATH), "utf8");
      expect(committed).to.equal(canonicalizeJson(generateBundleJsonSchema()));
    });

    it("is a valid draft-07 schema that names draft-07", () => {
      const schema = generateBundleJsonSchema();
      expect(schema.$schema).to.equal("http://json-schema.org/draft-07/schema#");
      const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
      addFormats(ajv);
      expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).to.equal(true);
    });

    it("is deterministic", () => {
      expect(canonicalizeJson(generateBundleJsonSchema())).to.equal(canonicalizeJson(generateBundleJsonSchema()));
    });
  });

  describe("equivalence with Alga's draft-07 schema", () => {
    const alga = compileAlgaValidator();
    const generated = compileGeneratedValidator();

    function verdicts(value: unknown): { alga: boolean; generated: boolean; zod: boolean } {
      return {
        alga: alga(value) === true,
        generated: generated(value) === true,
        zod: WorkflowBundleSchema.safeParse(value).success,
      };
    }

    function expectSameVerdict(value: unknown, label: string): boolean {
      const v = verdicts(value);
      const shown = JSON.stringify(value)?.replace(
        /[^\x20-\x7e]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
      );
      expect(v, `${label}: ${JSON.stringify(v)} on ${shown?.slice(0, 400)}`).to.deep.equal({
        alga: v.alga,
        generated: v.alga,
        zod: v.alga,
      });
      // Our header check runs first and must never reject what Alga's schema accepts.
      if (v.alga) expect(validateBundleHeader(value), label).to.equal(null);
      return v.alga;
    }

    it("the fixture is Alga's schema: it accepts a minimal bundle and rejects an extra key", () => {
      expect(alga(makeBundle())).to.equal(true);
      expect(alga({ ...makeBundle(), extra: 1 })).to.equal(false);
    });

    itEachBundleSet("gives the same verdict on every bundle of the set (all but the invalid JSON accepted)", (set) => {
      let accepted = 0;
      for (const file of set.files) {
        if (file === set.invalidJson.file) {
          expect(() => JSON.parse(set.readText(file))).to.throw(SyntaxError);
          continue;
        }
        if (expectSameVerdict(set.readBundle(file), file)) accepted++;
      }
      expect(accepted).to.equal(set.files.length - 1);
    });

    const negatives: [string, (b: Record<string, unknown>) => unknown][] = [
      ["an array", () => []],
      ["a string", () => "bundle"],
      ["null", () => null],
      ["a number", () => 1],
      ["no format", ({ format: _, ...rest }) => rest],
      ["format of another tool", (b) => ({ ...b, format: "n8n.workflow" })],
      ["formatVersion 2", (b) => ({ ...b, formatVersion: 2 })],
      ['formatVersion "1"', (b) => ({ ...b, formatVersion: "1" })],
      ["formatVersion 1.5", (b) => ({ ...b, formatVersion: 1.5 })],
      ["no formatVersion", ({ formatVersion: _, ...rest }) => rest],
      ["exportedAt not a date", (b) => ({ ...b, exportedAt: "yesterday" })],
      ["exportedAt without zone", (b) => ({ ...b, exportedAt: "2026-01-26T00:00:00" })],
      ["exportedAt 30 February", (b) => ({ ...b, exportedAt: "2026-02-30T00:00:00Z" })],
      ["exportedAt hour 24", (b) => ({ ...b, exportedAt: "2026-01-26T24:00:00Z" })],
      ["exportedAt a number", (b) => ({ ...b, exportedAt: 1769385600000 })],
      ["exportedAt with an hours-only offset (accepted)", (b) => ({ ...b, exportedAt: "2026-01-26T00:00:00+05" })],
      ["exportedAt with a tab separator (accepted)", (b) => ({ ...b, exportedAt: "2026-01-26\t00:00:00Z" })],
      ["exportedAt with a leap second at 23:59 UTC (accepted)", (b) => ({ ...b, exportedAt: "2016-12-31T23:59:60Z" })],
      ["exportedAt with a leap second at noon", (b) => ({ ...b, exportedAt: "2016-12-31T12:59:60Z" })],
      ["exportedAt date only", (b) => ({ ...b, exportedAt: "2026-01-26" })],
      ["no workflows", ({ workflows: _, ...rest }) => rest],
      ["empty workflows", (b) => ({ ...b, workflows: [] })],
      ["workflows an object", (b) => ({ ...b, workflows: {} })],
      ["a workflow that is null", (b) => ({ ...b, workflows: [null] })],
      ["an extra top-level key", (b) => ({ ...b, $schema: "x" })],
      ["upper-case key", (b) => withWorkflow(b, { key: "Fixture.hello" })],
      ["key starting with a dot", (b) => withWorkflow(b, { key: ".hello" })],
      ["key with a space", (b) => withWorkflow(b, { key: "hello world" })],
      ["key with a trailing newline", (b) => withWorkflow(b, { key: "hello\n" })],
      ["empty key", (b) => withWorkflow(b, { key: "" })],
      ["key of digits, dots, dashes, underscores (accepted)", (b) => withWorkflow(b, { key: "0._-a" })],
      ["key a number", (b) => withWorkflow(b, { key: 1 })],
      ["extra workflow key", (b) => withWorkflow(b, { id: "x" })],
      ["metadata null", (b) => withWorkflow(b, { metadata: null })],
      ["metadata extra key", (b) => withMetadata(b, { workflowId: "x" })],
      ["name empty", (b) => withMetadata(b, { name: "" })],
      ["name null", (b) => withMetadata(b, { name: null })],
      ["description a number", (b) => withMetadata(b, { description: 1 })],
      ["payloadSchemaRef empty", (b) => withMetadata(b, { payloadSchemaRef: "" })],
      ["payloadSchemaRef null", (b) => withMetadata(b, { payloadSchemaRef: null })],
      ["payloadSchemaMode anything (accepted)", (b) => withMetadata(b, { payloadSchemaMode: "whatever" })],
      ["payloadSchemaMode a boolean", (b) => withMetadata(b, { payloadSchemaMode: true })],
      ["trigger an array", (b) => withMetadata(b, { trigger: [] })],
      ["trigger a string", (b) => withMetadata(b, { trigger: "event" })],
      ["trigger any object (accepted)", (b) => withMetadata(b, { trigger: { anything: [1] } })],
      ["isSystem null", (b) => withMetadata(b, { isSystem: null })],
      ["isVisible a string", (b) => withMetadata(b, { isVisible: "true" })],
      ["isPaused 0", (b) => withMetadata(b, { isPaused: 0 })],
      ["autoPauseOnFailure missing", (b) => withoutMetadata(b, "autoPauseOnFailure")],
      ["concurrencyLimit 1.5", (b) => withMetadata(b, { concurrencyLimit: 1.5 })],
      ["concurrencyLimit -3 (accepted: no minimum)", (b) => withMetadata(b, { concurrencyLimit: -3 })],
      ["concurrencyLimit a string", (b) => withMetadata(b, { concurrencyLimit: "5" })],
      ["concurrencyLimit 1e300 (accepted: an integer)", (b) => withMetadata(b, { concurrencyLimit: 1e300 })],
      ["failureRateThreshold a string (accepted)", (b) => withMetadata(b, { failureRateThreshold: "0.50" })],
      ["failureRateThreshold a non-numeric string (accepted)", (b) => withMetadata(b, { failureRateThreshold: "x" })],
      ["failureRateThreshold a boolean", (b) => withMetadata(b, { failureRateThreshold: false })],
      ["failureRateThreshold an object", (b) => withMetadata(b, { failureRateThreshold: { v: 1 } })],
      ["failureRateMinRuns 2.5", (b) => withMetadata(b, { failureRateMinRuns: 2.5 })],
      ["retentionPolicyOverride an array", (b) => withMetadata(b, { retentionPolicyOverride: [] })],
      ["each metadata key missing", (b) => withoutMetadata(b, "pinnedPayloadSchemaRef")],
      ["dependencies missing", (b) => withWorkflow(b, { dependencies: undefined })],
      ["dependencies extra key", (b) => withDependencies(b, { controlBlocks: [] })],
      ["dependencies.actions missing", (b) => withDependencies(b, { actions: undefined })],
      ["duplicate action", (b) => withDependencies(b, { actions: [action("a", 1), action("a", 1)] })],
      [
        "duplicate action with keys in another order",
        (b) => withDependencies(b, { actions: [action("a", 1), { version: 1, actionId: "a" }] }),
      ],
      [
        "same action, two versions (accepted)",
        (b) => withDependencies(b, { actions: [action("a", 1), action("a", 2)] }),
      ],
      ["action version 0", (b) => withDependencies(b, { actions: [action("a", 0)] })],
      ["action version 1.5", (b) => withDependencies(b, { actions: [action("a", 1.5)] })],
      ['action version "1"', (b) => withDependencies(b, { actions: [action("a", "1")] })],
      ["action id empty", (b) => withDependencies(b, { actions: [action("", 1)] })],
      ["action extra key", (b) => withDependencies(b, { actions: [{ actionId: "a", version: 1, name: "x" }] })],
      ["action a string", (b) => withDependencies(b, { actions: ["a@1"] })],
      ["duplicate node type", (b) => withDependencies(b, { nodeTypes: ["state.set", "state.set"] })],
      ["empty node type", (b) => withDependencies(b, { nodeTypes: [""] })],
      ["duplicate schema ref", (b) => withDependencies(b, { schemaRefs: ["p", "p"] })],
      ["schema ref a number", (b) => withDependencies(b, { schemaRefs: [1] })],
      ["draft missing", (b) => withWorkflow(b, { draft: undefined })],
      ["draft extra key", (b) => withDraft(b, { status: "draft" })],
      ["draftVersion 1.5", (b) => withDraft(b, { draftVersion: 1.5 })],
      ["draftVersion -1 (accepted: no minimum)", (b) => withDraft(b, { draftVersion: -1 })],
      ["draftVersion null", (b) => withDraft(b, { draftVersion: null })],
      ["draft definition an array", (b) => withDraft(b, { definition: [] })],
      ["draft definition null", (b) => withDraft(b, { definition: null })],
      ["draft definition empty object (accepted)", (b) => withDraft(b, { definition: {} })],
      ["publishedVersions missing", (b) => withWorkflow(b, { publishedVersions: undefined })],
      ["publishedVersions an object", (b) => withWorkflow(b, { publishedVersions: {} })],
      ["published version without payloadSchemaJson", (b) => withVersion(b, { payloadSchemaJson: undefined })],
      ["published payloadSchemaJson an array", (b) => withVersion(b, { payloadSchemaJson: [] })],
      [
        "published payloadSchemaJson an object (accepted)",
        (b) => withVersion(b, { payloadSchemaJson: { type: "object" } }),
      ],
      ["published version 0 (accepted: no minimum)", (b) => withVersion(b, { version: 0 })],
      ["published version 2.5", (b) => withVersion(b, { version: 2.5 })],
      ["published version extra key", (b) => withVersion(b, { publishedAt: "x" })],
      ["published definition a string", (b) => withVersion(b, { definition: "{}" })],
      [
        "duplicate published versions (accepted: Alga does not check)",
        (b) => {
          const w = (b.workflows as Record<string, unknown>[])[0] as Record<string, unknown>;
          const v = (w.publishedVersions as unknown[])[0];
          return withWorkflow(b, { publishedVersions: [v, v] });
        },
      ],
      [
        "duplicate keys (accepted: Alga does not check)",
        (b) => ({ ...b, workflows: [...(b.workflows as unknown[]), ...(b.workflows as unknown[])] }),
      ],
      ["an own __proto__ key at the top", (b) => ({ ...JSON.parse('{"__proto__": 1}'), ...b })],
      ["a constructor key in metadata", (b) => withMetadata(b, JSON.parse('{"constructor": 1}'))],
    ];

    for (const [label, mutate] of negatives) {
      it(`same verdict: ${label}`, () => {
        const value = mutate(makeBundle({ workflows: [makeWorkflow({ published: 1 })] }));
        const accepted = expectSameVerdict(value, label);
        expect(accepted, label).to.equal(label.includes("(accepted"));
      });
    }

    it("same verdict on random mutations of a valid bundle (fast-check)", () => {
      const base = makeBundle({
        workflows: [
          makeWorkflow({ key: "fixture.a", published: 2, actions: [action("email.send", 1)] }),
          makeWorkflow({ key: "fixture.b", published: 0 }),
        ],
      });
      const paths = collectPaths(base);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom(...paths), mutationArbitrary), { minLength: 1, maxLength: 3 }),
          (mutations) => {
            let value: unknown = structuredClone(base);
            for (const [path, mutation] of mutations) value = applyMutation(value, path, mutation);
            expectSameVerdict(value, JSON.stringify(mutations).slice(0, 300));
          },
        ),
        { numRuns: 3000 },
      );
    });

    it("same verdict on generated date-time strings (fast-check)", () => {
      fc.assert(
        fc.property(dateTimeArbitrary, (exportedAt) => {
          expectSameVerdict(makeBundle({ exportedAt }), exportedAt);
        }),
        { numRuns: 5000 },
      );
    });

    it("same verdict on generated workflow keys (fast-check)", () => {
      const keyChars = fc.constantFrom(..."abcxyz0189._-AZ /\n\t@é+".split(""));
      fc.assert(
        fc.property(fc.string({ unit: keyChars, maxLength: 6 }), (key) => {
          expectSameVerdict(makeBundle({ workflows: [makeWorkflow({ key })] }), JSON.stringify(key));
        }),
        { numRuns: 2000 },
      );
    });
  });
});

function action(actionId: unknown, version: unknown): Record<string, unknown> {
  return { actionId, version };
}

function firstWorkflow(b: Record<string, unknown>): Record<string, unknown> {
  return (b.workflows as Record<string, unknown>[])[0] as Record<string, unknown>;
}

function patch(target: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete next[k];
    else Object.defineProperty(next, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return next;
}

function withWorkflow(b: Record<string, unknown>, changes: Record<string, unknown>): unknown {
  return { ...b, workflows: [patch(firstWorkflow(b), changes)] };
}

function withMetadata(b: Record<string, unknown>, changes: Record<string, unknown>): unknown {
  return withWorkflow(b, { metadata: patch(firstWorkflow(b).metadata as Record<string, unknown>, changes) });
}

function withoutMetadata(b: Record<string, unknown>, key: string): unknown {
  return withMetadata(b, { [key]: undefined });
}

function withDependencies(b: Record<string, unknown>, changes: Record<string, unknown>): unknown {
  return withWorkflow(b, { dependencies: patch(firstWorkflow(b).dependencies as Record<string, unknown>, changes) });
}

function withDraft(b: Record<string, unknown>, changes: Record<string, unknown>): unknown {
  return withWorkflow(b, { draft: patch(firstWorkflow(b).draft as Record<string, unknown>, changes) });
}

function withVersion(b: Record<string, unknown>, changes: Record<string, unknown>): unknown {
  const versions = firstWorkflow(b).publishedVersions as Record<string, unknown>[];
  return withWorkflow(b, { publishedVersions: [patch(versions[0] as Record<string, unknown>, changes)] });
}

type Path = (string | number)[];

/** Every path of the bundle above the definitions (whose content neither schema constrains). */
function collectPaths(value: unknown, path: Path = []): Path[] {
  const paths: Path[] = [path];
  if (path.at(-1) === "definition" || path.at(-1) === "payloadSchemaJson") return paths;
  if (Array.isArray(value))
    value.forEach((v, i) => {
      paths.push(...collectPaths(v, [...path, i]));
    });
  else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) paths.push(...collectPaths(v, [...path, k]));
  return paths;
}

type Mutation =
  | { kind: "set"; value: unknown }
  | { kind: "delete" }
  | { kind: "addKey"; key: string; value: unknown }
  | { kind: "duplicate" }
  | { kind: "empty" };

const trickyValues = fc.constantFrom<unknown>(
  null,
  "",
  "x",
  "A",
  "a",
  0,
  1,
  -1,
  1.5,
  2 ** 31,
  true,
  false,
  [],
  {},
  ["a"],
  [{ actionId: "a", version: 1 }],
  { actionId: "a", version: 1 },
  "2026-01-26T00:00:00Z",
  "alga-psa.workflow-bundle",
);

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), value: fc.oneof(trickyValues, fc.jsonValue({ maxDepth: 2 })) }),
  fc.constant({ kind: "delete" as const }),
  fc.record({
    kind: fc.constant("addKey" as const),
    key: fc.constantFrom("extra", "key", "name", "version", "id", "definition", "__proto__"),
    value: trickyValues,
  }),
  fc.constant({ kind: "duplicate" as const }),
  fc.constant({ kind: "empty" as const }),
);

function applyMutation(root: unknown, path: Path, mutation: Mutation): unknown {
  if (path.length === 0) {
    if (mutation.kind === "set") return mutation.value;
    if (mutation.kind === "delete") return undefined;
  }
  const parentPath = path.slice(0, -1);
  let parent: unknown = root;
  for (const segment of parentPath) {
    if (typeof parent !== "object" || parent === null) return root;
    parent = (parent as Record<string | number, unknown>)[segment];
  }
  const last = path.at(-1);
  const container = parent as Record<string | number, unknown> | undefined;
  const target = last === undefined ? root : container?.[last];
  switch (mutation.kind) {
    case "set":
      // Never past the end of an array: a hole is not a JSON value.
      if (Array.isArray(container) && typeof last === "number" && last >= container.length) break;
      if (typeof container === "object" && container !== null && last !== undefined)
        container[last] = structuredClone(mutation.value);
      break;
    case "delete":
      if (Array.isArray(container) && typeof last === "number") container.splice(last, 1);
      else if (typeof container === "object" && container !== null && last !== undefined) delete container[last];
      break;
    case "addKey":
      if (typeof target === "object" && target !== null && !Array.isArray(target))
        Object.defineProperty(target, mutation.key, {
          value: structuredClone(mutation.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      break;
    case "duplicate":
      if (Array.isArray(target) && target.length > 0) target.push(structuredClone(target[0]));
      break;
    case "empty":
      if (Array.isArray(target)) target.length = 0;
      else if (typeof target === "object" && target !== null)
        for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
      break;
  }
  return root;
}

const twoDigits = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));

/** Date-time-like strings built from plausible and implausible parts. */
const dateTimeArbitrary: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom("2026", "2024", "1900", "2000", "0000", "999"),
    fc.oneof(twoDigits(13), fc.constant("1")),
    fc.oneof(twoDigits(32), fc.constant("7")),
    fc.constantFrom("T", "t", " ", "\t", "\n", "x", "", "TT", "\u00a0"),
    twoDigits(25),
    twoDigits(61),
    fc.oneof(twoDigits(61), fc.constant("5")),
    fc.constantFrom("", ".0", ".123456789", ".", ",5"),
    fc.oneof(
      fc.constantFrom(
        "Z",
        "z",
        "",
        "+00:00",
        "-00:00",
        "+0530",
        "+05",
        "-5",
        "+24:00",
        "+00:60",
        "+23:59",
        "-23:59",
        "UTC",
        "+01:00Z",
      ),
      fc
        .tuple(fc.constantFrom("+", "-"), twoDigits(25), fc.constantFrom(":", ""), twoDigits(61))
        .map((p) => p.join("")),
    ),
  )
  .map(([y, mo, d, sep, h, mi, s, frac, zone]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac}${zone}`);
