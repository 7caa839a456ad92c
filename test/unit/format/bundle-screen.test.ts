// biome-ignore-all lint/suspicious/noThenProperty: "then" is the branch name of control.if in Alga's format.
/**
 * The fast validation path against the zod schemas it stands in for: the same verdict on every
 * JSON value (fast-check: generated definitions and bundles, then mutated at random places with
 * values and keys chosen to sit on the schemas' boundaries), and on the corpus; "no" on anything
 * that is not plain JSON.
 */
import { expect } from "chai";
import fc from "fast-check";
import { isScreenedDefinition, SCREENED_CONFIGS, screenBundle } from "../../../src/format/bundle-screen.js";
import { NODE_CONFIG_SCHEMAS, WorkflowDefinitionSchema } from "../../../src/format/definition-schema.js";
import { collectJsonLimitProblems } from "../../../src/format/json-limits.js";
import { validateBundleBySchema } from "../../../src/format/parse-bundle.js";
import { itEachBundleSet } from "../../support/bundle-sets.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";

type Json = Record<string, unknown>;

/** What the schemas say of a definition, with the value limits the screen folds in. */
function schemaAcceptsDefinition(value: unknown): boolean {
  return WorkflowDefinitionSchema.safeParse(value).success && collectJsonLimitProblems(value).length === 0;
}

/** Every definition of a (possibly invalid) bundle value. */
function definitionsOf(bundle: unknown): unknown[] {
  const workflows = (bundle as { workflows?: unknown }).workflows;
  if (!Array.isArray(workflows)) return [];
  return workflows.flatMap(
    (w: { draft?: { definition?: unknown }; publishedVersions?: { definition?: unknown }[] }) => [
      w?.draft?.definition,
      ...(Array.isArray(w?.publishedVersions) ? w.publishedVersions.map((v) => v?.definition) : []),
    ],
  );
}

/** The screen and the schema agree on a bundle value (and, when valid, on its value and definitions). */
function expectSameBundleVerdict(value: unknown): boolean {
  const screened = screenBundle(value);
  const schema = validateBundleBySchema(value);
  expect(screened !== undefined, JSON.stringify(schema.ok ? [] : schema.issues).slice(0, 500)).to.equal(schema.ok);
  if (screened === undefined || !schema.ok) return false;
  expect(screened.bundle).to.deep.equal(schema.value);
  for (const definition of definitionsOf(value))
    expect(screened.validDefinitions.has(definition)).to.equal(WorkflowDefinitionSchema.safeParse(definition).success);
  return true;
}

const expr = fc.record({ $expr: fc.constantFrom("", "payload.a", "vars.x = 1") });
const name = fc.constantFrom("a", "vars.x", "payload.to", "__proto__", "é");
const exprMap = fc.dictionary(name, expr, { maxKeys: 3, noNullPrototype: true });
const literal = fc.constantFrom<unknown>("x", 1, true, null, [], { a: 1 }, { $secret: "KEY" }, { $expr: "x" });
const mappingValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    literal,
    expr,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(name, tie("value"), { maxKeys: 3, noNullPrototype: true }),
  ),
})).value;
const inputMapping = fc.dictionary(name, mappingValue, { maxKeys: 3, noNullPrototype: true });
const retry = fc.record(
  {
    maxAttempts: fc.constantFrom(1, 3),
    backoffMs: fc.constantFrom(0, 100),
    backoffMultiplier: fc.constantFrom(1.5, 2),
    jitter: fc.boolean(),
    maxDelayMs: fc.constantFrom(1, 1000),
    retryOn: fc.array(fc.constantFrom("ActionError", "TimeoutError"), { maxLength: 2 }),
  },
  { requiredKeys: ["maxAttempts", "backoffMs"] },
);
const onError = fc.record({ policy: fc.constantFrom("fail", "continue") });
const filter = fc.oneof(
  fc.record({ path: fc.constant("payload.a"), op: fc.constantFrom("=", "!=", ">", "contains"), value: literal }),
  fc.record({ path: fc.constant("payload.a"), op: fc.constantFrom("in", "not_in"), value: fc.constant(["a", 1]) }),
  fc.record({ path: fc.constant("payload.a"), op: fc.constantFrom("exists", "not_exists") }),
);

/** A config for each registered node type (valid as generated; the mutations break them). */
const CONFIGS: Record<string, fc.Arbitrary<unknown>> = {
  "state.set": fc.record({ state: fc.constantFrom("A", "") }),
  "transform.assign": fc.record({ assign: exprMap }),
  "action.call": fc.record(
    {
      actionId: fc.constantFrom("email.send", "crm.update"),
      version: fc.constantFrom(1, 2),
      inputMapping,
      outputs: fc.array(literal, { maxLength: 2 }),
      saveAs: fc.constantFrom("", "out"),
      designerGroupKey: fc.constant("g"),
      designerTileKind: fc.constantFrom("core-object", "transform", "app", "ai"),
      designerAppKey: fc.constant("app"),
      aiOutputSchemaMode: fc.constantFrom("simple", "advanced"),
      aiOutputSchema: fc.dictionary(name, literal, { maxKeys: 2, noNullPrototype: true }),
      aiOutputSchemaText: fc.constant("{}"),
      onError: fc.record(
        { policy: fc.constantFrom("fail", "continue"), extra: fc.constant(1) },
        { requiredKeys: ["policy"] },
      ),
      idempotencyKey: expr,
    },
    { requiredKeys: ["actionId", "version"] },
  ),
  "event.wait": fc.record(
    {
      eventName: fc.constant("EMAIL_RECEIVED"),
      correlationKey: expr,
      filters: fc.array(filter, { maxLength: 2 }),
      timeoutMs: fc.constantFrom(1, 60000),
      assign: exprMap,
    },
    { requiredKeys: ["eventName", "correlationKey"] },
  ),
  "time.wait": fc.oneof(
    fc.record(
      { mode: fc.constant("duration"), durationMs: fc.constant(10), assign: exprMap },
      { requiredKeys: ["mode", "durationMs"] },
    ),
    fc.record({ mode: fc.constant("until"), until: expr }),
  ),
  "email.parseBody": fc.record({ text: expr, html: expr, saveAs: fc.constant("parsed") }, { requiredKeys: [] }),
  "email.renderCommentBlocks": fc.record({ html: expr, text: expr, saveAs: fc.constant("r") }, { requiredKeys: [] }),
  "human.task": fc.record(
    { taskType: fc.constant("approval"), title: expr, description: expr, contextData: exprMap, assign: exprMap },
    { requiredKeys: ["taskType", "title"] },
  ),
};

const stepId = fc.constantFrom("s1", "s2", "step-3");
const steps = fc.letrec<{ step: unknown; list: unknown[] }>((tie) => ({
  list: fc.array(tie("step"), { maxLength: 3 }),
  step: fc.oneof(
    { depthSize: "small" },
    ...Object.entries(CONFIGS).map(([type, config]) =>
      fc.record(
        { id: stepId, type: fc.constant(type), name: fc.constant("Step"), config, retry, onError },
        { requiredKeys: ["id", "type"] },
      ),
    ),
    fc.record({ id: stepId, type: fc.constant("custom.node"), config: literal }, { requiredKeys: ["id", "type"] }),
    fc.record(
      { id: stepId, type: fc.constant("control.if"), condition: expr, then: tie("list"), else: tie("list") },
      { requiredKeys: ["id", "type", "condition", "then"] },
    ),
    fc.record(
      {
        id: stepId,
        type: fc.constant("control.forEach"),
        items: expr,
        itemVar: fc.constant("item"),
        body: tie("list"),
        concurrency: fc.constant(1),
        onItemError: fc.constantFrom("continue", "fail"),
      },
      { requiredKeys: ["id", "type", "items", "itemVar", "body"] },
    ),
    fc.record(
      {
        id: stepId,
        type: fc.constant("control.tryCatch"),
        try: tie("list"),
        catch: tie("list"),
        captureErrorAs: fc.constant("e"),
      },
      { requiredKeys: ["id", "type", "try", "catch"] },
    ),
    fc.record(
      {
        id: stepId,
        type: fc.constant("control.callWorkflow"),
        workflowId: fc.constant("00000000-0000-0000-0000-000000000001"),
        workflowVersion: fc.constantFrom(1, 2),
        inputMapping: exprMap,
        outputMapping: exprMap,
        retry,
        onError,
      },
      { requiredKeys: ["id", "type", "workflowId", "workflowVersion"] },
    ),
    fc.record({ id: stepId, type: fc.constant("control.return") }),
  ),
})).list;

const trigger = fc.oneof(
  fc.record(
    {
      type: fc.constant("event"),
      eventName: fc.constant("TICKET_CREATED"),
      sourcePayloadSchemaRef: fc.constant("p.v1"),
      payloadMapping: inputMapping,
    },
    { requiredKeys: ["type", "eventName"] },
  ),
  fc.record({ type: fc.constant("schedule"), runAt: fc.constant("2026-01-01T00:00:00Z") }),
  fc.record({ type: fc.constant("recurring"), cron: fc.constant("0 * * * *"), timezone: fc.constant("UTC") }),
  fc.record(
    {
      type: fc.constant("date"),
      source: fc.constantFrom("client.anniversary", "contract.end"),
      offsetDays: fc.constantFrom(-365, 0, 365),
      localTime: fc.constantFrom("09:00", "23:59"),
      timezone: fc.constant("UTC"),
    },
    { requiredKeys: ["type", "source", "offsetDays"] },
  ),
);

const definition = fc.record(
  {
    id: fc.constant("00000000-0000-0000-0000-0000000000aa"),
    version: fc.constantFrom(1, 3),
    name: fc.constant("Generated"),
    description: fc.constant("d"),
    payloadSchemaRef: fc.constant("payload.TicketCreated.v1"),
    trigger,
    steps,
  },
  { requiredKeys: ["id", "version", "name", "payloadSchemaRef", "steps"] },
);

/** Keys the mutations add or remove: every key some schema knows, and unknown ones. */
const KEYS = [
  ...new Set([
    "id",
    "type",
    "name",
    "config",
    "retry",
    "onError",
    "condition",
    "then",
    "else",
    "items",
    "itemVar",
    "body",
    "concurrency",
    "onItemError",
    "try",
    "catch",
    "captureErrorAs",
    "workflowId",
    "workflowVersion",
    "inputMapping",
    "outputMapping",
    "actionId",
    "version",
    "outputs",
    "saveAs",
    "designerGroupKey",
    "designerTileKind",
    "designerAppKey",
    "aiOutputSchemaMode",
    "aiOutputSchema",
    "aiOutputSchemaText",
    "idempotencyKey",
    "eventName",
    "correlationKey",
    "filters",
    "timeoutMs",
    "assign",
    "mode",
    "durationMs",
    "until",
    "state",
    "text",
    "html",
    "taskType",
    "title",
    "description",
    "contextData",
    "path",
    "op",
    "value",
    "policy",
    "maxAttempts",
    "backoffMs",
    "backoffMultiplier",
    "jitter",
    "maxDelayMs",
    "retryOn",
    "$expr",
    "$secret",
    "payloadSchemaRef",
    "trigger",
    "steps",
    "sourcePayloadSchemaRef",
    "payloadMapping",
    "runAt",
    "cron",
    "timezone",
    "source",
    "offsetDays",
    "localTime",
    "format",
    "formatVersion",
    "exportedAt",
    "workflows",
    "key",
    "metadata",
    "dependencies",
    "draft",
    "publishedVersions",
    "isSystem",
    "isVisible",
    "isPaused",
    "concurrencyLimit",
    "autoPauseOnFailure",
    "failureRateThreshold",
    "failureRateMinRuns",
    "retentionPolicyOverride",
    "payloadSchemaMode",
    "pinnedPayloadSchemaRef",
    "actions",
    "nodeTypes",
    "schemaRefs",
    "draftVersion",
    "definition",
    "payloadSchemaJson",
    "unknown",
    "__proto__",
    "\u0000",
  ]),
];

/** Values the mutations write: each sits on some schema's boundary. */
const VALUES: unknown[] = [
  "",
  "a",
  "x.y",
  "control.if",
  "control.nope",
  "action.call",
  "time.wait",
  "event",
  "date",
  "schedule",
  "recurring",
  "\u0000",
  "a\ud800",
  "\udc00",
  "é",
  "duration",
  "until",
  "fail",
  "continue",
  "in",
  "exists",
  "=",
  "contains",
  "12:30",
  "24:00",
  "client.anniversary",
  "app",
  "simple",
  "alga-psa.workflow-bundle",
  "2026-01-26T00:00:00.000Z",
  "2026-02-30T00:00:00Z",
  "A-Key",
  "ok.key",
  0,
  -0,
  1,
  -1,
  1.5,
  2,
  365,
  366,
  -366,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  1e300,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  null,
  [],
  {},
  [1, 1],
  ["a", "a"],
  ["a"],
  [null],
  { $expr: "a" },
  { $expr: 1 },
  { $expr: "a", extra: [1] },
  { $secret: "S" },
  { $secret: "" },
  { $secret: "S", x: 1 },
  [{ $expr: "a" }],
  { policy: "fail" },
  { policy: "fail", x: 1 },
  { policy: "x" },
  { maxAttempts: 1, backoffMs: 0 },
  { type: "event", eventName: "E" },
  { actionId: "a", version: 1 },
  [
    { actionId: "a", version: 1 },
    { actionId: "a", version: 1 },
  ],
  { id: "x", type: "control.return" },
  [{ id: "x", type: "control.return" }],
  { id: "x", type: "state.set" },
  [{ id: "x", type: "custom", config: 0 }],
];

/** Every object and array of a JSON value (the places a mutation may touch). */
function containersOf(value: unknown, found: unknown[] = []): unknown[] {
  if (typeof value !== "object" || value === null) return found;
  found.push(value);
  for (const child of Array.isArray(value) ? value : Object.values(value)) containersOf(child, found);
  return found;
}

/** Applies mutations to a copy: each picks a container, an operation, a key and a value by index. */
function mutate(value: unknown, mutations: readonly (readonly [number, number, number, number])[]): unknown {
  const copy = structuredClone(value);
  for (const [where, operation, keyIndex, valueIndex] of mutations) {
    const containers = containersOf(copy);
    const target = containers[where % containers.length] as unknown[] | Json;
    const replacement = structuredClone(VALUES[valueIndex % VALUES.length]);
    const members = Object.keys(target);
    const member = members.length > 0 ? (members[keyIndex % members.length] as string) : undefined;
    if (Array.isArray(target)) {
      if (operation % 3 === 0 && target.length > 0) target.splice(keyIndex % target.length, 1);
      else if (operation % 3 === 1) target.push(replacement);
      else if (target.length > 0) target[keyIndex % target.length] = replacement;
      continue;
    }
    const key = KEYS[keyIndex % KEYS.length] as string;
    if (operation % 3 === 0 && member !== undefined) delete target[member];
    else if (operation % 3 === 1)
      Object.defineProperty(target, key, { value: replacement, enumerable: true, writable: true, configurable: true });
    else if (member !== undefined) target[member] = replacement;
  }
  return copy;
}

const mutations = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 3 });

describe("bundle-screen: the fast validation path", () => {
  it("has a config check for exactly the node types the definition schema checks", () => {
    expect(Object.keys(SCREENED_CONFIGS).sort()).to.deep.equal(Object.keys(NODE_CONFIG_SCHEMAS).sort());
  });

  it("gives the schema's verdict on generated definitions, valid and mutated (fast-check)", () => {
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(definition, mutations, (generated, changes) => {
        const value = mutate(generated, changes);
        const expected = schemaAcceptsDefinition(value);
        expect(isScreenedDefinition(value), JSON.stringify(value)).to.equal(expected);
        verdicts[expected ? "valid" : "invalid"]++;
      }),
      { numRuns: 1500 },
    );
    // Both verdicts are common: the property is not decided by one side alone.
    expect(verdicts.valid).to.be.greaterThan(200);
    expect(verdicts.invalid).to.be.greaterThan(200);
  });

  it("accepts the generated definitions that the schema accepts (most of them)", () => {
    // structuredClone: fast-check may build objects without a prototype, which the screen refuses.
    const samples = fc.sample(definition, 300).map((d) => structuredClone(d));
    const accepted = samples.filter((d) => isScreenedDefinition(d));
    for (const d of samples) expect(isScreenedDefinition(d), JSON.stringify(d)).to.equal(schemaAcceptsDefinition(d));
    expect(accepted.length).to.be.greaterThan(100);
  });

  it("gives validateBundle's verdict on generated bundles, valid and mutated (fast-check)", () => {
    const workflow = fc
      .tuple(definition, fc.constantFrom(0, 1, 2), fc.constantFrom("a.one", "b.two"))
      .map(([d, published, key]) => makeWorkflow({ key, definition: d as Json, published }));
    const bundle = fc.array(workflow, { minLength: 1, maxLength: 3 }).map((workflows) => makeBundle({ workflows }));
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(bundle, mutations, (generated, changes) => {
        verdicts[expectSameBundleVerdict(mutate(generated, changes)) ? "valid" : "invalid"]++;
      }),
      { numRuns: 800 },
    );
    expect(verdicts.valid).to.be.greaterThan(100);
    expect(verdicts.invalid).to.be.greaterThan(100);
  });

  itEachBundleSet(
    "gives validateBundle's verdict on every bundle of the set, as is and mutated (fast-check)",
    (set) => {
      const bundles = set.files.filter((f) => f !== set.invalidJson.file).map((f) => set.readBundle(f));
      for (const b of bundles) {
        expectSameBundleVerdict(b);
        for (const d of definitionsOf(b)) expect(isScreenedDefinition(d)).to.equal(schemaAcceptsDefinition(d));
      }
      // The fast path vouches for every valid file: the equivalence above is not met by refusing all.
      for (const f of set.validFiles) expect(screenBundle(set.readBundle(f)), f).to.not.equal(undefined);
      fc.assert(
        fc.property(fc.constantFrom(...bundles.slice(0, 40)), mutations, (b, changes) => {
          expectSameBundleVerdict(mutate(b, changes));
        }),
        { numRuns: 400 },
      );
    },
  );

  it("applies the value limits: nesting, unstorable strings and keys, numbers out of range", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 520; i++) deep = [deep];
    const nested = makeDefinition({ steps: [{ id: "x", type: "custom.node", config: { deep } }] });
    expect(WorkflowDefinitionSchema.safeParse(nested).success).to.equal(true);
    expect(isScreenedDefinition(nested)).to.equal(false);
    for (const bad of [{ deep }, { s: "a\u0000" }, { "k\ud800": 1 }, { n: Number.POSITIVE_INFINITY }]) {
      const definition = makeDefinition({ steps: [{ id: "x", type: "custom.node", config: bad }] });
      const bundle = makeBundle({ workflows: [makeWorkflow({ definition })] });
      expect(screenBundle(bundle)).to.equal(undefined);
      expect(validateBundleBySchema(bundle).ok).to.equal(false);
    }
  });

  it("treats own __proto__ keys as data, as the schemas do", () => {
    const mapping = JSON.parse('{"__proto__": {"$expr": 1}, "to": {"$expr": "x"}}');
    const action = (inputMapping: unknown) =>
      makeDefinition({
        steps: [{ id: "a", type: "action.call", config: { actionId: "a", version: 1, inputMapping } }],
      });
    expect(isScreenedDefinition(action(mapping))).to.equal(schemaAcceptsDefinition(action(mapping)));
    const strict = JSON.parse('{"id": "x", "type": "control.return", "__proto__": 1}');
    expect(isScreenedDefinition(makeDefinition({ steps: [strict] }))).to.equal(false);
    expect(schemaAcceptsDefinition(makeDefinition({ steps: [strict] }))).to.equal(false);
  });

  it("says no to what is not plain JSON, whatever the schema says", () => {
    const withUndefined = makeDefinition({ steps: [{ id: "x", type: "custom.node", config: { a: undefined } }] });
    const withFunction = makeDefinition({ steps: [{ id: "x", type: "custom.node", config: { a: () => 1 } }] });
    const nullPrototype = Object.assign(Object.create(null), makeDefinition());
    class Definition {
      constructor(source: Json) {
        Object.assign(this, source);
      }
    }
    for (const value of [withUndefined, withFunction, nullPrototype, new Definition(makeDefinition())])
      expect(isScreenedDefinition(value)).to.equal(false);
    const bundle = makeBundle({ workflows: [makeWorkflow()] });
    expect(screenBundle(bundle)).to.not.equal(undefined);
    expect(screenBundle(Object.assign(Object.create(null), bundle))).to.equal(undefined);
    expect(screenBundle(undefined)).to.equal(undefined);
    expect(screenBundle([])).to.equal(undefined);
  });
});
