// biome-ignore-all lint/suspicious/noThenProperty: "then" is the branch name of control.if in Alga's format.
import { expect } from "chai";
import type { DefinitionProblem } from "../../../src/errors.js";
import {
  CONTROL_BLOCKS,
  isExpr,
  isSecretRef,
  toStepPath,
  validateWorkflowDefinition,
  walkSteps,
} from "../../../src/format/definition-schema.js";
import { itEachBundleSet } from "../../support/bundle-sets.js";
import { makeDefinition } from "../../support/bundles.js";

type Json = Record<string, unknown>;
const expr = (source: string) => ({ $expr: source });

/** One step of every kind, each valid, nested as deep as Alga nests them. */
function everyStepKind(): unknown[] {
  return [
    { id: "s0", type: "state.set", config: { state: "A" } },
    { id: "s1", type: "transform.assign", config: { assign: { "vars.x": expr("1"), "payload.y": expr("2") } } },
    {
      id: "s2",
      type: "control.if",
      condition: expr("vars.x = 1"),
      then: [
        {
          id: "s2t0",
          type: "action.call",
          name: "Send",
          config: {
            actionId: "email.send",
            version: 1,
            inputMapping: { to: expr("payload.to"), literal: { nested: [expr("x"), { $secret: "SMTP_KEY" }] } },
            saveAs: "sent",
            onError: { policy: "continue", extra: "allowed: Alga leaves this object open" },
            idempotencyKey: expr("payload.id"),
            designerTileKind: "app",
          },
          retry: { maxAttempts: 3, backoffMs: 0, backoffMultiplier: 2, jitter: false, maxDelayMs: 10, retryOn: ["X"] },
          onError: { policy: "fail" },
        },
      ],
      else: [{ id: "s2e0", type: "control.return" }],
    },
    {
      id: "s3",
      type: "control.forEach",
      items: expr("payload.items"),
      itemVar: "item",
      concurrency: 1,
      onItemError: "continue",
      body: [
        {
          id: "s3b0",
          type: "control.tryCatch",
          try: [{ id: "s3b0t0", type: "time.wait", config: { mode: "duration", durationMs: 5 } }],
          catch: [{ id: "s3b0c0", type: "time.wait", config: { mode: "until", until: expr("nowIso()") } }],
          captureErrorAs: "err",
        },
      ],
    },
    {
      id: "s4",
      type: "control.callWorkflow",
      workflowId: "00000000-0000-0000-0000-000000000000",
      workflowVersion: 1,
      inputMapping: { a: expr("vars.x") },
      outputMapping: { b: expr("result") },
      retry: { maxAttempts: 1, backoffMs: 1 },
      onError: { policy: "continue" },
    },
    {
      id: "s5",
      type: "event.wait",
      config: {
        eventName: "TICKET_UPDATED",
        correlationKey: expr("payload.ticketId"),
        filters: [
          { path: "status", op: "=", value: "closed" },
          { path: "tags", op: "in", value: ["a", 1, null] },
          { path: "x", op: "exists" },
          { path: "name", op: "starts_with", value: "A" },
        ],
        timeoutMs: 1000,
        assign: { "vars.event": expr("event") },
      },
    },
    { id: "s6", type: "human.task", config: { taskType: "approve", title: expr("'Approve'"), contextData: {} } },
    { id: "s7", type: "email.parseBody", config: { text: expr("payload.text") } },
    { id: "s8", type: "email.renderCommentBlocks", config: { html: expr("payload.html"), saveAs: "vars.blocks" } },
    { id: "s9", type: "custom.node", config: { anything: [1, 2] } },
    { id: "s10", type: "control.return" },
  ];
}

function problemsOf(definition: unknown): DefinitionProblem[] {
  const result = validateWorkflowDefinition(definition);
  if (result.ok) throw new Error("expected the definition to be invalid");
  return result.problems;
}

function withStep(step: unknown): Json {
  return makeDefinition({ steps: [{ id: "first", type: "state.set", config: { state: "A" } }, step] });
}

describe("validateWorkflowDefinition", () => {
  it("accepts a definition with every step kind, nested", () => {
    const result = validateWorkflowDefinition(makeDefinition({ steps: everyStepKind() }));
    expect(result.ok, JSON.stringify(!result.ok && result.problems)).to.equal(true);
  });

  it("accepts an empty step list and every trigger kind", () => {
    for (const trigger of [
      { type: "event", eventName: "X", sourcePayloadSchemaRef: "payload.X.v1", payloadMapping: { a: expr("event") } },
      { type: "schedule", runAt: "2030-01-01T00:00:00Z" },
      { type: "recurring", cron: "0 9 * * 1", timezone: "Europe/Paris" },
      { type: "date", source: "contract.end", offsetDays: -30, localTime: "08:00", timezone: "UTC" },
    ])
      expect(validateWorkflowDefinition(makeDefinition({ steps: [], trigger })).ok, trigger.type).to.equal(true);
    expect(validateWorkflowDefinition(makeDefinition({ steps: [], trigger: null })).ok).to.equal(true);
  });

  itEachBundleSet("accepts every published definition of the set", (set) => {
    for (const file of set.validFiles) {
      for (const w of set.readBundle(file).workflows as Json[])
        for (const v of w.publishedVersions as Json[]) {
          const result = validateWorkflowDefinition(v.definition);
          expect(result.ok, `${file}: ${JSON.stringify(!result.ok && result.problems)}`).to.equal(true);
        }
    }
  });

  describe("the definition itself (strict)", () => {
    for (const [label, change, path] of [
      ["id missing", (d: Json) => delete d.id, "/id"],
      ["id empty", (d: Json) => (d.id = ""), "/id"],
      ["version 0", (d: Json) => (d.version = 0), "/version"],
      ["version 1.5", (d: Json) => (d.version = 1.5), "/version"],
      ["name missing", (d: Json) => delete d.name, "/name"],
      ["payloadSchemaRef missing", (d: Json) => delete d.payloadSchemaRef, "/payloadSchemaRef"],
      ["description a number", (d: Json) => (d.description = 1), "/description"],
      ["steps missing", (d: Json) => delete d.steps, "/steps"],
      ["steps an object", (d: Json) => (d.steps = {}), "/steps"],
      ["an unknown key", (d: Json) => (d.status = "x"), "/status"],
      ["an unknown trigger type", (d: Json) => (d.trigger = { type: "webhook" }), "/trigger/type"],
      ["an event trigger without eventName", (d: Json) => (d.trigger = { type: "event" }), "/trigger/eventName"],
      [
        "an event trigger with an unknown key",
        (d: Json) => (d.trigger = { type: "event", eventName: "X", filter: 1 }),
        "/trigger/filter",
      ],
      ["a schedule trigger without runAt", (d: Json) => (d.trigger = { type: "schedule" }), "/trigger/runAt"],
      [
        "a recurring trigger without timezone",
        (d: Json) => (d.trigger = { type: "recurring", cron: "* * * * *" }),
        "/trigger/timezone",
      ],
      [
        "a date trigger 400 days off",
        (d: Json) => (d.trigger = { type: "date", source: "contract.end", offsetDays: 400 }),
        "/trigger/offsetDays",
      ],
      [
        "a date trigger at 24:00",
        (d: Json) => (d.trigger = { type: "date", source: "contract.end", offsetDays: 1, localTime: "24:00" }),
        "/trigger/localTime",
      ],
    ] as const) {
      it(`rejects ${label} at ${path}`, () => {
        const d = makeDefinition();
        change(d);
        const problems = problemsOf(d);
        expect(problems.map((p) => p.path)).to.include(path);
        for (const p of problems) expect(p).to.not.have.property("stepPath");
      });
    }

    it("reports an unknown key as UNKNOWN_PROPERTY and other problems as INVALID_VALUE", () => {
      const d = makeDefinition();
      d.status = "x";
      d.version = -1;
      const byPath = Object.fromEntries(problemsOf(d).map((p) => [p.path, p.code]));
      expect(byPath).to.deep.equal({ "/status": "UNKNOWN_PROPERTY", "/version": "INVALID_VALUE" });
    });

    it("is not a definition: null, an array, a string", () => {
      for (const value of [null, [], "x"]) expect(problemsOf(value)[0]?.path).to.equal("");
    });
  });

  describe("each step kind", () => {
    const cases: [string, unknown, string][] = [
      ["a step that is not an object", "state.set", "/steps/1"],
      ["a step without type", { id: "x" }, "/steps/1/type"],
      ["a step with a numeric type", { id: "x", type: 1 }, "/steps/1/type"],
      ["a node step without id", { type: "state.set", config: { state: "A" } }, "/steps/1/id"],
      ["a node step with an empty id", { id: "", type: "custom.x" }, "/steps/1/id"],
      ["a node step with an unknown key", { id: "x", type: "custom.x", extra: 1 }, "/steps/1/extra"],
      ["an unknown control block", { id: "x", type: "control.loop" }, "/steps/1/type"],
      ["state.set without state", { id: "x", type: "state.set", config: {} }, "/steps/1/config/state"],
      [
        "state.set with an unknown config key",
        { id: "x", type: "state.set", config: { state: "A", b: 1 } },
        "/steps/1/config/b",
      ],
      [
        "transform.assign with a literal",
        { id: "x", type: "transform.assign", config: { assign: { a: 1 } } },
        "/steps/1/config/assign/a",
      ],
      [
        "action.call without version",
        { id: "x", type: "action.call", config: { actionId: "a" } },
        "/steps/1/config/version",
      ],
      [
        "action.call version 0",
        { id: "x", type: "action.call", config: { actionId: "a", version: 0 } },
        "/steps/1/config/version",
      ],
      [
        "action.call with an unknown config key",
        { id: "x", type: "action.call", config: { actionId: "a", version: 1, timeout: 1 } },
        "/steps/1/config/timeout",
      ],
      [
        "action.call with a malformed expression in a nested literal",
        {
          id: "x",
          type: "action.call",
          config: { actionId: "a", version: 1, inputMapping: { k: { deep: [{ $expr: 5 }] } } },
        },
        "/steps/1/config/inputMapping/k/deep/0",
      ],
      ["event.wait without config", { id: "x", type: "event.wait" }, "/steps/1/config"],
      [
        "event.wait without correlationKey",
        { id: "x", type: "event.wait", config: { eventName: "E" } },
        "/steps/1/config/correlationKey",
      ],
      [
        "event.wait filter 'in' without an array",
        {
          id: "x",
          type: "event.wait",
          config: { eventName: "E", correlationKey: expr("k"), filters: [{ path: "a", op: "in", value: "x" }] },
        },
        "/steps/1/config/filters/0/value",
      ],
      [
        "event.wait filter 'exists' with a value",
        {
          id: "x",
          type: "event.wait",
          config: { eventName: "E", correlationKey: expr("k"), filters: [{ path: "a", op: "exists", value: 1 }] },
        },
        "/steps/1/config/filters/0/value",
      ],
      [
        "event.wait filter 'contains' with a number",
        {
          id: "x",
          type: "event.wait",
          config: { eventName: "E", correlationKey: expr("k"), filters: [{ path: "a", op: "contains", value: 1 }] },
        },
        "/steps/1/config/filters/0/value",
      ],
      [
        "event.wait filter with an unknown op",
        {
          id: "x",
          type: "event.wait",
          config: { eventName: "E", correlationKey: expr("k"), filters: [{ path: "a", op: "~", value: 1 }] },
        },
        "/steps/1/config/filters/0/op",
      ],
      ["time.wait without config", { id: "x", type: "time.wait" }, "/steps/1/config"],
      [
        "time.wait duration without durationMs",
        { id: "x", type: "time.wait", config: { mode: "duration" } },
        "/steps/1/config/durationMs",
      ],
      [
        "time.wait until without until",
        { id: "x", type: "time.wait", config: { mode: "until" } },
        "/steps/1/config/until",
      ],
      ["human.task without title", { id: "x", type: "human.task", config: { taskType: "t" } }, "/steps/1/config/title"],
      [
        "email.parseBody with a literal text",
        { id: "x", type: "email.parseBody", config: { text: "hello" } },
        "/steps/1/config/text",
      ],
      ["control.if without then", { id: "x", type: "control.if", condition: expr("true") }, "/steps/1/then"],
      [
        "control.if with a literal condition",
        { id: "x", type: "control.if", condition: true, then: [] },
        "/steps/1/condition",
      ],
      [
        "control.forEach with concurrency 2",
        { id: "x", type: "control.forEach", items: expr("a"), itemVar: "i", body: [], concurrency: 2 },
        "/steps/1/concurrency",
      ],
      [
        "control.forEach without itemVar",
        { id: "x", type: "control.forEach", items: expr("a"), body: [] },
        "/steps/1/itemVar",
      ],
      [
        "control.forEach with onItemError 'skip'",
        { id: "x", type: "control.forEach", items: expr("a"), itemVar: "i", body: [], onItemError: "skip" },
        "/steps/1/onItemError",
      ],
      ["control.tryCatch without catch", { id: "x", type: "control.tryCatch", try: [] }, "/steps/1/catch"],
      [
        "control.callWorkflow without workflowVersion",
        { id: "x", type: "control.callWorkflow", workflowId: "w" },
        "/steps/1/workflowVersion",
      ],
      [
        "control.callWorkflow with a literal input mapping",
        { id: "x", type: "control.callWorkflow", workflowId: "w", workflowVersion: 1, inputMapping: { a: "lit" } },
        "/steps/1/inputMapping/a",
      ],
      ["control.return with a config", { id: "x", type: "control.return", config: {} }, "/steps/1/config"],
      [
        "a retry without backoffMs",
        { id: "x", type: "custom.x", retry: { maxAttempts: 2 } },
        "/steps/1/retry/backoffMs",
      ],
      [
        "a retry of 0 attempts",
        { id: "x", type: "custom.x", retry: { maxAttempts: 0, backoffMs: 0 } },
        "/steps/1/retry/maxAttempts",
      ],
      ["onError 'ignore'", { id: "x", type: "custom.x", onError: { policy: "ignore" } }, "/steps/1/onError/policy"],
    ];
    for (const [label, step, path] of cases) {
      it(`rejects ${label} at ${path} (step root.steps[1])`, () => {
        const problems = problemsOf(withStep(step));
        const found = problems.find((p) => p.path === path);
        expect(found, JSON.stringify(problems)).to.not.equal(undefined);
        expect(found?.stepPath).to.equal("root.steps[1]");
      });
    }

    it("lists every control block", () => {
      expect([...CONTROL_BLOCKS].sort()).to.deep.equal([
        "control.callWorkflow",
        "control.forEach",
        "control.if",
        "control.return",
        "control.tryCatch",
      ]);
    });

    it("treats step types named like Object.prototype members as plain node types (no crash)", () => {
      for (const type of ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"]) {
        const d = withStep({ id: "x", type, config: { a: 1 } });
        expect(validateWorkflowDefinition(d).ok, type).to.equal(true);
        expect(
          [...walkSteps(d)].map((w) => w.step.type),
          type,
        ).to.deep.equal(["state.set", type]);
      }
    });

    it("does not check a node step's config when it is absent or falsy (as Alga's publish), except where it is required", () => {
      for (const config of [undefined, null, false, 0, ""])
        expect(
          validateWorkflowDefinition(withStep({ id: "x", type: "state.set", config })).ok,
          String(config),
        ).to.equal(true);
      for (const type of ["action.call", "event.wait", "time.wait"])
        for (const config of [undefined, null]) {
          const problems = problemsOf(withStep({ id: "x", type, config }));
          expect(
            problems.map((p) => p.path),
            `${type} ${config}`,
          ).to.include("/steps/1/config");
        }
    });

    it("accepts an expression with an empty source (a draft in progress) and keeps extra keys", () => {
      expect(
        validateWorkflowDefinition(
          withStep({ id: "x", type: "control.if", condition: { $expr: "", note: 1 }, then: [] }),
        ).ok,
      ).to.equal(true);
    });
  });

  describe("nested paths and Alga step paths", () => {
    it("reports problems inside then/else/body/try/catch with JSON pointers and step paths", () => {
      const d = makeDefinition({
        steps: [
          { id: "a", type: "state.set", config: { state: "A" } },
          { id: "b", type: "state.set", config: { state: "B" } },
          {
            id: "c",
            type: "control.if",
            condition: expr("true"),
            then: [
              { id: "c0", type: "state.set", config: { state: "" } },
              {
                id: "c1",
                type: "control.forEach",
                items: expr("x"),
                itemVar: "i",
                body: [
                  {
                    id: "c1b0",
                    type: "control.tryCatch",
                    try: [{ id: "t", type: "control.return", extra: 1 }],
                    catch: [{ id: "k", type: "action.call", config: { actionId: "a" } }],
                  },
                ],
              },
            ],
            else: [{ type: "state.set" }],
          },
        ],
      });
      const found = problemsOf(d).map((p) => ({ path: p.path, stepPath: p.stepPath, code: p.code }));
      expect(found).to.deep.equal([
        { path: "/steps/2/then/0/config/state", stepPath: "root.steps[2].then.steps[0]", code: "INVALID_VALUE" },
        {
          path: "/steps/2/then/1/body/0/try/0/extra",
          stepPath: "root.steps[2].then.steps[1].body.steps[0].try.steps[0]",
          code: "UNKNOWN_PROPERTY",
        },
        {
          path: "/steps/2/then/1/body/0/catch/0/config/version",
          stepPath: "root.steps[2].then.steps[1].body.steps[0].catch.steps[0]",
          code: "INVALID_VALUE",
        },
        { path: "/steps/2/else/0/id", stepPath: "root.steps[2].else.steps[0]", code: "INVALID_VALUE" },
      ]);
    });

    it("toStepPath maps JSON paths to Alga step paths", () => {
      expect(toStepPath(["steps", 2, "then", 0])).to.equal("root.steps[2].then.steps[0]");
      expect(toStepPath(["steps", 2, "then", 0, "config", "state"])).to.equal("root.steps[2].then.steps[0]");
      expect(toStepPath(["steps", 0, "body", 1, "catch", 3, "id"])).to.equal(
        "root.steps[0].body.steps[1].catch.steps[3]",
      );
      expect(toStepPath(["steps", 1, "config", "inputMapping", "then", 0])).to.equal("root.steps[1]");
      expect(toStepPath(["trigger", "type"])).to.equal(undefined);
      expect(toStepPath(["steps"])).to.equal(undefined);
    });

    it("walkSteps visits every step depth-first with its step path, and skips malformed parts", () => {
      const paths = [...walkSteps(makeDefinition({ steps: everyStepKind() }))].map((s) => s.stepPath);
      expect(paths).to.deep.equal([
        "root.steps[0]",
        "root.steps[1]",
        "root.steps[2]",
        "root.steps[2].then.steps[0]",
        "root.steps[2].else.steps[0]",
        "root.steps[3]",
        "root.steps[3].body.steps[0]",
        "root.steps[3].body.steps[0].try.steps[0]",
        "root.steps[3].body.steps[0].catch.steps[0]",
        "root.steps[4]",
        "root.steps[5]",
        "root.steps[6]",
        "root.steps[7]",
        "root.steps[8]",
        "root.steps[9]",
        "root.steps[10]",
      ]);
      expect(
        [...walkSteps({ steps: [null, 1, { type: "control.if", then: "x" }] })].map((s) => s.stepPath),
      ).to.deep.equal(["root.steps[2]"]);
      expect([...walkSteps(null)]).to.deep.equal([]);
    });
  });

  it("isExpr and isSecretRef", () => {
    expect(isExpr({ $expr: "" })).to.equal(true);
    expect(isExpr({ $expr: 1 })).to.equal(false);
    expect(isExpr(null)).to.equal(false);
    expect(isSecretRef({ $secret: "A" })).to.equal(true);
    expect(isSecretRef({ $secret: "A", b: 1 })).to.equal(false);
  });
});
