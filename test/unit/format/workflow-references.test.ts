// biome-ignore-all lint/suspicious/noThenProperty: "then" is the branch name of control.if in Alga's format.
import { expect } from "chai";
import { someStep } from "../../../src/format/step-walk.js";
import {
  collectCallReferences,
  hasCallReferences,
  rewriteWorkflowReferences,
} from "../../../src/format/workflow-references.js";
import { makeDefinition } from "../../support/bundles.js";

const callStep = (id: string, workflowId: unknown, workflowVersion: unknown = 1) => ({
  id,
  type: "control.callWorkflow",
  workflowId,
  workflowVersion,
});

function nestedDefinition(): Record<string, unknown> {
  return makeDefinition({
    id: "old-id",
    steps: [
      callStep("a", "target-a"),
      {
        id: "if",
        type: "control.if",
        condition: { $expr: "true" },
        then: [{ id: "s", type: "state.set", config: { state: "A" } }, callStep("b", "target-b", 2)],
        else: [
          {
            id: "fe",
            type: "control.forEach",
            items: { $expr: "x" },
            itemVar: "i",
            body: [
              {
                id: "tc",
                type: "control.tryCatch",
                try: [callStep("c", "target-a")],
                catch: [callStep("d", 7), callStep("e", "target-e", "1")],
              },
            ],
          },
        ],
      },
    ],
  });
}

describe("collectCallReferences", () => {
  it("finds every control.callWorkflow target with its Alga step path", () => {
    expect(collectCallReferences(nestedDefinition())).to.deep.equal([
      { stepPath: "root.steps[0]", workflowId: "target-a", workflowVersion: 1 },
      { stepPath: "root.steps[1].then.steps[1]", workflowId: "target-b", workflowVersion: 2 },
      {
        stepPath: "root.steps[1].else.steps[0].body.steps[0].try.steps[0]",
        workflowId: "target-a",
        workflowVersion: 1,
      },
      {
        stepPath: "root.steps[1].else.steps[0].body.steps[0].catch.steps[1]",
        workflowId: "target-e",
        workflowVersion: null,
      },
    ]);
  });

  it("is total on malformed definitions", () => {
    for (const d of [
      null,
      "x",
      [],
      {},
      { steps: {} },
      { steps: [null, { type: "control.if", then: 3 }] },
      { steps: [{ type: "toString" }, { type: "__proto__" }, { type: "constructor" }] },
    ])
      expect(collectCallReferences(d)).to.deep.equal([]);
  });
});

describe("hasCallReferences and someStep", () => {
  it("agree with collectCallReferences, at any depth, and on malformed definitions", () => {
    const deepOnly = makeDefinition({
      steps: [
        { id: "s", type: "state.set", config: { state: "A" } },
        { id: "if", type: "control.if", condition: { $expr: "x" }, then: [], else: [callStep("c", "t")] },
      ],
    });
    for (const d of [
      nestedDefinition(),
      deepOnly,
      makeDefinition(),
      null,
      { steps: "x" },
      { steps: [callStep("x", 7)] },
    ])
      expect(hasCallReferences(d)).to.equal(collectCallReferences(d).length > 0);
  });

  it("visits steps depth-first in document order and stops at the first true", () => {
    const seen: string[] = [];
    expect(someStep(nestedDefinition(), (step) => void seen.push(String(step.id)))).to.equal(false);
    expect(seen).to.deep.equal(["a", "if", "s", "b", "fe", "tc", "c", "d", "e"]);
    const until: string[] = [];
    expect(someStep(nestedDefinition(), (step) => until.push(String(step.id)) === 3)).to.equal(true);
    expect(until).to.deep.equal(["a", "if", "s"]);
  });
});

describe("rewriteWorkflowReferences", () => {
  it("rewrites the id and every mapped target, and never mutates the input", () => {
    const input = nestedDefinition();
    const before = JSON.stringify(input);
    const seen: string[] = [];
    const output = rewriteWorkflowReferences(input, {
      id: "new-id",
      mapTarget: (ref) => {
        seen.push(ref.stepPath);
        return ref.workflowId === "target-a" ? "mapped-a" : undefined;
      },
    }) as Record<string, unknown>;
    expect(JSON.stringify(input)).to.equal(before);
    expect(output.id).to.equal("new-id");
    expect(collectCallReferences(output).map((r) => r.workflowId)).to.deep.equal([
      "mapped-a",
      "target-b",
      "mapped-a",
      "target-e",
    ]);
    expect(seen).to.have.length(4);
  });

  it("returns the very same object when nothing changes, and copies only changed branches", () => {
    const input = nestedDefinition();
    expect(rewriteWorkflowReferences(input, { id: "old-id", mapTarget: () => undefined })).to.equal(input);
    const output = rewriteWorkflowReferences(input, {
      mapTarget: (ref) => (ref.workflowId === "target-b" ? "x" : undefined),
    }) as { steps: Record<string, unknown>[] };
    const inputSteps = input.steps as Record<string, unknown>[];
    expect(output.steps[0]).to.equal(inputSteps[0]);
    expect((output.steps[1] as { else: unknown }).else).to.equal((inputSteps[1] as { else: unknown }).else);
  });

  it("does not stumble on step types named like Object.prototype members", () => {
    const d = { steps: [{ type: "valueOf" }, callStep("a", "t")] };
    const out = rewriteWorkflowReferences(d, { mapTarget: () => "u" });
    expect(collectCallReferences(out).map((r) => r.workflowId)).to.deep.equal(["u"]);
  });

  it("sets the id of a definition that had none, and leaves non-objects alone", () => {
    expect(rewriteWorkflowReferences({ steps: [] }, { id: "x" })).to.deep.equal({ steps: [], id: "x" });
    expect(rewriteWorkflowReferences(null, { id: "x" })).to.equal(null);
    expect(rewriteWorkflowReferences([1], { id: "x" })).to.deep.equal([1]);
  });
});
