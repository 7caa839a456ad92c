/**
 * Real Alga bundles from ../shared/corpus/alga (when present), imported, published and run through
 * the public API on PostgreSQL and PGlite, with payloads like the ones Alga's workflow harness sends
 * them (`fixtureNotifyUserId`, `fixtureDedupeKey`, `fixtureBadUserId`, ...). The same behaviours
 * run on the project's own fixtures in fixture-runtime.test.ts, and every set is verified whole in
 * verify-bundle-sets.test.ts.
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Knex } from "knex";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { importBundles } from "../../../src/import/import-bundle.js";
import {
  createActionRegistry,
  publishWorkflow,
  resumeRun,
  runWorkflow,
  verifyBundles,
} from "../../../src/runtime/index.js";
import { type BundleSet, describeCorpus } from "../../support/bundle-sets.js";
import { describeEachEngine, fingerprint, type TestDatabase } from "../../support/databases.js";

const newTenant = () => randomUUID();

let corpus: BundleSet;

async function importCorpus(
  knex: Knex,
  tenant: string,
  files: string[],
  patch?: (bundle: Record<string, unknown>) => void,
): Promise<void> {
  const sources = files.map((file) => {
    const bundle = corpus.readBundle(file);
    patch?.(bundle);
    return { bundle, file };
  });
  await importBundles(knex, sources, { tenant });
}

async function expectIssue(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    if (!isWorkflowSeederError(error)) throw error;
    expect(error.code).to.equal(code);
    return error.details as Record<string, unknown>;
  }
  throw new Error(`expected ${code}`);
}

async function rows(knex: Knex, sql: string, bindings: unknown[]): Promise<Record<string, unknown>[]> {
  return (await knex.raw(sql, bindings as never)).rows;
}

describeCorpus("runtime: real Alga bundles", (set) => {
  corpus = set;
  describeEachEngine("runtime", declareCorpusRuntimeTests);
});

function declareCorpusRuntimeTests(db: () => TestDatabase): void {
  describe("fixture.ticket-created-hello", () => {
    it("publishes the draft as the next version and records the validation", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-hello.bundle.json"]);
      const result = await publishWorkflow(knex, { tenant, key: "fixture.ticket-created-hello" });
      expect(result).to.include({ workflowKey: "fixture.ticket-created-hello", version: 2 });
      expect(result.warnings).to.deep.equal([]);
      const [workflow] = await rows(
        knex,
        "select status, draft_version, draft_definition, validation_status, validation_errors, validated_at from workflow_definitions where tenant = ?",
        [tenant],
      );
      expect(workflow).to.include({ status: "published", draft_version: 3, validation_status: "valid" });
      expect(workflow?.validation_errors).to.deep.equal([]);
      expect(workflow?.validated_at).to.not.equal(null);
      expect(((workflow as Record<string, unknown>).draft_definition as { version: number }).version).to.equal(3);
      const versions = await rows(
        knex,
        "select version, definition_json, validation_status from workflow_definition_versions where tenant = ? order by version",
        [tenant],
      );
      expect(versions.map((v) => v.version)).to.deep.equal([1, 2]);
      expect(versions[1]?.definition_json).to.deep.include({ id: result.workflowId, version: 2 });
      expect(versions[1]?.validation_status).to.equal("valid");
    });

    it("runs to SUCCEEDED and records the run, its steps and snapshots", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-hello.bundle.json"]);
      const run = await runWorkflow(knex, {
        tenant,
        key: "fixture.ticket-created-hello",
        payload: { ticketId: "t-1" },
      });
      expect(run).to.deep.include({ workflowKey: "fixture.ticket-created-hello", version: 1, status: "SUCCEEDED" });
      expect(run).to.not.have.property("error");
      expect(run.steps).to.deep.equal([
        { stepPath: "root.steps[0]", stepId: "state-ready", type: "state.set", status: "SUCCEEDED" },
        { stepPath: "root.steps[1]", stepId: "assign-message", type: "transform.assign", status: "SUCCEEDED" },
        { stepPath: "root.steps[2]", stepId: "done", type: "control.return", status: "SUCCEEDED" },
      ]);
      expect(run.vars).to.deep.equal({ message: "hello" });
      expect(run.meta).to.deep.equal({ state: "READY" });
      const [runRow] = await rows(
        knex,
        "select status, node_path, input_json, completed_at, definition_hash from workflow_runs where tenant = ? and run_id = ?",
        [tenant, run.runId],
      );
      expect(runRow).to.include({ status: "SUCCEEDED", node_path: null });
      expect(runRow?.input_json).to.deep.equal({ ticketId: "t-1" });
      expect(runRow?.completed_at).to.not.equal(null);
      expect(runRow?.definition_hash).to.match(/^[0-9a-f]{64}$/);
      const steps = await rows(
        knex,
        "select attempt, duration_ms, snapshot_id from workflow_run_steps where tenant = ? and run_id = ?",
        [tenant, run.runId],
      );
      expect(steps).to.have.length(3);
      for (const s of steps) {
        expect(s.attempt).to.equal(1);
        expect(s.duration_ms).to.be.a("number");
        expect(s.snapshot_id).to.be.a("string");
      }
    });
  });

  describe("a notification (action.call): fixture.invoice-sent-notify", () => {
    it("calls notifications.send_in_app with the resolved input and an idempotency key", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["invoice-sent-notify.bundle.json"]);
      const payload = { invoiceId: "inv-1", fixtureNotifyUserId: "user-1", fixtureDedupeKey: "dedupe-1" };
      const run = await runWorkflow(knex, { tenant, key: "fixture.invoice-sent-notify", payload });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations).to.deep.equal([
        {
          stepPath: "root.steps[2].then.steps[0]",
          actionId: "notifications.send_in_app",
          version: 1,
          input: {
            recipients: { user_ids: ["user-1"] },
            title: "[fixture invoice-sent-notify] Notify",
            body: "[fixture invoice-sent-notify] dedupe=dedupe-1",
            severity: "info",
            dedupe_key: "fixture.invoice-sent-notify:dedupe-1",
          },
          output: {},
        },
      ]);
      const [invocation] = await rows(
        knex,
        "select idempotency_key, status, attempt from workflow_action_invocations where tenant = ? and run_id = ?",
        [tenant, run.runId],
      );
      expect(invocation).to.include({ status: "SUCCEEDED", attempt: 1 });
      expect(invocation?.idempotency_key).to.match(
        new RegExp(
          `^${tenant}:${run.runId}:root\\.steps\\[2\\]\\.then\\.steps\\[0\\]:notifications\\.send_in_app:1:[0-9a-z]+$`,
        ),
      );
    });

    it("takes the else branch when the fixture mode says so", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["invoice-sent-notify.bundle.json"]);
      const run = await runWorkflow(knex, {
        tenant,
        key: "fixture.invoice-sent-notify",
        payload: { fixtureMode: "skip", fixtureDedupeKey: "d" },
      });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations).to.deep.equal([]);
      expect(run.steps.map((s) => s.stepId)).to.deep.equal([
        "state-fixture",
        "assign-text",
        "if-notify",
        "return-after-skip",
      ]);
    });
  });

  describe("task creation: fixture.ticket-created-create-project-task", () => {
    it("saves the lookup and creates the task with the looked-up project", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-create-project-task.bundle.json"]);
      const actions = createActionRegistry().register("tickets.find@1", (input) => ({
        ticket: { id: (input as { ticket_id: string }).ticket_id, attributes: { fixture_project_id: "project-7" } },
      }));
      const run = await runWorkflow(knex, {
        tenant,
        key: "fixture.ticket-created-create-project-task",
        payload: { ticketId: "t-42" },
        actions,
      });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations.map((i) => [i.actionId, i.input])).to.deep.equal([
        ["tickets.find", { ticket_id: "t-42", include: { attributes: true } }],
        [
          "projects.create_task",
          {
            project_id: "project-7",
            title: "[fixture ticket-created-create-project-task] Follow-up for ticketId=t-42",
          },
        ],
      ]);
      expect(run.vars).to.deep.include({ projectId: "project-7" });
      expect((run.vars as { lookup: unknown }).lookup).to.deep.equal({
        ticket: { id: "t-42", attributes: { fixture_project_id: "project-7" } },
      });
    });

    it("fails with the expression error when the lookup returns nothing (the default {} result)", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-create-project-task.bundle.json"]);
      const run = await runWorkflow(knex, {
        tenant,
        key: "fixture.ticket-created-create-project-task",
        payload: { ticketId: "t-42" },
      });
      expect(run.status).to.equal("FAILED");
      expect(run.error).to.include({ category: "ExpressionError", nodePath: "root.steps[2]" });
      expect(run.steps.at(-1)).to.include({ stepPath: "root.steps[2]", status: "FAILED" });
      const [runRow] = await rows(knex, "select status, error_json from workflow_runs where run_id = ?", [run.runId]);
      expect(runRow?.status).to.equal("FAILED");
      expect(runRow?.error_json).to.deep.include({ category: "ExpressionError", nodePath: "root.steps[2]" });
    });
  });

  describe("control.forEach with onItemError continue: fixture.ticket-created-foreach-assign-with-errors", () => {
    const key = "fixture.ticket-created-foreach-assign-with-errors";
    const payload = { ticketId: "t-5", fixtureNotifyUserId: "u-1", fixtureDedupeKey: "d-5" };
    const marker = "[fixture ticket-created-foreach-assign-with-errors]";

    it("continues after an item's failure; the next item re-claims the failed invocation", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-foreach-assign-with-errors.bundle.json"]);
      const calls: unknown[] = [];
      const actions = createActionRegistry().register("tickets.add_comment@1", (input) => {
        calls.push(input);
        if (calls.length === 1) throw new Error("ticket is locked");
        return { comment_id: "c-1" };
      });
      const run = await runWorkflow(knex, { tenant, key, payload, actions });
      expect(run.status).to.equal("SUCCEEDED");
      const input = { ticket_id: "t-5", body: `${marker} ${marker} dedupe=d-5`, visibility: "internal" };
      expect(calls).to.deep.equal([input, input]);
      expect(run.steps.map((s) => `${s.stepPath} ${s.status}`)).to.deep.equal([
        "root.steps[0] SUCCEEDED",
        "root.steps[1] SUCCEEDED",
        "root.steps[2] SUCCEEDED",
        "root.steps[2].body.steps[0] FAILED",
        "root.steps[2].body.steps[0] SUCCEEDED",
        "root.steps[3] SUCCEEDED",
      ]);
      // Both items send the same input from the same step: one idempotency key, claimed twice.
      const invocations = await rows(
        knex,
        "select status, attempt, input_json, output_json from workflow_action_invocations where tenant = ?",
        [tenant],
      );
      expect(invocations).to.have.length(1);
      expect(invocations[0]).to.deep.include({
        status: "SUCCEEDED",
        attempt: 2,
        input_json: input,
        output_json: { comment_id: "c-1" },
      });
      const attempts = await rows(
        knex,
        "select attempt from workflow_run_steps where tenant = ? and step_path = 'root.steps[2].body.steps[0]' order by attempt",
        [tenant],
      );
      expect(attempts.map((a) => a.attempt)).to.deep.equal([1, 2]);
      expect(run.vars).to.not.have.property("item");
    });

    it("succeeds with the error recorded when every item fails", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-foreach-assign-with-errors.bundle.json"]);
      const actions = createActionRegistry().register("tickets.add_comment@1", () => {
        throw new Error("no such ticket");
      });
      const run = await runWorkflow(knex, { tenant, key, payload, actions });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.steps.filter((s) => s.status === "FAILED")).to.have.length(2);
      const [invocation] = await rows(
        knex,
        "select status, attempt, error_message from workflow_action_invocations where tenant = ?",
        [tenant],
      );
      expect(invocation).to.include({ status: "FAILED", attempt: 2, error_message: "no such ticket" });
    });
  });

  describe("control.tryCatch: fixture.payment-failed-email-trycatch", () => {
    const key = "fixture.payment-failed-email-trycatch";

    it("refuses to publish the draft (it reuses the step id notify) and writes nothing", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["payment-failed-email-trycatch.bundle.json"]);
      const before = await fingerprint(knex, tenant);
      const details = await expectIssue(publishWorkflow(knex, { tenant, key }), "PUBLISH_VALIDATION_FAILED");
      expect(details.workflowKey).to.equal(key);
      expect(details.errors).to.deep.equal([
        {
          code: "DUPLICATE_STEP_ID",
          stepPath: "root.steps[2].catch.steps[0]",
          path: "/steps/2/catch/0/id",
          message: "Duplicate step id notify",
        },
      ]);
      expect(await fingerprint(knex, tenant)).to.deep.equal(before);
    });

    it("runs the published version: the failing try goes to catch, which sees the captured error", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["payment-failed-email-trycatch.bundle.json"]);
      const goodUsers = new Set(["user-ok"]);
      const actions = createActionRegistry().register("notifications.send_in_app@1", (input) => {
        const ids = (input as { recipients: { user_ids: string[] } }).recipients.user_ids;
        if (!ids.every((id) => goodUsers.has(id))) throw new Error(`unknown user ${ids.join(",")}`);
        return { notification_ids: ["n-1"] };
      });
      const payload = {
        paymentId: "p-1",
        fixtureNotifyUserId: "user-ok",
        fixtureBadUserId: "user-bad",
        fixtureDedupeKey: "d-9",
      };
      const run = await runWorkflow(knex, { tenant, key, payload, actions });
      expect(run).to.deep.include({ status: "SUCCEEDED", version: 1 });
      expect(run.steps.map((s) => `${s.stepPath} ${s.stepId} ${s.status}`)).to.deep.equal([
        "root.steps[0] state-fixture SUCCEEDED",
        "root.steps[1] assign-text SUCCEEDED",
        "root.steps[2] try-notify SUCCEEDED",
        "root.steps[2].try.steps[0] notify FAILED",
        "root.steps[2].catch.steps[0] notify SUCCEEDED",
        "root.steps[2].catch.steps[1] return-after-catch SUCCEEDED",
      ]);
      expect(run.invocations.map((i) => [i.stepPath, i.output])).to.deep.equal([
        ["root.steps[2].try.steps[0]", null],
        ["root.steps[2].catch.steps[0]", { notification_ids: ["n-1"] }],
      ]);
      expect(run.invocations[1]?.input).to.deep.include({
        recipients: { user_ids: ["user-ok"] },
        body: "[fixture payment-failed-email-trycatch] dedupe=d-9 error=unknown user user-bad",
        dedupe_key: "fixture.payment-failed-email-trycatch:d-9:catch",
      });
      expect((run.vars as { caught: unknown }).caught).to.deep.include({
        category: "ActionError",
        message: "unknown user user-bad",
        nodePath: "root.steps[2].try.steps[0]",
      });
    });
  });

  describe("control.callWorkflow: fixture.ticket-created-call-notify-subworkflow and its child", () => {
    const parentKey = "fixture.ticket-created-call-notify-subworkflow";
    const childKey = "subfixture.ticket-created-call-notify-subworkflow";
    /** Points the parent's call at the child's definition id; import rewrites it to the child's new workflow id. */
    function fixReference(bundle: Record<string, unknown>): void {
      const workflows = bundle.workflows as { key: string; draft: { definition: { id: string; steps: unknown[] } } }[];
      const child = workflows.find((w) => w.key === childKey);
      const parent = workflows.find((w) => w.key === parentKey);
      for (const step of (parent as { draft: { definition: { steps: unknown[] } } }).draft.definition.steps as {
        type: string;
        workflowId?: string;
      }[])
        if (step.type === "control.callWorkflow") step.workflowId = child?.draft.definition.id;
    }

    it("publishes the child first, then runs the parent, which runs the child with the mapped input", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-call-notify-subworkflow.bundle.json"], fixReference);
      const [child] = await rows(
        knex,
        "select workflow_id::text as id from workflow_definitions where tenant = ? and key = ?",
        [tenant, childKey],
      );
      const [parentDraft] = await rows(
        knex,
        "select draft_definition from workflow_definitions where tenant = ? and key = ?",
        [tenant, parentKey],
      );
      expect(
        ((parentDraft as Record<string, unknown>).draft_definition as { steps: { workflowId?: string }[] }).steps[2]
          ?.workflowId,
      ).to.equal(child?.id);

      const early = await expectIssue(publishWorkflow(knex, { tenant, key: parentKey }), "PUBLISH_VALIDATION_FAILED");
      expect(
        (early.errors as { code: string; stepPath: string }[]).map((e) => `${e.code} ${e.stepPath}`),
      ).to.deep.equal(["CALL_WORKFLOW_TARGET_NOT_FOUND root.steps[2]"]);
      await expectIssue(runWorkflow(knex, { tenant, key: parentKey }), "NO_PUBLISHED_VERSION");

      expect((await publishWorkflow(knex, { tenant, key: childKey })).version).to.equal(1);
      expect((await publishWorkflow(knex, { tenant, key: parentKey })).version).to.equal(1);

      const payload = { ticketId: "t-3", fixtureNotifyUserId: "user-3", fixtureDedupeKey: "d-3" };
      const run = await runWorkflow(knex, { tenant, key: parentKey, payload });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.steps.map((s) => `${s.stepId} ${s.type} ${s.status}`)).to.deep.equal([
        "state-fixture state.set SUCCEEDED",
        "assign-text transform.assign SUCCEEDED",
        "call-child control.callWorkflow SUCCEEDED",
        "notify action.call SUCCEEDED",
        "done control.return SUCCEEDED",
      ]);
      expect(run.invocations.map((i) => (i.input as { dedupe_key: string }).dedupe_key)).to.deep.equal([
        "fixture.ticket-created-call-notify-subworkflow:d-3:parent",
      ]);
      const [childRun] = await rows(
        knex,
        "select run_id::text as run_id, status, input_json, parent_run_id::text as parent, root_run_id::text as root from workflow_runs where tenant = ? and workflow_id = ?::uuid",
        [tenant, child?.id],
      );
      expect(childRun).to.include({ status: "SUCCEEDED", parent: run.runId, root: run.runId });
      expect(childRun?.input_json).to.deep.equal({ fixtureNotifyUserId: "user-3", fixtureDedupeKey: "d-3" });
      const [childInvocation] = await rows(
        knex,
        "select input_json from workflow_action_invocations where run_id = ?::uuid",
        [childRun?.run_id],
      );
      expect(childInvocation?.input_json).to.deep.include({
        recipients: { user_ids: ["user-3"] },
        dedupe_key: "fixture.ticket-created-call-notify-subworkflow:d-3:child",
      });
    });
  });

  describe("event.wait: fixture.ticket-status-waiting-on-customer-reminder", () => {
    const key = "fixture.ticket-status-waiting-on-customer-reminder";
    const payload = {
      ticketId: "t-77",
      newStatusId: "status-waiting",
      fixtureWaitingStatusId: "status-waiting",
      fixtureRequesterEmail: "requester@example.com",
    };

    it("waits for the event with the ticket as correlation key, then resumes and sends the reminder", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-status-waiting-on-customer-reminder.bundle.json"]);
      const started = Date.now();
      const run = await runWorkflow(knex, { tenant, key, payload });
      expect(run.status).to.equal("WAITING");
      expect(run.steps.at(-1)).to.deep.equal({
        stepPath: "root.steps[1].then.steps[0]",
        stepId: "wait-for-time-entry",
        type: "event.wait",
        status: "STARTED",
      });
      const [wait] = await rows(
        knex,
        "select wait_type, key, event_name, status, timeout_at, payload from workflow_run_waits where tenant = ? and run_id = ?",
        [tenant, run.runId],
      );
      expect(wait).to.include({
        wait_type: "event",
        key: "t-77",
        event_name: "TICKET_TIME_ENTRY_ADDED",
        status: "WAITING",
      });
      const timeoutAt = new Date(wait?.timeout_at as string).getTime();
      expect(timeoutAt).to.be.within(started + 4_000, Date.now() + 5_000);
      const [runRow] = await rows(knex, "select status, node_path, completed_at from workflow_runs where run_id = ?", [
        run.runId,
      ]);
      expect(runRow).to.include({ status: "WAITING", node_path: "root.steps[1].then.steps[0]", completed_at: null });

      const noChange = await fingerprint(knex, tenant);
      await expectIssue(
        resumeRun(knex, { tenant, runId: run.runId, eventName: "TICKET_CREATED", payload: { ticketId: "t-77" } }),
        "NO_MATCHING_WAIT",
      );
      await expectIssue(
        resumeRun(knex, { tenant, runId: run.runId, eventName: "TICKET_TIME_ENTRY_ADDED", correlationKey: "t-other" }),
        "NO_MATCHING_WAIT",
      );
      expect(await fingerprint(knex, tenant)).to.deep.equal(noChange);

      const resumed = await resumeRun(knex, {
        tenant,
        runId: run.runId,
        eventName: "TICKET_TIME_ENTRY_ADDED",
        correlationKey: "t-77",
        payload: { ticketId: "t-77", minutes: 15 },
      });
      expect(resumed.runId).to.equal(run.runId);
      expect(resumed.status).to.equal("SUCCEEDED");
      expect(resumed.steps.map((s) => `${s.stepId} ${s.status}`)).to.deep.equal([
        "state-waiting-reminder SUCCEEDED",
        "if-waiting SUCCEEDED",
        "wait-for-time-entry SUCCEEDED",
        "assign-vars SUCCEEDED",
        "send-reminder SUCCEEDED",
        "done SUCCEEDED",
      ]);
      const [invocation] = resumed.invocations;
      expect(invocation?.actionId).to.equal("email.send");
      // The assign map is stored as jsonb, which orders keys by length: vars.text is assigned
      // before vars.marker, exactly as in Alga (which stores definitions as jsonb too).
      expect(invocation?.input).to.deep.equal({
        to: [{ email: "requester@example.com" }],
        subject: "[fixture ticket-status-waiting-on-customer-reminder] Reminder: waiting on customer",
        text: " ticketId=t-77",
        idempotency_key: "fixture.ticket-status-waiting-on-customer-reminder:email:t-77",
      });
      expect(resumed.vars).to.deep.include({
        event: { ticketId: "t-77", minutes: 15 },
        eventName: "TICKET_TIME_ENTRY_ADDED",
      });
      const [resolved] = await rows(
        knex,
        "select status, resolved_at, payload from workflow_run_waits where run_id = ?",
        [run.runId],
      );
      expect(resolved?.status).to.equal("RESOLVED");
      const [event] = await rows(
        knex,
        "select event_id::text as event_id, event_name, correlation_key, payload, processed_at from workflow_runtime_events where tenant = ?",
        [tenant],
      );
      expect(event).to.deep.include({ event_name: "TICKET_TIME_ENTRY_ADDED", correlation_key: "t-77" });
      expect(((resolved as Record<string, unknown>).payload as { matchedEventId: string }).matchedEventId).to.equal(
        event?.event_id,
      );
      const [runAfter] = await rows(
        knex,
        "select status, resume_event_name, completed_at from workflow_runs where run_id = ?",
        [run.runId],
      );
      expect(runAfter).to.include({ status: "SUCCEEDED", resume_event_name: "TICKET_TIME_ENTRY_ADDED" });

      const notWaiting = await expectIssue(
        resumeRun(knex, { tenant, runId: run.runId, eventName: "X" }),
        "RUN_NOT_WAITING",
      );
      expect(notWaiting).to.deep.equal({ runId: run.runId, status: "SUCCEEDED" });
      await expectIssue(resumeRun(knex, { tenant, runId: randomUUID(), eventName: "X" }), "RUN_NOT_FOUND");
      await expectIssue(resumeRun(knex, { tenant, runId: "not-a-uuid", eventName: "X" }), "RUN_NOT_FOUND");
    });

    it("times the wait out when the event comes after timeoutMs", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-status-waiting-on-customer-reminder.bundle.json"]);
      const run = await runWorkflow(knex, { tenant, key, payload });
      const later = new Date(Date.now() + 60_000);
      const resumed = await resumeRun(knex, {
        tenant,
        runId: run.runId,
        eventName: "TICKET_TIME_ENTRY_ADDED",
        payload: { ticketId: "t-77" },
        now: () => later,
      });
      expect(resumed.status).to.equal("FAILED");
      expect(resumed.error).to.include({
        category: "TimeoutError",
        message: "event.wait timed out waiting for TICKET_TIME_ENTRY_ADDED",
        nodePath: "root.steps[1].then.steps[0]",
      });
      expect(resumed.invocations).to.deep.equal([]);
    });

    it("keeps the execution order when the resuming machine's clock is behind", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-status-waiting-on-customer-reminder.bundle.json"]);
      const run = await runWorkflow(knex, { tenant, key, payload });
      const past = new Date("2020-01-01T00:00:00.000Z");
      const resumed = await resumeRun(knex, {
        tenant,
        runId: run.runId,
        eventName: "TICKET_TIME_ENTRY_ADDED",
        now: () => past,
      });
      expect(resumed.status).to.equal("SUCCEEDED");
      expect(resumed.steps.map((s) => s.stepId)).to.deep.equal([
        "state-waiting-reminder",
        "if-waiting",
        "wait-for-time-entry",
        "assign-vars",
        "send-reminder",
        "done",
      ]);
      expect(resumed.vars).to.deep.include({ eventName: "TICKET_TIME_ENTRY_ADDED" });
    });

    it("honours concurrency_limit: a WAITING run counts as active", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-status-waiting-on-customer-reminder.bundle.json"]);
      await knex.raw("update workflow_definitions set concurrency_limit = 1 where tenant = ?", [tenant]);
      expect((await runWorkflow(knex, { tenant, key, payload })).status).to.equal("WAITING");
      const details = await expectIssue(runWorkflow(knex, { tenant, key, payload }), "CONCURRENCY_LIMIT_REACHED");
      expect(details).to.include({ limit: 1, active: 1 });
      // A run that does not reach the wait is not limited once the first one ends.
      const [waiting] = await rows(knex, "select run_id::text as id from workflow_runs where tenant = ?", [tenant]);
      await resumeRun(knex, { tenant, runId: waiting?.id as string, eventName: "TICKET_TIME_ENTRY_ADDED" });
      const other = await runWorkflow(knex, { tenant, key, payload: { ...payload, newStatusId: "status-open" } });
      expect(other.status).to.equal("SUCCEEDED");
      expect(other.steps.map((s) => s.stepId)).to.deep.equal(["state-waiting-reminder", "if-waiting", "skip"]);
    });
  });

  describe("refusals", () => {
    it("refuses a paused workflow (fixture.runtime-paused-no-run) and writes no run", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["runtime-paused-no-run.bundle.json"]);
      await expectIssue(runWorkflow(knex, { tenant, key: "fixture.runtime-paused-no-run" }), "WORKFLOW_PAUSED");
      expect(await rows(knex, "select 1 from workflow_runs where tenant = ?", [tenant])).to.have.length(0);
    });

    it("refuses unknown workflows and versions, and payloads that are not objects", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-hello.bundle.json"]);
      await expectIssue(runWorkflow(knex, { tenant, key: "nope" }), "WORKFLOW_NOT_FOUND");
      await expectIssue(runWorkflow(knex, { tenant, workflowId: "not-a-uuid" }), "WORKFLOW_NOT_FOUND");
      const details = await expectIssue(
        runWorkflow(knex, { tenant, key: "fixture.ticket-created-hello", version: 9 }),
        "NO_PUBLISHED_VERSION",
      );
      expect(details).to.include({ version: 9 });
      await expectIssue(
        runWorkflow(knex, { tenant, key: "fixture.ticket-created-hello", payload: [1] }),
        "INVALID_PAYLOAD",
      );
      await expectIssue(publishWorkflow(knex, { tenant, key: "nope" }), "WORKFLOW_NOT_FOUND");
    });
  });

  describe("publish under concurrency", () => {
    it("gives concurrent publishers of one workflow distinct versions", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importCorpus(knex, tenant, ["ticket-created-hello.bundle.json"]);
      const results = await Promise.all(
        [1, 2, 3].map(() => publishWorkflow(knex, { tenant, key: "fixture.ticket-created-hello" })),
      );
      expect(results.map((r) => r.version).sort()).to.deep.equal([2, 3, 4]);
    });
  });

  describe("verifyBundles", () => {
    it("imports, publishes, runs and reports, then rolls everything back", async () => {
      const knex = db().knex;
      const before = await fingerprint(knex);
      const files = [
        "ticket-created-hello.bundle.json",
        "payment-failed-email-trycatch.bundle.json",
        "runtime-paused-no-run.bundle.json",
        "ticket-status-waiting-on-customer-reminder.bundle.json",
        "ticket-created-create-project-task.bundle.json",
      ].map((f) => corpus.path(f));
      const report = await verifyBundles(knex, { files });
      expect(await fingerprint(knex)).to.deep.equal(before);
      expect(report.ok).to.equal(false);
      const summary = Object.fromEntries(
        report.workflows.map((w) => [
          w.workflowKey,
          `${w.ok} ${w.publish.ok ? `v${w.publish.version}` : "publish-failed"} ${w.run.status}`,
        ]),
      );
      expect(summary).to.deep.equal({
        "fixture.payment-failed-email-trycatch": "false publish-failed SUCCEEDED",
        "fixture.runtime-paused-no-run": "true v2 SKIPPED",
        "fixture.ticket-created-create-project-task": "false v2 FAILED",
        "fixture.ticket-created-hello": "true v2 SUCCEEDED",
        "fixture.ticket-status-waiting-on-customer-reminder": "true v2 SUCCEEDED",
      });
      const trycatch = report.workflows.find((w) => w.workflowKey === "fixture.payment-failed-email-trycatch");
      expect(trycatch?.firstError).to.match(/^publish: \[DUPLICATE_STEP_ID\] root\.steps\[2\]\.catch\.steps\[0\]/);
      const task = report.workflows.find((w) => w.workflowKey === "fixture.ticket-created-create-project-task");
      expect(task?.firstError).to.match(
        /^run: ExpressionError at root\.steps\[1\]: Expression result is not JSON-serializable/,
      );
    });
  });
}
