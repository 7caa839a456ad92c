/**
 * The interpreter's step semantics, without a database: the interpreter reads through its narrow
 * store port (an in-memory implementation here) and records rows in memory; the integration tests
 * cover the same paths on PostgreSQL and PGlite.
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { RunRecording, StepRow, WaitRow } from "../../../src/db/run-store.js";
import { type WorkflowDefinition, WorkflowDefinitionSchema } from "../../../src/format/definition-schema.js";
import { parseStepPath } from "../../../src/format/step-paths.js";
import { type ActionHandler, createActionRegistry } from "../../../src/runtime/action-registry.js";
import { computeIdempotencyKey, hashIdempotencyInput } from "../../../src/runtime/nodes/action-call.js";
import type { CallTarget, RunOutcome } from "../../../src/runtime/nodes/step-context.js";
import { computeRetryDelayMs, shouldRetry } from "../../../src/runtime/retry-policy.js";
import type { RunEnvelope } from "../../../src/runtime/run-envelope.js";
import { createRunClock, createRunRecording } from "../../../src/runtime/run-recording.js";
import { createActionFailure } from "../../../src/runtime/runtime-error.js";
import type { WaitDelivery } from "../../../src/runtime/wait-delivery.js";
import { WorkflowInterpreter } from "../../../src/runtime/workflow-interpreter.js";

const TENANT = "00000000-0000-0000-0000-0000000000a1";
const NOW = new Date("2026-03-01T12:00:00.000Z");

function define(steps: unknown[]): WorkflowDefinition {
  return WorkflowDefinitionSchema.parse({
    id: randomUUID(),
    version: 1,
    name: "test",
    payloadSchemaRef: "payload.TicketCreated.v1",
    steps,
  }) as WorkflowDefinition;
}

interface Harness {
  recording: RunRecording;
  outcome: RunOutcome;
  interpreter: WorkflowInterpreter;
  steps(runId?: string): StepRow[];
  stepStatuses(runId?: string): string[];
}

interface HarnessOptions {
  payload?: unknown;
  handlers?: Record<string, ActionHandler>;
  secrets?: Record<string, string>;
  targets?: CallTarget[];
  recording?: RunRecording;
  sleep?: (ms: number) => Promise<void>;
}

function createInterpreter(recording: RunRecording, options: HarnessOptions): WorkflowInterpreter {
  return new WorkflowInterpreter({
    tenant: TENANT,
    actions: createActionRegistry({ handlers: options.handlers ?? {} }),
    secrets: options.secrets ?? {},
    clock: createRunClock(() => NOW),
    now: () => NOW,
    store: {
      async findInvocation() {
        return undefined;
      },
      async loadCallTarget(workflowId, version) {
        return options.targets?.find((t) => t.workflowId === workflowId && t.version === version);
      },
    },
    recording,
    generateId: randomUUID,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
}

async function run(steps: unknown[], options: HarnessOptions = {}): Promise<Harness> {
  const recording = options.recording ?? createRunRecording();
  const interpreter = createInterpreter(recording, options);
  const outcome = await interpreter.startRun({
    workflowId: randomUUID(),
    version: 1,
    definition: define(steps),
    definitionHash: "h",
    payload: options.payload ?? {},
  });
  return harness(recording, outcome, interpreter);
}

function harness(recording: RunRecording, outcome: RunOutcome, interpreter: WorkflowInterpreter): Harness {
  const steps = (runId = outcome.runId) => [...recording.steps.rows.values()].filter((s) => s.run_id === runId);
  return {
    recording,
    outcome,
    interpreter,
    steps,
    stepStatuses: (runId) => steps(runId).map((s) => `${s.step_path} ${s.status}`),
  };
}

/** Continues a WAITING run the way resumeRun does, from what the recording holds. */
async function resume(
  h: Harness,
  steps: unknown[],
  delivery: WaitDelivery,
  options: HarnessOptions = {},
): Promise<Harness> {
  const runRow = h.recording.runs.rows.get(h.outcome.runId);
  if (!runRow || !h.outcome.nodePath) throw new Error("not waiting");
  const waitRow = [...h.recording.waits.rows.values()].find(
    (w) => w.run_id === runRow.run_id && w.status === "WAITING",
  ) as WaitRow;
  const stepRow = h.steps().find((s) => s.step_path === h.outcome.nodePath && s.status === "STARTED");
  const snapshot = h.recording.snapshots.filter((s) => s.run_id === runRow.run_id).at(-1)?.envelope_json as RunEnvelope;
  const attempts = new Map<string, number>();
  for (const s of h.steps()) attempts.set(s.step_path, Math.max(attempts.get(s.step_path) ?? 0, s.attempt));
  const interpreter = createInterpreter(h.recording, options);
  const outcome = await interpreter.continueRun({
    run: runRow,
    definition: define(steps),
    envelope: JSON.parse(JSON.stringify({ ...snapshot, error: snapshot.error })),
    attempts,
    cursor: parseStepPath(h.outcome.nodePath) ?? [],
    delivery,
    waitRow,
    stepRow,
  });
  return harness(h.recording, outcome, interpreter);
}

/** A control.if step ("then" is the branch name in Alga's format, not a thenable). */
function ifStep(id: string, condition: string, thenSteps: unknown[], elseSteps?: unknown[]): Record<string, unknown> {
  const step: Record<string, unknown> = { id, type: "control.if", condition: { $expr: condition } };
  // biome-ignore lint/suspicious/noThenProperty: "then" is the branch name in Alga's format.
  step.then = thenSteps;
  if (elseSteps) step.else = elseSteps;
  return step;
}

const expr = ($expr: string) => ({ $expr });
const ret = (id = "done") => ({ id, type: "control.return" });
const assign = (id: string, entries: Record<string, string>) => ({
  id,
  type: "transform.assign",
  config: { assign: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, expr(v)])) },
});
const call = (
  id: string,
  actionId: string,
  inputMapping: Record<string, unknown> = {},
  more: Record<string, unknown> = {},
) => ({
  id,
  type: "action.call",
  config: { actionId, version: 1, inputMapping, ...more },
});

describe("workflow interpreter", () => {
  describe("state.set and transform.assign", () => {
    it("sets meta.state, and assigns entries one at a time (later ones see earlier ones)", async () => {
      const h = await run(
        [
          { id: "s", type: "state.set", config: { state: "READY" } },
          assign("a", { "vars.a": "payload.n + 1", "vars.b": "vars.a * 10", "payload.seen": "true", "/x~1y": "'p'" }),
        ],
        { payload: { n: 1 } },
      );
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(h.outcome.envelope.meta).to.deep.equal({ state: "READY" });
      expect(h.outcome.envelope.vars).to.deep.equal({ a: 2, b: 20 });
      expect(h.outcome.envelope.payload).to.deep.equal({ n: 1, seen: true, "x/y": "p" });
      expect(h.stepStatuses()).to.deep.equal(["root.steps[0] SUCCEEDED", "root.steps[1] SUCCEEDED"]);
    });

    it("fails the run with ExpressionError when an expression reads a missing path", async () => {
      const h = await run([assign("a", { "vars.a": "payload.missing" }), ret()]);
      expect(h.outcome.status).to.equal("FAILED");
      expect(h.outcome.error).to.include({
        category: "ExpressionError",
        message: "Expression result is not JSON-serializable",
        nodePath: "root.steps[0]",
      });
      expect(h.stepStatuses()).to.deep.equal(["root.steps[0] FAILED"]);
      expect(h.recording.runs.rows.get(h.outcome.runId)).to.include({ status: "FAILED", node_path: null });
    });
  });

  describe("action.call", () => {
    it("resolves Exprs, literals and nested Exprs, saves the output, and records the invocation", async () => {
      const seen: unknown[] = [];
      const h = await run(
        [
          call(
            "c",
            "tickets.find",
            {
              ticket_id: expr("payload.id"),
              include: { attributes: true, nested: [expr("payload.id & '!'"), 3] },
              mode: "x",
            },
            { saveAs: "lookup" },
          ),
        ],
        {
          payload: { id: "t-1" },
          handlers: {
            "tickets.find@1": (input) => {
              seen.push(input);
              return { ticket: { id: "t-1" } };
            },
          },
        },
      );
      const input = { ticket_id: "t-1", include: { attributes: true, nested: ["t-1!", 3] }, mode: "x" };
      expect(seen).to.deep.equal([input]);
      expect(h.outcome.envelope.vars).to.deep.equal({ lookup: { ticket: { id: "t-1" } } });
      const [invocation] = [...h.recording.invocations.rows.values()];
      expect(invocation).to.include({
        step_path: "root.steps[0]",
        action_id: "tickets.find",
        action_version: 1,
        status: "SUCCEEDED",
        attempt: 1,
      });
      expect(invocation?.input_json).to.deep.equal(input);
      expect(invocation?.output_json).to.deep.equal({ ticket: { id: "t-1" } });
      expect(invocation?.idempotency_key).to.equal(
        computeIdempotencyKey(TENANT, h.outcome.runId, "root.steps[0]", "tickets.find", 1, input),
      );
    });

    it("returns {} from the default handler of a catalog action", async () => {
      const h = await run([call("c", "email.send", { to: "a@b.c" }, { saveAs: "vars.sent" })]);
      expect(h.outcome.envelope.vars).to.deep.equal({ sent: {} });
    });

    it("resolves $secret from the secrets map and records the input redacted", async () => {
      let received: unknown;
      const h = await run([call("c", "email.send", { auth: { token: { $secret: "API_TOKEN" } } })], {
        secrets: { API_TOKEN: "s3cr3t" },
        handlers: {
          "email.send@1": (input) => {
            received = input;
          },
        },
      });
      expect(received).to.deep.equal({ auth: { token: "s3cr3t" } });
      expect([...h.recording.invocations.rows.values()][0]?.input_json).to.deep.equal({
        auth: { token: "[REDACTED]" },
      });
    });

    it("fails clearly when a secret was not given", async () => {
      const h = await run([call("c", "email.send", { token: { $secret: "MISSING_ONE" } })]);
      expect(h.outcome.error?.category).to.equal("ActionError");
      expect(h.outcome.error?.message).to.match(/^Failed to resolve secret "MISSING_ONE": /);
    });

    it("fails with ValidationError for an action without a handler", async () => {
      const h = await run([call("c", "nope.action")]);
      expect(h.outcome.error).to.include({ category: "ValidationError" });
      expect(h.outcome.error?.message).to.match(/^Unknown action nope\.action@1/);
    });

    it("retries per the retry policy (retryOn categories), recording each attempt", async () => {
      let calls = 0;
      const delays: number[] = [];
      const h = await run(
        [
          {
            ...call("c", "email.send", { to: "x" }),
            retry: { maxAttempts: 3, backoffMs: 100, backoffMultiplier: 3, retryOn: ["TransientError"] },
          },
        ],
        {
          handlers: {
            "email.send@1": () => {
              calls++;
              if (calls < 3) throw createActionFailure("TransientError", `busy ${calls}`);
              return { ok: true };
            },
          },
          sleep: async (ms) => {
            delays.push(ms);
          },
        },
      );
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(delays).to.deep.equal([100, 300]);
      expect(h.steps().map((s) => `${s.status} ${s.attempt}`)).to.deep.equal([
        "RETRY_SCHEDULED 1",
        "RETRY_SCHEDULED 2",
        "SUCCEEDED 3",
      ]);
      const [invocation] = [...h.recording.invocations.rows.values()];
      expect(invocation).to.include({ status: "SUCCEEDED", attempt: 3 });
    });

    it("does not retry a category that retryOn does not list", async () => {
      const h = await run(
        [{ ...call("c", "email.send"), retry: { maxAttempts: 5, backoffMs: 0, retryOn: ["TransientError"] } }],
        {
          handlers: {
            "email.send@1": () => {
              throw new Error("boom");
            },
          },
        },
      );
      expect(h.outcome.error).to.include({ category: "ActionError", message: "boom" });
      expect(h.stepStatuses()).to.deep.equal(["root.steps[0] FAILED"]);
    });

    it("onError continue records the error and moves on", async () => {
      const h = await run(
        [
          call("c", "email.send", {}, { onError: { policy: "continue" } }),
          assign("a", { "vars.after": "error.message" }),
        ],
        {
          handlers: {
            "email.send@1": () => {
              throw new Error("smtp down");
            },
          },
        },
      );
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(h.outcome.envelope.vars).to.deep.equal({ after: "smtp down" });
      expect(h.stepStatuses()).to.deep.equal(["root.steps[0] FAILED", "root.steps[1] SUCCEEDED"]);
    });

    it("returns the recorded output for a repeated idempotency key without calling the handler again", async () => {
      let calls = 0;
      const h = await run(
        [
          call("c1", "email.send", {}, { idempotencyKey: expr("'k-1'"), saveAs: "first" }),
          call("c2", "email.send", {}, { idempotencyKey: expr("'k-1'"), saveAs: "second" }),
        ],
        {
          handlers: {
            "email.send@1": () => {
              calls++;
              return { n: calls };
            },
          },
        },
      );
      expect(calls).to.equal(1);
      expect(h.outcome.envelope.vars).to.deep.equal({ first: { n: 1 }, second: { n: 1 } });
      const keys = [...h.recording.invocations.rows.values()].map((i) => i.idempotency_key);
      expect(keys).to.deep.equal([`${TENANT}:k-1`]);
    });
  });

  describe("control.if", () => {
    it("runs then or else", async () => {
      const steps = [
        ifStep("if", "payload.n > 1", [assign("t", { "vars.b": "'then'" })], [assign("e", { "vars.b": "'else'" })]),
      ];
      expect((await run(steps, { payload: { n: 2 } })).outcome.envelope.vars).to.deep.equal({ b: "then" });
      const h = await run(steps, { payload: { n: 0 } });
      expect(h.outcome.envelope.vars).to.deep.equal({ b: "else" });
      expect(h.stepStatuses()).to.deep.equal(["root.steps[0] SUCCEEDED", "root.steps[0].else.steps[0] SUCCEEDED"]);
    });

    it("fails when the condition is not a boolean", async () => {
      const h = await run([ifStep("if", "'yes'", [])]);
      expect(h.outcome.error).to.include({
        category: "ExpressionError",
        message: "control.if condition did not evaluate to boolean",
        nodePath: "root.steps[0]",
      });
    });
  });

  describe("control.forEach", () => {
    it("binds each item to vars.<itemVar> and restores the previous value afterwards", async () => {
      const seen: unknown[] = [];
      const h = await run(
        [
          assign("a", { "vars.item": "'before'" }),
          {
            id: "each",
            type: "control.forEach",
            items: expr("payload.list"),
            itemVar: "item",
            body: [call("c", "email.send", { to: expr("vars.item") })],
          },
        ],
        {
          payload: { list: ["a", "b"] },
          handlers: {
            "email.send@1": (input) => {
              seen.push(input);
            },
          },
        },
      );
      expect(seen).to.deep.equal([{ to: "a" }, { to: "b" }]);
      expect(h.outcome.envelope.vars).to.deep.equal({ item: "before" });
      expect(h.steps().map((s) => `${s.step_path} ${s.attempt}`)).to.deep.equal([
        "root.steps[0] 1",
        "root.steps[1] 1",
        "root.steps[1].body.steps[0] 1",
        "root.steps[1].body.steps[0] 2",
      ]);
    });

    it("onItemError continue records the error and goes on with the next step of the same item", async () => {
      const h = await run(
        [
          {
            id: "each",
            type: "control.forEach",
            items: expr("[1, 2]"),
            itemVar: "n",
            onItemError: "continue",
            body: [call("c", "email.send"), assign("log", { "vars.log": "append(vars.log, vars.n)" })],
          },
        ],
        {
          handlers: {
            "email.send@1": () => {
              throw new Error("fails every time");
            },
          },
        },
      );
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(h.outcome.envelope.vars.log).to.deep.equal([1, 2]);
      expect(h.outcome.envelope.error).to.include({ category: "ActionError", message: "fails every time" });
    });

    it("fails the run on an item error by default", async () => {
      const h = await run([
        {
          id: "each",
          type: "control.forEach",
          items: expr("[1]"),
          itemVar: "n",
          body: [assign("a", { "vars.x": "payload.nope" })],
        },
      ]);
      expect(h.outcome.status).to.equal("FAILED");
      expect(h.outcome.envelope.vars).to.deep.equal({});
    });

    it("fails when items is not an array", async () => {
      const h = await run([{ id: "each", type: "control.forEach", items: expr("'x'"), itemVar: "n", body: [] }]);
      expect(h.outcome.error).to.include({
        category: "ValidationError",
        message: "control.forEach items did not evaluate to array",
      });
    });
  });

  describe("control.tryCatch", () => {
    it("runs catch with the error captured as vars.<captureErrorAs>", async () => {
      const h = await run([
        {
          id: "tc",
          type: "control.tryCatch",
          captureErrorAs: "caught",
          try: [assign("bad", { "vars.x": "payload.nope" }), assign("never", { "vars.never": "1" })],
          catch: [assign("c", { "vars.handled": "vars.caught.category & ':' & vars.caught.nodePath" })],
        },
      ]);
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(h.outcome.envelope.vars.handled).to.equal("ExpressionError:root.steps[0].try.steps[0]");
      expect(h.outcome.envelope.vars.caught).to.include({
        category: "ExpressionError",
        nodePath: "root.steps[0].try.steps[0]",
      });
      expect(h.stepStatuses()).to.deep.equal([
        "root.steps[0] SUCCEEDED",
        "root.steps[0].try.steps[0] FAILED",
        "root.steps[0].catch.steps[0] SUCCEEDED",
      ]);
    });

    it("a try around a forEach wins over its onItemError (Alga's precedence)", async () => {
      const h = await run([
        {
          id: "tc",
          type: "control.tryCatch",
          try: [
            {
              id: "each",
              type: "control.forEach",
              items: expr("[1, 2]"),
              itemVar: "n",
              onItemError: "continue",
              body: [assign("bad", { "vars.x": "payload.nope" })],
            },
          ],
          catch: [assign("c", { "vars.caught": "true" })],
        },
      ]);
      expect(h.outcome.envelope.vars).to.deep.equal({ caught: true });
      expect(h.steps().filter((s) => s.status === "FAILED")).to.have.length(1);
    });
  });

  describe("control.return", () => {
    it("ends the whole run successfully, even nested in a loop inside a try", async () => {
      const h = await run([
        {
          id: "tc",
          type: "control.tryCatch",
          try: [
            {
              id: "each",
              type: "control.forEach",
              items: expr("[1, 2, 3]"),
              itemVar: "n",
              body: [
                ifStep("if", "vars.n = 2", [ret("stop")]),
                assign("log", { "vars.log": "append(vars.log, vars.n)" }),
              ],
            },
          ],
          catch: [assign("c", { "vars.caught": "true" })],
        },
        assign("after", { "vars.after": "true" }),
      ]);
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(h.outcome.envelope.vars).to.deep.equal({ log: [1] });
    });
  });

  describe("control.callWorkflow", () => {
    const childId = randomUUID();
    const child = (steps: unknown[]): CallTarget => ({
      workflowId: childId,
      version: 1,
      definition: define(steps),
      definitionHash: "c",
    });

    it("runs the child with the mapped input and maps its output back", async () => {
      const target = child([assign("double", { "vars.result": "payload.n * 2" })]);
      const h = await run(
        [
          {
            id: "call",
            type: "control.callWorkflow",
            workflowId: childId,
            workflowVersion: 1,
            inputMapping: { n: expr("payload.n") },
            outputMapping: { "vars.fromChild": expr("vars.childRun.vars.result") },
          },
        ],
        { payload: { n: 21 }, targets: [target] },
      );
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(h.outcome.envelope.vars).to.deep.equal({ fromChild: 42 });
      const runs = [...h.recording.runs.rows.values()];
      expect(runs).to.have.length(2);
      const childRun = runs.find((r) => r.run_id !== h.outcome.runId);
      expect(childRun).to.include({
        status: "SUCCEEDED",
        parent_run_id: h.outcome.runId,
        root_run_id: h.outcome.runId,
        workflow_id: childId,
      });
      expect(childRun?.input_json).to.deep.equal({ n: 21 });
    });

    it("fails with ChildWorkflowError when the child fails or does not exist", async () => {
      const failing = await run(
        [{ id: "call", type: "control.callWorkflow", workflowId: childId, workflowVersion: 1 }],
        {
          targets: [child([assign("bad", { "vars.x": "payload.nope" })])],
        },
      );
      expect(failing.outcome.error).to.include({ category: "ChildWorkflowError" });
      expect(failing.outcome.error?.message).to.match(/^Child workflow execution failed: Expression result/);
      const missing = await run([
        { id: "call", type: "control.callWorkflow", workflowId: childId, workflowVersion: 7 },
      ]);
      expect(missing.outcome.error).to.include({ category: "ChildWorkflowError" });
    });

    it("cancels a child that waits (children must finish within the call)", async () => {
      const h = await run([{ id: "call", type: "control.callWorkflow", workflowId: childId, workflowVersion: 1 }], {
        targets: [child([{ id: "w", type: "time.wait", config: { mode: "duration", durationMs: 60_000 } }])],
      });
      expect(h.outcome.error).to.include({ category: "ChildWorkflowError" });
      const childRun = [...h.recording.runs.rows.values()].find((r) => r.run_id !== h.outcome.runId);
      expect(childRun?.status).to.equal("CANCELED");
      expect([...h.recording.waits.rows.values()].map((w) => w.status)).to.deep.equal(["CANCELED"]);
    });
  });

  describe("event.wait", () => {
    const steps = [
      assign("before", { "vars.before": "true" }),
      {
        id: "each",
        type: "control.forEach",
        items: expr("['a', 'b']"),
        itemVar: "item",
        body: [
          {
            id: "wait",
            type: "event.wait",
            config: {
              eventName: "REPLY",
              correlationKey: expr("payload.ticketId"),
              timeoutMs: 1000,
              filters: [{ path: "kind", op: "=", value: "reply" }],
              assign: { "vars.replies": expr("append(vars.replies, vars.event.text & '/' & vars.item)") },
            },
          },
        ],
      },
      ret(),
    ];

    it("stops in WAITING with a wait row, then continues with the delivered event, inside a loop", async () => {
      const first = await run(steps, { payload: { ticketId: "t-9" } });
      expect(first.outcome).to.include({ status: "WAITING", nodePath: "root.steps[1].body.steps[0]" });
      const [wait] = [...first.recording.waits.rows.values()];
      expect(wait).to.include({ wait_type: "event", event_name: "REPLY", key: "t-9", status: "WAITING" });
      expect(wait?.timeout_at).to.equal("2026-03-01T12:00:01.000Z");
      expect(first.steps().at(-1)).to.include({ step_path: "root.steps[1].body.steps[0]", status: "STARTED" });

      const second = await resume(first, steps, {
        kind: "event",
        eventName: "REPLY",
        payload: { text: "hi" },
        eventId: randomUUID(),
      });
      expect(second.outcome).to.include({ status: "WAITING", nodePath: "root.steps[1].body.steps[0]" });
      expect(wait).to.include({ status: "RESOLVED" });
      expect(second.outcome.envelope.vars.replies).to.deep.equal(["hi/a"]);

      const third = await resume(second, steps, {
        kind: "event",
        eventName: "REPLY",
        payload: { text: "yo" },
        eventId: randomUUID(),
      });
      expect(third.outcome.status).to.equal("SUCCEEDED");
      expect(third.outcome.envelope.vars).to.deep.include({
        before: true,
        replies: ["hi/a", "yo/b"],
        eventName: "REPLY",
      });
      expect(third.outcome.envelope.vars).to.not.have.property("item");
      expect(third.outcome.envelope.vars).to.not.have.property("__forEach");
      const waitSteps = third.steps().filter((s) => s.step_path === "root.steps[1].body.steps[0]");
      expect(waitSteps.map((s) => `${s.status} ${s.attempt}`)).to.deep.equal(["SUCCEEDED 1", "SUCCEEDED 2"]);
    });

    it("fails the step with TimeoutError when the timeout fires", async () => {
      const first = await run(steps, { payload: { ticketId: "t-9" } });
      const second = await resume(first, steps, { kind: "timeout" });
      expect(second.outcome.status).to.equal("FAILED");
      expect(second.outcome.error).to.include({
        category: "TimeoutError",
        message: "event.wait timed out waiting for REPLY",
      });
    });
  });

  describe("time.wait", () => {
    it("waits for a duration and continues when the timer fires, with vars.timeWait", async () => {
      const steps = [
        {
          id: "t",
          type: "time.wait",
          config: { mode: "duration", durationMs: 5000, assign: { "vars.done": expr("true") } },
        },
      ];
      const first = await run(steps);
      expect(first.outcome.status).to.equal("WAITING");
      expect([...first.recording.waits.rows.values()][0]).to.include({
        wait_type: "time",
        timeout_at: "2026-03-01T12:00:05.000Z",
      });
      const second = await resume(first, steps, { kind: "timer" });
      expect(second.outcome.status).to.equal("SUCCEEDED");
      expect(second.outcome.envelope.vars).to.deep.equal({
        done: true,
        timeWait: { mode: "duration", dueAt: "2026-03-01T12:00:05.000Z", resumedAt: "2026-03-01T12:00:00.000Z" },
      });
    });

    it("continues at once when 'until' is already past", async () => {
      const h = await run([
        { id: "t", type: "time.wait", config: { mode: "until", until: expr("'2020-01-01T00:00:00Z'") } },
      ]);
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect([...h.recording.waits.rows.values()][0]).to.include({ status: "RESOLVED" });
    });
  });

  describe("human.task", () => {
    it("waits for HUMAN_TASK_COMPLETED and assigns from the response", async () => {
      const steps = [
        {
          id: "h",
          type: "human.task",
          config: {
            taskType: "approve",
            title: expr("'Approve ' & payload.id"),
            assign: { "vars.approved": expr("vars.event.approved") },
          },
        },
      ];
      const first = await run(steps, { payload: { id: "x" } });
      const [wait] = [...first.recording.waits.rows.values()];
      expect(wait).to.include({ wait_type: "human", event_name: "HUMAN_TASK_COMPLETED" });
      expect(wait?.payload).to.deep.include({ title: "Approve x", taskType: "approve" });
      const second = await resume(first, steps, {
        kind: "human",
        eventName: "HUMAN_TASK_COMPLETED",
        payload: { approved: true },
        eventId: randomUUID(),
      });
      expect(second.outcome.envelope.vars).to.deep.include({ approved: true });
    });

    for (const config of [undefined, null])
      it(`fails with a ValidationError that names the missing config when the config is ${config}`, async () => {
        const step: Record<string, unknown> = { id: "h", type: "human.task" };
        if (config !== undefined) step.config = config;
        const h = await run([step, ret()]);
        expect(h.outcome.status).to.equal("FAILED");
        expect(h.outcome.error).to.include({ category: "ValidationError", nodePath: "root.steps[0]" });
        expect(h.outcome.error?.message).to.match(/^human\.task needs a config with taskType and title/);
        expect(h.recording.waits.rows.size).to.equal(0);
      });
  });

  describe("keys named __proto__ or constructor are data (as JSON.parse makes them), never a prototype", () => {
    const ownValue = (object: unknown, key: string) => Object.getOwnPropertyDescriptor(object, key)?.value;

    it("action.call: a secret under __proto__ reaches the action as data and is redacted there; Object.prototype is untouched", async () => {
      let received: unknown;
      const inputMapping = JSON.parse('{"__proto__": {"z": {"$secret": "X"}}, "plain": {"$expr": "1"}}');
      try {
        const h = await run([call("c", "email.send", inputMapping)], {
          secrets: { X: "s3cr3t" },
          handlers: {
            "email.send@1": (input) => {
              received = input;
            },
          },
        });
        expect(h.outcome.status).to.equal("SUCCEEDED");
        expect(Object.hasOwn(Object.prototype, "z")).to.equal(false);
        expect(JSON.stringify(received)).to.equal('{"__proto__":{"z":"s3cr3t"},"plain":1}');
        expect(Object.getPrototypeOf(received)).to.equal(Object.prototype);
        const [invocation] = [...h.recording.invocations.rows.values()];
        expect(JSON.stringify(invocation?.input_json)).to.equal('{"__proto__":{"z":"[REDACTED]"},"plain":1}');
      } finally {
        delete (Object.prototype as Record<string, unknown>).z;
      }
    });

    it("action.call: a secret under constructor is redacted in the input's own key only", async () => {
      let received: unknown;
      const inputMapping = JSON.parse('{"constructor": {"$secret": "X"}}');
      const h = await run([call("c", "email.send", inputMapping)], {
        secrets: { X: "s3cr3t" },
        handlers: {
          "email.send@1": (input) => {
            received = input;
          },
        },
      });
      expect(ownValue(received, "constructor")).to.equal("s3cr3t");
      expect(ownValue([...h.recording.invocations.rows.values()][0]?.input_json, "constructor")).to.equal("[REDACTED]");
      expect(Object.prototype.constructor).to.equal(Object);
    });

    it("control.callWorkflow: an input named __proto__ is a key of the child's payload", async () => {
      const childId = randomUUID();
      const target: CallTarget = {
        workflowId: childId,
        version: 1,
        definition: define([assign("got", { "vars.got": "payload" })]),
        definitionHash: "c",
      };
      const h = await run(
        [
          {
            id: "call",
            type: "control.callWorkflow",
            workflowId: childId,
            workflowVersion: 1,
            inputMapping: JSON.parse('{"__proto__": {"$expr": "payload.n"}}'),
            outputMapping: { "vars.fromChild": expr("vars.childRun.vars.got") },
          },
        ],
        { payload: { n: { deep: 1 } }, targets: [target] },
      );
      expect(h.outcome.status).to.equal("SUCCEEDED");
      expect(JSON.stringify(h.outcome.envelope.vars.fromChild)).to.equal('{"__proto__":{"deep":1}}');
    });

    it("human.task: context data named __proto__ is recorded as data", async () => {
      const h = await run([
        {
          id: "h",
          type: "human.task",
          config: { taskType: "t", title: expr("'T'"), contextData: JSON.parse('{"__proto__": {"$expr": "\'x\'"}}') },
        },
      ]);
      const [wait] = [...h.recording.waits.rows.values()];
      expect(JSON.stringify((wait?.payload as { contextData: unknown } | undefined)?.contextData)).to.equal(
        '{"__proto__":"x"}',
      );
    });

    it("control.forEach: a loop whose step id is __proto__ resumes from its saved state", async () => {
      const steps = [
        {
          id: "__proto__",
          type: "control.forEach",
          items: expr("['a', 'b']"),
          itemVar: "item",
          body: [
            {
              id: "ask",
              type: "human.task",
              config: {
                taskType: "t",
                title: expr("vars.item"),
                assign: { "vars.log": expr("append(vars.log, vars.item)") },
              },
            },
          ],
        },
      ];
      const human = (): WaitDelivery => ({
        kind: "human",
        eventName: "HUMAN_TASK_COMPLETED",
        payload: {},
        eventId: randomUUID(),
      });
      const first = await run(steps);
      expect(first.outcome.status).to.equal("WAITING");
      const second = await resume(first, steps, human());
      expect(second.outcome.status).to.equal("WAITING");
      const third = await resume(second, steps, human());
      expect(third.outcome.status).to.equal("SUCCEEDED");
      expect(third.outcome.envelope.vars).to.deep.include({ log: ["a", "b"] });
      expect(Object.keys(third.outcome.envelope.vars)).to.not.include("__forEach");
    });
  });

  describe("unsupported and unknown node types", () => {
    it("fails with ValidationError", async () => {
      const h = await run([{ id: "x", type: "email.parseBody", config: {} }]);
      expect(h.outcome.error).to.include({ category: "ValidationError" });
      expect(h.outcome.error?.message).to.match(/not supported by the reference runtime/);
    });
  });

  describe("helpers", () => {
    it("hashes idempotency input with Alga's rolling hash", () => {
      expect(hashIdempotencyInput("")).to.equal("0");
      expect(hashIdempotencyInput("a")).to.equal((97).toString(36));
      expect(hashIdempotencyInput("ab")).to.equal((97 * 31 + 98).toString(36));
    });

    it("computes retry delays and eligibility", () => {
      const policy = { maxAttempts: 4, backoffMs: 100, maxDelayMs: 250 };
      expect([1, 2, 3].map((a) => computeRetryDelayMs(policy, a))).to.deep.equal([100, 200, 250]);
      expect(shouldRetry(policy, 3, "ActionError")).to.equal(true);
      expect(shouldRetry(policy, 4, "ActionError")).to.equal(false);
      expect(shouldRetry({ ...policy, retryOn: [] }, 1, "X")).to.equal(true);
      expect(shouldRetry(undefined, 1, "X")).to.equal(false);
    });
  });
});
