import { expect } from "chai";
import { DEFAULT_CATALOG } from "../../../src/catalog/runtime-catalog.js";
import { checkCron, validateWorkflowForPublish } from "../../../src/runtime/publish-validation.js";

const CHILD = "11111111-1111-4111-8111-111111111111";
const SELF = "22222222-2222-4222-8222-222222222222";

function definition(steps: unknown[], extra: Record<string, unknown> = {}) {
  return { id: SELF, version: 1, name: "Test", payloadSchemaRef: "payload.TicketCreated.v1", steps, ...extra };
}

/** A control.if step ("then" is the branch name in Alga's format, not a thenable). */
function ifStep(id: string, condition: string, thenSteps: unknown[], elseSteps?: unknown[]): Record<string, unknown> {
  const step: Record<string, unknown> = { id, type: "control.if", condition: { $expr: condition } };
  // biome-ignore lint/suspicious/noThenProperty: "then" is the branch name in Alga's format.
  step.then = thenSteps;
  if (elseSteps) step.else = elseSteps;
  return step;
}

function validate(def: unknown, called: [string, number[]][] = []) {
  return validateWorkflowForPublish(def, {
    catalog: DEFAULT_CATALOG,
    calledWorkflowVersions: new Map(called),
    self: { workflowId: SELF, version: 3 },
    now: new Date("2026-01-01T00:00:00Z"),
  });
}

function codes(def: unknown, called: [string, number[]][] = []) {
  return validate(def, called).errors.map((e) => `${e.code} ${e.stepPath}`);
}

const notify = (id: string, inputMapping: Record<string, unknown> = { title: { $expr: "'x'" } }) => ({
  id,
  type: "action.call",
  config: { actionId: "notifications.send_in_app", version: 1, inputMapping },
});

describe("validateWorkflowForPublish", () => {
  it("accepts a valid definition with every control block", () => {
    const result = validate(
      definition([
        { id: "s", type: "state.set", config: { state: "A" } },
        { id: "a", type: "transform.assign", config: { assign: { "vars.x": { $expr: "coalesce(payload.x, 1)" } } } },
        ifStep("if", "vars.x == 1", [notify("n1")], [{ id: "r", type: "control.return" }]),
        { id: "each", type: "control.forEach", items: { $expr: "[1,2]" }, itemVar: "item", body: [notify("n2")] },
        { id: "tc", type: "control.tryCatch", try: [notify("n3")], catch: [notify("n4")], captureErrorAs: "caught" },
        { id: "call", type: "control.callWorkflow", workflowId: CHILD, workflowVersion: 1 },
        {
          id: "w",
          type: "event.wait",
          config: {
            eventName: "E",
            correlationKey: { $expr: "payload.ticketId" },
            assign: { "vars.e": { $expr: "vars.event" } },
          },
        },
      ]),
      [[CHILD, [1]]],
    );
    expect(result).to.deep.equal({ errors: [], warnings: [] });
  });

  it("reports a step id used twice anywhere in the definition, at the second use", () => {
    const def = definition([
      { id: "tc", type: "control.tryCatch", try: [notify("notify")], catch: [notify("notify")] },
    ]);
    const [error] = validate(def).errors;
    expect(error).to.deep.equal({
      code: "DUPLICATE_STEP_ID",
      stepPath: "root.steps[0].catch.steps[0]",
      path: "/steps/0/catch/0/id",
      message: "Duplicate step id notify",
    });
  });

  it("reports unknown node types and actions", () => {
    const def = definition([
      { id: "x", type: "custom.node" },
      { id: "y", type: "action.call", config: { actionId: "tickets.find", version: 9, inputMapping: {} } },
    ]);
    expect(codes(def)).to.deep.equal(["UNKNOWN_NODE_TYPE root.steps[0]", "UNKNOWN_ACTION root.steps[1]"]);
    expect(validate(def).errors[1]?.message).to.equal("Unknown action tickets.find@9 (registered: tickets.find@1)");
  });

  it("reports bad expressions with Alga's codes: INVALID_EXPR in steps, EMPTY/INVALID_EXPRESSION in input mappings", () => {
    const def = definition([
      ifStep("if", "$string(payload.a) = 'x'", []),
      { id: "a", type: "transform.assign", config: { assign: { "vars.x": { $expr: "payload.a +" } } } },
      notify("n", { title: { $expr: "" }, body: { nested: [{ $expr: "$count(payload.items)" }] } }),
    ]);
    expect(codes(def)).to.deep.equal([
      "INVALID_EXPR root.steps[0]",
      "INVALID_EXPR root.steps[1]",
      "EMPTY_EXPRESSION root.steps[2]",
      "INVALID_EXPRESSION root.steps[2]",
    ]);
    expect(validate(def).errors[3]?.path).to.equal("/steps/2/config/inputMapping/body/nested/0");
  });

  it("checks secret names and warns about unknown $ keys", () => {
    const def = definition([
      notify("n", { token: { $secret: "api_key" }, other: { $ref: "x" }, ok: { $secret: "API_KEY" } }),
    ]);
    const result = validate(def);
    expect(result.errors.map((e) => e.code)).to.deep.equal(["INVALID_SECRET_NAME"]);
    expect(result.warnings.map((w) => w.code)).to.deep.equal(["UNKNOWN_SPECIAL_KEY"]);
  });

  it("maps schema problems to INVALID_WORKFLOW_DEFINITION and node config problems to INVALID_CONFIG", () => {
    const def = {
      id: SELF,
      version: 1,
      payloadSchemaRef: "payload.TicketCreated.v1",
      steps: [{ id: "s", type: "state.set", config: {} }],
    };
    expect(codes(def)).to.deep.equal(["INVALID_WORKFLOW_DEFINITION root", "INVALID_CONFIG root.steps[0]"]);
  });

  it("reports an unknown payload schema ref", () => {
    expect(codes(definition([], { payloadSchemaRef: "payload.Nope.v1" }))).to.deep.equal([
      "PAYLOAD_SCHEMA_REF_UNKNOWN root.payloadSchemaRef",
    ]);
  });

  it("requires scoped assign paths without forbidden segments, and usable saveAs / itemVar / captureErrorAs", () => {
    const def = definition([
      {
        id: "a",
        type: "transform.assign",
        config: { assign: { x: { $expr: "1" }, "vars.__proto__": { $expr: "1" } } },
      },
      {
        id: "b",
        type: "action.call",
        config: { actionId: "tickets.find", version: 1, inputMapping: {}, saveAs: "vars.constructor" },
      },
      { id: "c", type: "control.forEach", items: { $expr: "[]" }, itemVar: "__proto__", body: [] },
    ]);
    expect(codes(def)).to.deep.equal([
      "INVALID_ASSIGN_PATH root.steps[0]",
      "INVALID_ASSIGN_PATH root.steps[0]",
      "INVALID_ASSIGN_PATH root.steps[1]",
      "INVALID_ASSIGN_PATH root.steps[2]",
    ]);
  });

  it("requires every callWorkflow target to exist at its version; a self-call at the new version is allowed", () => {
    const call = (id: string, workflowId: string, workflowVersion: number) => ({
      id,
      type: "control.callWorkflow",
      workflowId,
      workflowVersion,
    });
    const def = definition([
      call("missing", "00000000-0000-0000-0000-000000000000", 1),
      call("old", CHILD, 2),
      call("self", SELF, 3),
      call("ok", CHILD.toUpperCase(), 1),
    ]);
    const errors = validate(def, [[CHILD, [1]]]).errors;
    expect(errors.map((e) => `${e.code} ${e.stepPath} ${e.path}`)).to.deep.equal([
      "CALL_WORKFLOW_TARGET_NOT_FOUND root.steps[0] /steps/0/workflowId",
      "CALL_WORKFLOW_TARGET_NOT_FOUND root.steps[1] /steps/1/workflowVersion",
    ]);
  });

  it("checks triggers: event source refs and mappings, schedules, cron and time zones", () => {
    const withTrigger = (trigger: unknown) => codes(definition([], { trigger }));
    expect(withTrigger({ type: "event", eventName: "E", sourcePayloadSchemaRef: "payload.Nope.v1" })).to.deep.equal([
      "UNKNOWN_TRIGGER_SOURCE_SCHEMA_REF root.trigger",
      "TRIGGER_MAPPING_REQUIRED root.trigger.payloadMapping",
    ]);
    expect(
      withTrigger({
        type: "event",
        eventName: "E",
        sourcePayloadSchemaRef: "payload.TicketUpdated.v1",
        payloadMapping: { ticketId: { $expr: "payload.ticketId" }, ok: { $expr: "event.payload.ticketId" } },
      }),
    ).to.deep.equal(["TRIGGER_MAPPING_INVALID_ROOT root.trigger.payloadMapping"]);
    expect(withTrigger({ type: "schedule", runAt: "2025-01-01T00:00:00Z" })).to.deep.equal([
      "TIME_TRIGGER_INVALID_RUN_AT root.trigger.runAt",
    ]);
    expect(withTrigger({ type: "schedule", runAt: "2027-01-01T00:00:00Z" })).to.deep.equal([]);
    expect(withTrigger({ type: "recurring", cron: "* * * * *", timezone: "Mars/Olympus" })).to.deep.equal([
      "TIME_TRIGGER_INVALID_CRON root.trigger.cron",
      "TIME_TRIGGER_INVALID_TIMEZONE root.trigger.timezone",
    ]);
    expect(withTrigger({ type: "recurring", cron: "0 9 * * 1-5", timezone: "Europe/Berlin" })).to.deep.equal([]);
  });

  it("warns (without blocking) about node types the reference runtime cannot execute", () => {
    const result = validate(
      definition([{ id: "p", type: "email.parseBody", config: { text: { $expr: "payload.body" } } }]),
    );
    expect(result.errors).to.deep.equal([]);
    expect(result.warnings.map((w) => w.code)).to.deep.equal(["NODE_TYPE_NOT_EXECUTED"]);
  });

  describe("checkCron", () => {
    for (const [cron, ok] of [
      ["*/5 * * * *", true],
      ["0 0 1 * *", true],
      ["*/4 * * * *", false],
      ["0 0 1 * 1", false],
      ["0 0 * *", false],
      ["0 0 * * MON", false],
    ] as const)
      it(`${ok ? "accepts" : "rejects"} ${cron}`, () => {
        expect(checkCron(cron) === null).to.equal(ok);
      });
  });
});
