// biome-ignore-all lint/suspicious/noThenProperty: "then" is the branch name of control.if in Alga's format.
import { expect } from "chai";
import fc from "fast-check";
import { type BundleWorkflow, WorkflowDependenciesSchema } from "../../../src/format/bundle-schema.js";
import {
  collectDependencies,
  collectRequiredDependencies,
  formatActionRef,
  normalizeActions,
} from "../../../src/format/dependencies.js";
import { validateBundle } from "../../../src/format/parse-bundle.js";
import { itEachBundleSet } from "../../support/bundle-sets.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";

type Json = Record<string, unknown>;
const call = (id: string, actionId: unknown, version: unknown) => ({
  id,
  type: "action.call",
  config: { actionId, version },
});

function source(draft: unknown, versions: unknown[] = [], pinned: string | null = null) {
  return {
    metadata: { pinnedPayloadSchemaRef: pinned },
    draft: { definition: draft },
    publishedVersions: versions.map((definition) => ({ definition })),
  };
}

function parsedWorkflow(workflow: Json): BundleWorkflow {
  const result = validateBundle(makeBundle({ workflows: [workflow] }));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.workflows[0] as BundleWorkflow;
}

describe("collectDependencies (Alga's dependency summary)", () => {
  it("walks nested steps, excludes control.* from node types, and sorts every list", () => {
    const definition = makeDefinition({
      payloadSchemaRef: "payload.Z.v1",
      trigger: { type: "event", eventName: "E", sourcePayloadSchemaRef: "payload.A.v1" },
      steps: [
        call("a", "zeta.act", 2),
        {
          id: "if",
          type: "control.if",
          condition: { $expr: "true" },
          then: [call("b", "alpha.act", 1)],
          else: [{ id: "c", type: "transform.assign", config: { assign: {} } }],
        },
        {
          id: "fe",
          type: "control.forEach",
          items: { $expr: "x" },
          itemVar: "i",
          body: [
            {
              id: "tc",
              type: "control.tryCatch",
              try: [call("d", "alpha.act", 1)],
              catch: [{ id: "e", type: "human.task" }, call("f", "mid.act", 1)],
            },
          ],
        },
        { id: "cw", type: "control.callWorkflow", workflowId: "x", workflowVersion: 1 },
        { id: "r", type: "control.return" },
      ],
    });
    expect(collectDependencies(source(definition))).to.deep.equal({
      actions: [
        { actionId: "alpha.act", version: 1 },
        { actionId: "mid.act", version: 1 },
        { actionId: "zeta.act", version: 2 },
      ],
      nodeTypes: ["action.call", "human.task", "transform.assign"],
      schemaRefs: ["payload.A.v1", "payload.Z.v1"],
    });
  });

  it("sorts one action's versions numerically (2 before 10)", () => {
    const d = makeDefinition({ steps: [call("a", "x", 10), call("b", "x", 2), call("c", "w", 99)] });
    expect(collectDependencies(source(d)).actions).to.deep.equal([
      { actionId: "w", version: 99 },
      { actionId: "x", version: 2 },
      { actionId: "x", version: 10 },
    ]);
  });

  it("adds the pinned payload schema ref", () => {
    expect(
      collectDependencies(source(makeDefinition({ steps: [] }), [], "payload.Pinned.v1")).schemaRefs,
    ).to.deep.equal(["payload.Pinned.v1", "payload.TicketCreated.v1"]);
  });

  it("takes a trigger's source schema ref only from an event trigger", () => {
    const d = makeDefinition({
      steps: [],
      trigger: { type: "schedule", runAt: "x", sourcePayloadSchemaRef: "payload.Ignored.v1" },
    });
    expect(collectDependencies(source(d)).schemaRefs).to.deep.equal(["payload.TicketCreated.v1"]);
  });

  it("is the union of the draft and every published version", () => {
    const draft = makeDefinition({ payloadSchemaRef: "payload.Draft.v1", steps: [call("a", "draft.act", 1)] });
    const v1 = makeDefinition({ payloadSchemaRef: "payload.V1.v1", steps: [{ id: "s", type: "state.set" }] });
    const v2 = makeDefinition({ steps: [call("a", "draft.act", 1), call("b", "v2.act", 3)] });
    expect(collectDependencies(source(draft, [v1, v2]))).to.deep.equal({
      actions: [
        { actionId: "draft.act", version: 1 },
        { actionId: "v2.act", version: 3 },
      ],
      nodeTypes: ["action.call", "state.set"],
      schemaRefs: ["payload.Draft.v1", "payload.TicketCreated.v1", "payload.V1.v1"],
    });
  });

  it("is total on malformed definitions (a draft may be work in progress)", () => {
    for (const draft of [null, 1, "x", [], {}, { steps: "x" }, { steps: [null, 1, "s", { type: 5 }] }])
      expect(collectDependencies(source(draft))).to.deep.equal({ actions: [], nodeTypes: [], schemaRefs: [] });
  });

  it("trims schema refs and action ids (not types) and leaves out what a bundle cannot carry (empty names, versions that are not integers >= 1)", () => {
    const draft = {
      payloadSchemaRef: "  payload.Trim.v1 ",
      trigger: { type: "event", eventName: "E", sourcePayloadSchemaRef: "   " },
      steps: [
        { id: "a", type: "" },
        { id: "b", type: "   " },
        call("c", "", 1),
        call("d", "  ", 1),
        call("e", "ok.act", 0),
        call("f", "ok.act", -1),
        call("g", "ok.act", 1.5),
        call("h", "ok.act", "2"),
        call("i", " spaced.act ", 1),
        call("j", "ok.act", Number.NaN),
        { id: "k", type: "action.call", config: ["not", "an", "object"] },
      ],
    };
    expect(collectDependencies(source(draft, [], ""))).to.deep.equal({
      actions: [
        { actionId: "ok.act", version: 2 },
        { actionId: "spaced.act", version: 1 },
      ],
      nodeTypes: ["   ", "action.call"],
      schemaRefs: ["payload.Trim.v1"],
    });
  });

  it("always produces lists the bundle schema accepts, whatever the definitions hold (fast-check)", () => {
    const stepArbitrary = fc.record({
      id: fc.string(),
      type: fc.oneof(fc.constantFrom("action.call", "control.if", "state.set", "control.return", ""), fc.string()),
      config: fc.oneof(
        fc.record({
          actionId: fc.oneof(fc.string(), fc.constant("email.send"), fc.integer()),
          version: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant("1")),
        }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    });
    const definitionArbitrary = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({
        payloadSchemaRef: fc.oneof(fc.string(), fc.constant(" payload.A.v1 ")),
        trigger: fc.record({ type: fc.constantFrom("event", "schedule"), sourcePayloadSchemaRef: fc.string() }),
        steps: fc.array(stepArbitrary, { maxLength: 5 }),
      }),
    );
    fc.assert(
      fc.property(
        definitionArbitrary,
        fc.array(definitionArbitrary, { maxLength: 2 }),
        fc.option(fc.string()),
        (d, vs, pinned) => {
          const deps = collectDependencies(source(d, vs, pinned));
          const parsed = WorkflowDependenciesSchema.safeParse(deps);
          expect(parsed.success, JSON.stringify(deps)).to.equal(true);
          expect(deps.nodeTypes.every((t) => !t.startsWith("control."))).to.equal(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  itEachBundleSet(
    "recomputes, for every workflow of the set, lists the declared ones cover (declared lists may hold more)",
    (set) => {
      let equal = 0;
      let total = 0;
      for (const file of set.validFiles) {
        for (const w of set.readBundle(file).workflows as Json[]) {
          const declared = w.dependencies as { actions: never[]; nodeTypes: string[]; schemaRefs: string[] };
          const computed = collectDependencies(w as never);
          expect(normalizeActions(declared.actions), file).to.include.deep.members(computed.actions);
          expect(declared.nodeTypes, file).to.include.members(computed.nodeTypes);
          expect(declared.schemaRefs, file).to.include.members(computed.schemaRefs);
          total++;
          if (
            computed.schemaRefs.length === new Set(declared.schemaRefs).size &&
            computed.actions.length === declared.actions.length
          )
            equal++;
        }
      }
      expect(equal / total).to.be.greaterThan(0.9);
    },
  );
});

describe("collectRequiredDependencies", () => {
  it("is the union of the declared list (without control.*) and the recomputed one", () => {
    const w = parsedWorkflow(
      makeWorkflow({
        actions: [{ actionId: "declared.only", version: 1 }],
        nodeTypes: ["control.if", "declared.node", "state.set"],
        schemaRefs: ["payload.Declared.v1"],
      }),
    );
    expect(collectRequiredDependencies(w)).to.deep.equal({
      actions: [
        { actionId: "declared.only", version: 1 },
        { actionId: "email.send", version: 1 },
      ],
      nodeTypes: ["action.call", "declared.node", "state.set"],
      schemaRefs: ["payload.Declared.v1", "payload.TicketCreated.v1"],
    });
  });

  it("catches an under-declared bundle: an action used in a step but missing from the declared list", () => {
    const w = parsedWorkflow(makeWorkflow({ actions: [], nodeTypes: [], schemaRefs: [] }));
    const required = collectRequiredDependencies(w);
    expect(required.actions.map(formatActionRef)).to.deep.equal(["email.send@1"]);
    expect(required.nodeTypes).to.deep.equal(["action.call", "state.set"]);
  });
});

describe("normalizeActions and formatActionRef", () => {
  it("dedupes by id@version and sorts", () => {
    expect(
      normalizeActions([
        { actionId: "b", version: 1 },
        { actionId: "a", version: 2 },
        { actionId: "b", version: 1 },
        { actionId: "a", version: 1 },
      ]),
    ).to.deep.equal([
      { actionId: "a", version: 1 },
      { actionId: "a", version: 2 },
      { actionId: "b", version: 1 },
    ]);
    expect(formatActionRef({ actionId: "email.send", version: 3 })).to.equal("email.send@3");
  });
});
