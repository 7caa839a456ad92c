/**
 * The project's own fixture bundles (test/fixtures/bundles), imported, published and run through
 * the public API on PostgreSQL and PGlite: every node type, control block and wait kind, secrets
 * and a three-level callWorkflow chain. The same behaviours run on Alga's corpus in
 * corpus-runtime.test.ts when it is present. Clocks are passed in (`now`), never waited for.
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Knex } from "knex";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { importBundles } from "../../../src/import/import-bundle.js";
import { createActionRegistry, publishWorkflow, resumeRun, runWorkflow } from "../../../src/runtime/index.js";
import type { FixtureRole } from "../../fixtures/fixture-bundles.js";
import { fixtureFile, fixtureSet } from "../../support/bundle-sets.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";

type Json = Record<string, unknown>;

const newTenant = () => randomUUID();

async function importRoles(knex: Knex, tenant: string, roles: FixtureRole[]) {
  const set = fixtureSet();
  const sources = roles.map((role) => {
    const { file } = fixtureFile(role);
    return { bundle: set.readBundle(file), file };
  });
  return importBundles(knex, sources, { tenant });
}

async function expectIssue(promise: Promise<unknown>, code: string): Promise<Json> {
  try {
    await promise;
  } catch (error) {
    if (!isWorkflowSeederError(error)) throw error;
    expect(error.code, error.message).to.equal(code);
    return error.details as Json;
  }
  throw new Error(`expected ${code}`);
}

async function rows(knex: Knex, sql: string, bindings: unknown[]): Promise<Json[]> {
  return (await knex.raw(sql, bindings as never)).rows;
}

const at = (iso: string) => () => new Date(iso);

describeEachEngine("runtime: the fixture set", (db) => {
  describe("state.set, transform.assign, control.return: fx.ticket-greeting", () => {
    const key = "fx.ticket-greeting";

    it("publishes the draft as version 2 and records the validation", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["hello"]);
      const result = await publishWorkflow(knex, { tenant, key });
      expect(result).to.include({ workflowKey: key, version: 2 });
      expect(result.warnings).to.deep.equal([]);
      const [workflow] = await rows(
        knex,
        "select status, draft_version, validation_status, validation_errors from workflow_definitions where tenant = ?",
        [tenant],
      );
      expect(workflow).to.deep.include({ status: "published", draft_version: 3, validation_status: "valid" });
      expect(workflow?.validation_errors).to.deep.equal([]);
      const versions = await rows(
        knex,
        "select version, definition_json from workflow_definition_versions where tenant = ? order by version",
        [tenant],
      );
      expect(versions.map((v) => v.version)).to.deep.equal([1, 2]);
      expect(versions[1]?.definition_json).to.deep.include({ id: result.workflowId, version: 2 });
    });

    it("runs to SUCCEEDED with the state and the assigned vars, each step recorded", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["hello"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { ticketId: "t-1" } });
      expect(run).to.deep.include({ workflowKey: key, version: 1, status: "SUCCEEDED" });
      expect(run.steps).to.deep.equal([
        { stepPath: "root.steps[0]", stepId: "mark-greeting", type: "state.set", status: "SUCCEEDED" },
        { stepPath: "root.steps[1]", stepId: "compose", type: "transform.assign", status: "SUCCEEDED" },
        { stepPath: "root.steps[2]", stepId: "finish", type: "control.return", status: "SUCCEEDED" },
      ]);
      expect(run.vars).to.deep.equal({ greeting: "Hello, ticket t-1", idLength: 3 });
      expect(run.meta).to.deep.equal({ state: "GREETING" });
      const [runRow] = await rows(knex, "select status, input_json, completed_at from workflow_runs where run_id = ?", [
        run.runId,
      ]);
      expect(runRow).to.deep.include({ status: "SUCCEEDED", input_json: { ticketId: "t-1" } });
      expect(runRow?.completed_at).to.not.equal(null);
    });
  });

  describe("control.if around action.call: fx.invoice-notify", () => {
    const key = "fx.invoice-notify";

    it("calls notifications.send_in_app with the resolved input, saved under vars, keyed for idempotency", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["notify"]);
      const payload = { invoiceId: "inv-1", ownerId: "user-1", amount: 120 };
      const run = await runWorkflow(knex, { tenant, key, payload });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations).to.deep.equal([
        {
          stepPath: "root.steps[2].then.steps[0]",
          actionId: "notifications.send_in_app",
          version: 1,
          input: {
            recipients: { user_ids: ["user-1"] },
            title: "Invoice inv-1 was sent",
            body: "Amount due: 120",
            severity: "info",
            dedupe_key: "fx.invoice-notify:inv-1",
          },
          output: {},
        },
      ]);
      expect(run.vars).to.deep.equal({ title: "Invoice inv-1 was sent", notification: {} });
      expect(run.meta).to.deep.equal({ state: "NOTIFIED" });
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

    it("takes the else branch, whose control.return ends the whole run", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["notify"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { invoiceId: "inv-2", mode: "quiet" } });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations).to.deep.equal([]);
      expect(run.steps.map((s) => s.stepId)).to.deep.equal(["mark-notifying", "title", "unless-quiet", "stay-quiet"]);
      expect(run.meta).to.deep.equal({ state: "NOTIFYING" });
    });
  });

  describe("an action's output read by the next steps: fx.ticket-project-task", () => {
    const key = "fx.ticket-project-task";

    it("saves the lookup and creates the task in the looked-up project", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["lookupTask"]);
      const actions = createActionRegistry().register("tickets.find@1", (input) => ({
        id: (input as { ticket_id: string }).ticket_id,
        attributes: { project_id: "p-7" },
      }));
      const run = await runWorkflow(knex, { tenant, key, payload: { ticketId: "t-42" }, actions });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations.map((i) => [i.actionId, i.input])).to.deep.equal([
        ["tickets.find", { ticket_id: "t-42", include: { attributes: true } }],
        ["projects.create_task", { project_id: "p-7", title: "Follow up on ticket t-42" }],
      ]);
      expect(run.vars).to.deep.equal({
        ticket: { id: "t-42", attributes: { project_id: "p-7" } },
        projectId: "p-7",
        task: {},
      });
    });

    it("fails with an ExpressionError where the default {} result has no project", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["lookupTask"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { ticketId: "t-42" } });
      expect(run.status).to.equal("FAILED");
      expect(run.error).to.include({ category: "ExpressionError", nodePath: "root.steps[1]" });
      const [runRow] = await rows(knex, "select status, error_json from workflow_runs where run_id = ?", [run.runId]);
      expect(runRow?.status).to.equal("FAILED");
      expect(runRow?.error_json).to.deep.include({ category: "ExpressionError", nodePath: "root.steps[1]" });
    });
  });

  describe("control.forEach with onItemError continue: fx.ticket-watchers-comment", () => {
    const key = "fx.ticket-watchers-comment";

    it("comments per watcher; the first one's failure is recorded and the loop goes on", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["forEach"]);
      const calls: unknown[] = [];
      const actions = createActionRegistry().register("tickets.add_comment@1", (input) => {
        calls.push(input);
        if (calls.length === 1) throw new Error("ticket is locked");
        return { comment_id: "c-2" };
      });
      const payload = { ticketId: "t-5", watchers: ["ana", "ben"] };
      const run = await runWorkflow(knex, { tenant, key, payload, actions });
      expect(run.status).to.equal("SUCCEEDED");
      const input = (name: string) => ({ ticket_id: "t-5", body: `Watcher ${name} was told`, visibility: "internal" });
      expect(calls).to.deep.equal([input("ana"), input("ben")]);
      expect(run.steps.map((s) => `${s.stepPath} ${s.status}`)).to.deep.equal([
        "root.steps[0] SUCCEEDED",
        "root.steps[1] SUCCEEDED",
        "root.steps[1].body.steps[0] FAILED",
        "root.steps[1].body.steps[0] SUCCEEDED",
        "root.steps[2] SUCCEEDED",
      ]);
      const invocations = await rows(
        knex,
        "select status, input_json, error_message from workflow_action_invocations where tenant = ? order by created_at, status",
        [tenant],
      );
      expect(invocations.map((i) => [i.status, (i.input_json as Json).body, i.error_message])).to.have.deep.members([
        ["FAILED", "Watcher ana was told", "ticket is locked"],
        ["SUCCEEDED", "Watcher ben was told", null],
      ]);
      expect(run.vars).to.not.have.property("watcher");
    });

    it("runs no body for an empty list", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["forEach"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { ticketId: "t-6" } });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.invocations).to.deep.equal([]);
      expect(run.steps.map((s) => s.stepId)).to.deep.equal(["collect", "each-watcher", "done"]);
    });
  });

  describe("control.tryCatch: fx.payment-failed-fallback", () => {
    const key = "fx.payment-failed-fallback";

    it("refuses to publish the draft (it reuses the step id notify-primary) and writes nothing", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["tryCatch"]);
      const before = await fingerprint(knex, tenant);
      const details = await expectIssue(publishWorkflow(knex, { tenant, key }), "PUBLISH_VALIDATION_FAILED");
      expect(details.workflowKey).to.equal(key);
      expect(details.errors).to.deep.equal([
        {
          code: "DUPLICATE_STEP_ID",
          stepPath: "root.steps[1].catch.steps[0]",
          path: "/steps/1/catch/0/id",
          message: "Duplicate step id notify-primary",
        },
      ]);
      expect(await fingerprint(knex, tenant)).to.deep.equal(before);
    });

    it("runs the published version: the failing try goes to catch, which reads the captured error", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["tryCatch"]);
      const actions = createActionRegistry().register("notifications.send_in_app@1", (input) => {
        const [user] = (input as { recipients: { user_ids: string[] } }).recipients.user_ids;
        if (user !== "u-ok") throw new Error(`unknown user ${user}`);
        return { notification_ids: ["n-1"] };
      });
      const payload = { paymentId: "p-1", primaryUserId: "u-bad", fallbackUserId: "u-ok" };
      const run = await runWorkflow(knex, { tenant, key, payload, actions });
      expect(run).to.deep.include({ status: "SUCCEEDED", version: 1 });
      expect(run.steps.map((s) => `${s.stepPath} ${s.stepId} ${s.status}`)).to.deep.equal([
        "root.steps[0] mark-collecting SUCCEEDED",
        "root.steps[1] guarded SUCCEEDED",
        "root.steps[1].try.steps[0] notify-primary FAILED",
        "root.steps[1].catch.steps[0] notify-fallback SUCCEEDED",
        "root.steps[2] after-guard SUCCEEDED",
      ]);
      expect(run.invocations.map((i) => [i.stepPath, i.output])).to.deep.equal([
        ["root.steps[1].try.steps[0]", null],
        ["root.steps[1].catch.steps[0]", { notification_ids: ["n-1"] }],
      ]);
      expect(run.invocations[1]?.input).to.deep.include({
        recipients: { user_ids: ["u-ok"] },
        body: "Primary notice failed: unknown user u-bad",
      });
      expect((run.vars as { failure: unknown }).failure).to.deep.include({
        category: "ActionError",
        message: "unknown user u-bad",
        nodePath: "root.steps[1].try.steps[0]",
      });
    });
  });

  describe("control.callWorkflow three levels deep: fx.chain.*", () => {
    const [parentKey, middleKey, leafKey] = [
      "fx.chain.project-setup",
      "fx.chain.project-tasks",
      "fx.chain.project-audit",
    ];

    it("imports with every call pointed at the called workflow's new id, and no warning", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      const result = await importRoles(knex, tenant, ["callChain"]);
      expect(result.warnings).to.deep.equal([]);
      const ids = Object.fromEntries(
        (
          await rows(knex, "select key, workflow_id::text as id from workflow_definitions where tenant = ?", [tenant])
        ).map((r) => [r.key, r.id]),
      );
      const calls = await rows(
        knex,
        `select d.key, v.definition_json from workflow_definition_versions v
         join workflow_definitions d on d.tenant = v.tenant and d.workflow_id = v.workflow_id where v.tenant = ?`,
        [tenant],
      );
      const target = (key: string) => {
        const definition = calls.find((c) => c.key === key)?.definition_json as { steps: Json[] } | undefined;
        const steps = definition?.steps ?? [];
        return steps.find((s) => s.type === "control.callWorkflow")?.workflowId;
      };
      expect(target(parentKey)).to.equal(ids[middleKey]);
      expect(target(middleKey)).to.equal(ids[leafKey]);
    });

    it("runs the parent, which runs the middle, which runs the leaf, each with its mapped input", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["callChain"]);
      const payload = { projectId: "p-1", name: "Apollo" };
      const run = await runWorkflow(knex, { tenant, key: parentKey, payload });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.steps.map((s) => `${s.stepId} ${s.type} ${s.status}`)).to.deep.equal([
        "name transform.assign SUCCEEDED",
        "plan-tasks control.callWorkflow SUCCEEDED",
        "mark-set-up state.set SUCCEEDED",
      ]);
      expect(run.vars).to.deep.equal({ projectName: "Apollo", plannedTitle: "Kick-off for Apollo" });
      const runs = await rows(
        knex,
        `select d.key, r.run_id::text as id, r.status, r.input_json, r.parent_run_id::text as parent,
                r.root_run_id::text as root
         from workflow_runs r join workflow_definitions d on d.tenant = r.tenant and d.workflow_id = r.workflow_id
         where r.tenant = ?`,
        [tenant],
      );
      const byKey = Object.fromEntries(runs.map((r) => [r.key, r]));
      expect(byKey[middleKey]).to.deep.include({
        status: "SUCCEEDED",
        parent: run.runId,
        root: run.runId,
        input_json: { projectId: "p-1", projectName: "Apollo" },
      });
      expect(byKey[leafKey]).to.deep.include({
        status: "SUCCEEDED",
        parent: byKey[middleKey]?.id,
        root: run.runId,
        input_json: { note: "Kick-off for Apollo" },
      });
      const [task] = await rows(knex, "select input_json from workflow_action_invocations where run_id = ?::uuid", [
        byKey[middleKey]?.id,
      ]);
      expect(task?.input_json).to.deep.equal({ project_id: "p-1", title: "Kick-off for Apollo" });
    });

    it("fails the parent with the child's error when the leaf fails", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["callChain"]);
      const actions = createActionRegistry().register("projects.create_task@1", () => {
        throw new Error("project is archived");
      });
      const run = await runWorkflow(knex, { tenant, key: parentKey, payload: { projectId: "p-2" }, actions });
      expect(run.status).to.equal("FAILED");
      expect(run.error?.nodePath).to.equal("root.steps[1]");
      expect(run.error?.message).to.contain("project is archived");
    });
  });

  describe("Alga's placeholder call target: fx.placeholder.*", () => {
    it("imports with a warning, and refuses to publish the caller until the target exists", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      const result = await importRoles(knex, tenant, ["callPlaceholder"]);
      expect(result.warnings.map((w) => w.code)).to.include("UNRESOLVED_WORKFLOW_REFERENCE");
      const details = await expectIssue(
        publishWorkflow(knex, { tenant, key: "fx.placeholder.parent" }),
        "PUBLISH_VALIDATION_FAILED",
      );
      expect((details.errors as Json[]).map((e) => `${e.code} ${e.stepPath}`)).to.deep.equal([
        "CALL_WORKFLOW_TARGET_NOT_FOUND root.steps[0]",
      ]);
      expect((await publishWorkflow(knex, { tenant, key: "fx.placeholder.child" })).version).to.equal(2);
    });
  });

  describe("event.wait with filters and a timeout: fx.ticket-await-reply", () => {
    const key = "fx.ticket-await-reply";
    const payload = { ticketId: "t-77", statusId: "waiting", customerEmail: "c@example.com" };
    const start = "2026-05-01T10:00:00.000Z";

    it("waits for the reply on the ticket, refuses events that do not match, then resumes and sends the email", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["eventWait"]);
      const run = await runWorkflow(knex, { tenant, key, payload, now: at(start) });
      expect(run.status).to.equal("WAITING");
      expect(run.steps.at(-1)).to.deep.equal({
        stepPath: "root.steps[1].then.steps[0]",
        stepId: "await-reply",
        type: "event.wait",
        status: "STARTED",
      });
      const [wait] = await rows(
        knex,
        "select wait_type, key, event_name, status, timeout_at from workflow_run_waits where tenant = ? and run_id = ?",
        [tenant, run.runId],
      );
      expect(wait).to.include({
        wait_type: "event",
        key: "t-77",
        event_name: "TICKET_CUSTOMER_REPLIED",
        status: "WAITING",
      });
      expect(new Date(wait?.timeout_at as string).toISOString()).to.equal("2026-05-01T11:00:00.000Z");

      const noChange = await fingerprint(knex, tenant);
      const later = at("2026-05-01T10:30:00.000Z");
      const resume = (options: Json) =>
        resumeRun(knex, { tenant, runId: run.runId, eventName: "TICKET_CUSTOMER_REPLIED", now: later, ...options });
      await expectIssue(resume({ eventName: "TICKET_CREATED", payload: { channel: "email" } }), "NO_MATCHING_WAIT");
      await expectIssue(resume({ correlationKey: "t-other", payload: { channel: "email" } }), "NO_MATCHING_WAIT");
      await expectIssue(resume({ payload: { channel: "phone", text: "x" } }), "NO_MATCHING_WAIT");
      expect(await fingerprint(knex, tenant)).to.deep.equal(noChange);

      const resumed = await resume({ correlationKey: "t-77", payload: { channel: "portal", text: "Yes, please" } });
      expect(resumed.status).to.equal("SUCCEEDED");
      expect(resumed.steps.map((s) => `${s.stepId} ${s.status}`)).to.deep.equal([
        "mark-waiting SUCCEEDED",
        "if-waiting SUCCEEDED",
        "await-reply SUCCEEDED",
        "thank SUCCEEDED",
      ]);
      expect(resumed.invocations).to.have.length(1);
      expect(resumed.invocations[0]).to.deep.include({
        actionId: "email.send",
        input: { to: [{ email: "c@example.com" }], subject: "Thanks for your reply", text: "We got: Yes, please" },
      });
      expect(resumed.vars).to.deep.include({ reply: "Yes, please", eventName: "TICKET_CUSTOMER_REPLIED" });
      const [invocation] = await rows(
        knex,
        "select idempotency_key from workflow_action_invocations where run_id = ?",
        [run.runId],
      );
      expect(invocation?.idempotency_key).to.equal(`${tenant}:fx.ticket-await-reply:t-77`);
      const [resolved] = await rows(knex, "select status from workflow_run_waits where run_id = ?", [run.runId]);
      expect(resolved?.status).to.equal("RESOLVED");
    });

    it("fails with a TimeoutError when the reply comes after the hour", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["eventWait"]);
      const run = await runWorkflow(knex, { tenant, key, payload, now: at(start) });
      const resumed = await resumeRun(knex, {
        tenant,
        runId: run.runId,
        eventName: "TICKET_CUSTOMER_REPLIED",
        payload: { channel: "email", text: "late" },
        now: at("2026-05-01T11:00:01.000Z"),
      });
      expect(resumed.status).to.equal("FAILED");
      expect(resumed.error).to.include({
        category: "TimeoutError",
        message: "event.wait timed out waiting for TICKET_CUSTOMER_REPLIED",
        nodePath: "root.steps[1].then.steps[0]",
      });
      expect(resumed.invocations).to.deep.equal([]);
    });

    it("skips the wait when the status is not 'waiting'", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["eventWait"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { ...payload, statusId: "open" } });
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.steps.map((s) => s.stepId)).to.deep.equal(["mark-waiting", "if-waiting", "not-waiting"]);
    });
  });

  describe("time.wait by duration and until: fx.ticket-follow-up-timer", () => {
    const key = "fx.ticket-follow-up-timer";

    it("waits a day, then until the given time, each resumed by its timer, then comments", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["timeWait"]);
      const payload = { ticketId: "t-9", followUpAt: "2026-05-10T08:00:00.000Z" };
      const run = await runWorkflow(knex, { tenant, key, payload, now: at("2026-05-01T10:00:00.000Z") });
      expect(run.status).to.equal("WAITING");
      const waits = async () =>
        rows(
          knex,
          "select step_path, wait_type, status, timeout_at from workflow_run_waits where run_id = ? order by created_at",
          [run.runId],
        );
      const [first] = await waits();
      expect(first).to.include({ step_path: "root.steps[0]", wait_type: "time", status: "WAITING" });
      expect(new Date(first?.timeout_at as string).toISOString()).to.equal("2026-05-02T10:00:00.000Z");
      await expectIssue(
        resumeRun(knex, { tenant, runId: run.runId, eventName: "SOMETHING", now: at("2026-05-02T10:00:00.000Z") }),
        "NO_MATCHING_WAIT",
      );

      const second = await resumeRun(knex, { tenant, runId: run.runId, now: at("2026-05-02T10:00:00.000Z") });
      expect(second.status).to.equal("WAITING");
      // The due time as the database gave it back (its own text form), the same instant.
      const firstDueAt = (second.vars as { firstDueAt: string }).firstDueAt;
      expect(new Date(firstDueAt).toISOString()).to.equal("2026-05-02T10:00:00.000Z");
      const both = await waits();
      expect(both.map((w) => `${w.step_path} ${w.status}`)).to.deep.equal([
        "root.steps[0] RESOLVED",
        "root.steps[1] WAITING",
      ]);
      expect(new Date(both[1]?.timeout_at as string).toISOString()).to.equal("2026-05-10T08:00:00.000Z");

      const done = await resumeRun(knex, { tenant, runId: run.runId, now: at("2026-05-10T08:00:00.000Z") });
      expect(done.status).to.equal("SUCCEEDED");
      expect(done.invocations.map((i) => i.input)).to.deep.equal([
        { ticket_id: "t-9", body: `Following up after ${firstDueAt}`, visibility: "public" },
      ]);
    });

    it("does not stop at an until time already past", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["timeWait"]);
      const payload = { ticketId: "t-10", followUpAt: "2026-01-01T00:00:00.000Z" };
      const run = await runWorkflow(knex, { tenant, key, payload, now: at("2026-05-01T10:00:00.000Z") });
      const done = await resumeRun(knex, { tenant, runId: run.runId, now: at("2026-05-02T10:00:00.000Z") });
      expect(done.status).to.equal("SUCCEEDED");
      expect(done.steps.map((s) => `${s.stepId} ${s.status}`)).to.deep.equal([
        "wait-a-day SUCCEEDED",
        "wait-until SUCCEEDED",
        "comment SUCCEEDED",
      ]);
    });
  });

  describe("human.task: fx.time-entry-approval", () => {
    const key = "fx.time-entry-approval";

    it("records the task with its evaluated title and context, and goes on with the person's answer", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["humanTask"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { hours: 6, userId: "u-3" } });
      expect(run.status).to.equal("WAITING");
      const [wait] = await rows(
        knex,
        "select wait_type, key, event_name, payload from workflow_run_waits where run_id = ?",
        [run.runId],
      );
      expect(wait).to.include({ wait_type: "human", event_name: "HUMAN_TASK_COMPLETED" });
      expect(wait?.payload).to.deep.equal({
        taskId: wait?.key,
        taskType: "time-entry-approval",
        title: "Approve 6 hours",
        description: "Submitted by u-3",
        contextData: { hours: 6 },
      });
      await expectIssue(
        resumeRun(knex, { tenant, runId: run.runId, eventName: "HUMAN_TASK_COMPLETED", correlationKey: "other" }),
        "NO_MATCHING_WAIT",
      );
      const resumed = await resumeRun(knex, {
        tenant,
        runId: run.runId,
        eventName: "HUMAN_TASK_COMPLETED",
        correlationKey: wait?.key as string,
        payload: { approved: true, by: "lead" },
      });
      expect(resumed.status).to.equal("SUCCEEDED");
      expect(resumed.vars).to.deep.include({ approved: true, reviewer: "lead" });
      expect(resumed.meta).to.deep.equal({ state: "APPROVED" });
    });

    it("takes the other branch for a refusal", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["humanTask"]);
      const run = await runWorkflow(knex, { tenant, key, payload: { hours: 2 } });
      const resumed = await resumeRun(knex, {
        tenant,
        runId: run.runId,
        eventName: "HUMAN_TASK_COMPLETED",
        payload: { approved: false, by: "lead" },
      });
      expect(resumed.meta).to.deep.equal({ state: "REJECTED" });
    });
  });

  describe("secrets: fx.contract-renewal-secrets", () => {
    const key = "fx.contract-renewal-secrets";
    const secrets = { FX_MAIL_API_KEY: "key-5f1e", FX_SMTP_PASSWORD: "pw-93ab" };

    it("passes the secrets to the action, and stores and reports the input with them redacted", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["secrets"]);
      const received: unknown[] = [];
      const actions = createActionRegistry().register("email.send@1", (input) => {
        received.push(input);
        return { message_id: "m-1" };
      });
      const payload = { ownerEmail: "o@example.com", contractId: "c-12" };
      const run = await runWorkflow(knex, { tenant, key, payload, actions, secrets });
      expect(run.status).to.equal("SUCCEEDED");
      const input = {
        to: [{ email: "o@example.com" }],
        subject: "Contract renewal coming up",
        text: "Contract c-12 renews in 30 days",
      };
      expect(received).to.deep.equal([
        { ...input, api_key: "key-5f1e", smtp: { user: "notices", password: "pw-93ab" } },
      ]);
      const redacted = { ...input, api_key: "[REDACTED]", smtp: { user: "notices", password: "[REDACTED]" } };
      expect(run.invocations.map((i) => i.input)).to.deep.equal([redacted]);
      const stored = JSON.stringify(
        await rows(
          knex,
          `select (select json_agg(i) from workflow_action_invocations i where i.tenant = ?) as invocations,
                  (select json_agg(s) from workflow_run_steps s where s.tenant = ?) as steps,
                  (select json_agg(r) from workflow_runs r where r.tenant = ?) as runs`,
          [tenant, tenant, tenant],
        ),
      );
      expect(stored).to.contain("[REDACTED]");
      for (const value of Object.values(secrets)) expect(stored).to.not.contain(value);
    });

    it("fails the step with an ActionError naming the secret when it is not given", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["secrets"]);
      const run = await runWorkflow(knex, { tenant, key, secrets: { FX_SMTP_PASSWORD: "pw" } });
      expect(run.status).to.equal("FAILED");
      expect(run.error).to.include({ category: "ActionError", nodePath: "root.steps[0]" });
      expect(run.error?.message).to.contain('"FX_MAIL_API_KEY"');
    });
  });

  describe("email nodes the reference runtime does not execute: fx.inbound-email-comment", () => {
    it("publishes with a NODE_TYPE_NOT_EXECUTED warning per step, and a run fails at the first one", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["emailNodes"]);
      const key = "fx.inbound-email-comment";
      const published = await publishWorkflow(knex, { tenant, key });
      expect(published.warnings.map((w) => `${w.code} ${w.stepPath}`)).to.deep.equal([
        "NODE_TYPE_NOT_EXECUTED root.steps[0]",
        "NODE_TYPE_NOT_EXECUTED root.steps[1]",
      ]);
      const run = await runWorkflow(knex, { tenant, key, payload: { email: { text: "hi" }, ticketId: "t" } });
      expect(run.status).to.equal("FAILED");
      expect(run.error).to.include({ category: "ValidationError", nodePath: "root.steps[0]" });
    });
  });

  describe("refusals and drafts", () => {
    it("refuses to run a paused workflow (fx.maintenance-paused) and writes no run", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["paused"]);
      await expectIssue(runWorkflow(knex, { tenant, key: "fx.maintenance-paused" }), "WORKFLOW_PAUSED");
      expect(await rows(knex, "select 1 from workflow_runs where tenant = ?", [tenant])).to.have.length(0);
    });

    it("runs a draft-only workflow (fx.draft-in-progress) only once it is published as version 1", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["draftOnly"]);
      const key = "fx.draft-in-progress";
      await expectIssue(runWorkflow(knex, { tenant, key }), "NO_PUBLISHED_VERSION");
      expect((await publishWorkflow(knex, { tenant, key })).version).to.equal(1);
      const run = await runWorkflow(knex, { tenant, key });
      expect(run).to.deep.include({ status: "SUCCEEDED", version: 1, meta: { state: "DRAFTED" } });
    });

    it("runs the version asked for, the latest by default (fx.triage.versions)", async () => {
      const knex = db().knex;
      const tenant = newTenant();
      await importRoles(knex, tenant, ["metadata"]);
      const key = "fx.triage.versions";
      const payload = { ticketId: "t-1", priority: "high" };
      const latest = await runWorkflow(knex, { tenant, key, payload });
      expect(latest.version).to.equal(3);
      expect(latest.invocations.map((i) => i.input)).to.deep.equal([{ ticket_id: "t-1", team: "high-queue" }]);
      const first = await runWorkflow(knex, { tenant, key, payload, version: 1 });
      expect(first.steps.map((s) => s.stepId)).to.deep.equal(["mark-triage"]);
      const second = await runWorkflow(knex, { tenant, key, payload, version: 2 });
      expect(second.vars).to.deep.equal({ priority: "normal" });
    });
  });
});
