/**
 * `workflow-seeder publish | run | resume | verify` as a user runs them: the built CLI in a real
 * process against a PostgreSQL database, on bundles of the project's fixture set.
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { fixtureFile } from "../../support/bundle-sets.js";
import { humanErrorOf, jsonErrorOf, parseJsonOutput, runCli } from "../../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../../support/databases.js";

const HELLO = fixtureFile("hello").path;
const NOTIFY = fixtureFile("notify").path;
const TASK = fixtureFile("lookupTask").path;
const TRYCATCH = fixtureFile("tryCatch").path;
const WAIT = fixtureFile("eventWait").path;
const EMAIL = fixtureFile("emailNodes").path;
const PAUSED = fixtureFile("paused").path;

describe("CLI: publish, run, resume, verify [postgres]", function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dir: string;
  const tenant = randomUUID();
  const cli = (args: string[]) => runCli([...args, "--database-url", db.url as string, "--tenant", tenant]);

  before(async () => {
    db = await createPostgresDatabase();
    dir = await mkdtemp(join(tmpdir(), "wfs-runtime-cli-"));
  });

  after(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("publish --json publishes the draft as the next version", async () => {
    expect((await cli(["import", HELLO, NOTIFY, TASK])).code).to.equal(0);
    const result = await cli(["publish", "--key", "fx.ticket-greeting", "--json"]);
    expect(result.code, result.stderr).to.equal(0);
    expect(parseJsonOutput(result)).to.deep.include({
      workflowKey: "fx.ticket-greeting",
      version: 2,
      warnings: [],
    });
  });

  it("run --payload '<json>' --json prints the run in the documented shape", async () => {
    const payload = JSON.stringify({ invoiceId: "i-1", ownerId: "u-1", amount: 5 });
    const result = await cli(["run", "--key", "fx.invoice-notify", "--payload", payload, "--json"]);
    expect(result.code, result.stderr).to.equal(0);
    const run = parseJsonOutput(result);
    expect(Object.keys(run).sort()).to.deep.equal(
      ["invocations", "meta", "runId", "status", "steps", "vars", "version", "workflowId", "workflowKey"].sort(),
    );
    expect(run).to.deep.include({ workflowKey: "fx.invoice-notify", version: 1, status: "SUCCEEDED" });
    expect(run.steps).to.deep.include({
      stepPath: "root.steps[2].then.steps[0]",
      stepId: "notify-owner",
      type: "action.call",
      status: "SUCCEEDED",
    });
    expect(run.invocations).to.deep.equal([
      {
        stepPath: "root.steps[2].then.steps[0]",
        actionId: "notifications.send_in_app",
        version: 1,
        input: {
          recipients: { user_ids: ["u-1"] },
          title: "Invoice i-1 was sent",
          body: "Amount due: 5",
          severity: "info",
          dedupe_key: "fx.invoice-notify:i-1",
        },
        output: {},
      },
    ]);
    expect(run.meta).to.deep.equal({ state: "NOTIFIED" });
  });

  it("run --payload @file.json --version reads the payload file; a failed run exits 1 with its error", async () => {
    const file = join(dir, "payload.json");
    await writeFile(file, JSON.stringify({ ticketId: "t-1" }));
    const result = await cli([
      "run",
      "--key",
      "fx.ticket-project-task",
      "--version",
      "1",
      "--payload",
      `@${file}`,
      "--json",
    ]);
    expect(result.code).to.equal(1);
    const run = parseJsonOutput(result);
    expect(run).to.deep.include({ status: "FAILED", version: 1 });
    expect(run.error).to.deep.include({ category: "ExpressionError", nodePath: "root.steps[1]" });
    expect((run.invocations as { input: unknown }[])[0]?.input).to.deep.equal({
      ticket_id: "t-1",
      include: { attributes: true },
    });
  });

  it("run prints a human summary on stdout without --json, nothing on stderr", async () => {
    const result = await cli(["run", "--key", "fx.ticket-greeting"]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal("");
    expect(result.stdout).to.match(/^run [0-9a-f-]{36}: fx\.ticket-greeting version 2 SUCCEEDED$/m);
    expect(result.stdout).to.contain("root.steps[1] compose (transform.assign)");
  });

  it("publish for people: what was published on stdout, each warning (workflow and step) on stderr", async () => {
    expect((await cli(["import", EMAIL])).code).to.equal(0);
    const result = await cli(["publish", "--key", "fx.inbound-email-comment"]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^published fx\.inbound-email-comment version \d+\n$/);
    const warnings = result.stderr.trimEnd().split("\n");
    expect(
      warnings.map((l) => /^warning \[(\w+)\] fx\.inbound-email-comment (\S+): \S/.exec(l)?.slice(1)),
    ).to.deep.equal([
      ["NODE_TYPE_NOT_EXECUTED", "root.steps[0]"],
      ["NODE_TYPE_NOT_EXECUTED", "root.steps[1]"],
    ]);
  });

  it("refuses a payload that is not a JSON object, and unknown workflows, with error codes", async () => {
    const bad = await cli(["run", "--key", "fx.ticket-greeting", "--payload", "[1]", "--json"]);
    expect(bad.code).to.equal(1);
    expect((parseJsonOutput(bad).error as { code: string }).code).to.equal("INVALID_PAYLOAD");
    const invalid = await cli(["run", "--key", "fx.ticket-greeting", "--payload", "{nope", "--json"]);
    expect((parseJsonOutput(invalid).error as { code: string }).code).to.equal("INVALID_PAYLOAD");
    // Where the JSON breaks, said once: not the file-syntax hint glued into the payload hint.
    const human = humanErrorOf(
      await cli(["run", "--key", "fx.ticket-greeting", "--payload", "{nope"]),
      "INVALID_PAYLOAD",
    );
    expect(human).to.include("not valid JSON at line 1, column 2");
    expect(human)
      .to.not.match(/[^.]\.\.[^.]/)
      .and.not.include("--payload: not valid");
    const missing = await cli(["run", "--key", "nope", "--json"]);
    expect((parseJsonOutput(missing).error as { code: string }).code).to.equal("WORKFLOW_NOT_FOUND");
    const both = await cli(["run", "--json"]);
    expect(both.code).to.equal(2);
  });

  it("refuses an empty or malformed --workflow-id or --run as INVALID_ARGUMENT (exit 2), not as not found", async () => {
    const cases: [string[], string, string][] = [
      [["publish", "--workflow-id", "not-a-uuid"], "--workflow-id", "not-a-uuid"],
      [["run", "--workflow-id", ""], "--workflow-id", ""],
      [["resume", "--run", ""], "--run", ""],
      [["resume", "--run", "abc"], "--run", "abc"],
    ];
    for (const [args, option, received] of cases) {
      const error = jsonErrorOf(await cli([...args, "--json"]), "INVALID_ARGUMENT", 2);
      expect(error.details, args.join(" ")).to.include({ option, received });
      expect(error.message).to.include("UUID");
    }
    const human = humanErrorOf(await cli(["resume", "--run", ""]), "INVALID_ARGUMENT", 2);
    expect(human).to.not.include("no run  in");
  });

  it("a paused workflow is refused with WORKFLOW_PAUSED, and the message says how to unpause it", async () => {
    expect((await cli(["import", PAUSED])).code).to.equal(0);
    const json = await cli(["run", "--key", "fx.maintenance-paused", "--json"]);
    expect(json.code).to.equal(1);
    const error = parseJsonOutput(json).error as { code: string; details: Record<string, unknown> };
    expect(error.code).to.equal("WORKFLOW_PAUSED");
    expect(error.details).to.include({ workflowKey: "fx.maintenance-paused" });
    const human = humanErrorOf(await cli(["run", "--key", "fx.maintenance-paused"]), "WORKFLOW_PAUSED");
    expect(human).to.include('"isPaused": false').and.include("`workflow-seeder import --on-conflict update`");
  });

  it("publish reports PUBLISH_VALIDATION_FAILED with Alga's codes", async () => {
    expect((await cli(["import", TRYCATCH])).code).to.equal(0);
    const result = await cli(["publish", "--key", "fx.payment-failed-fallback", "--json"]);
    expect(result.code).to.equal(1);
    const { error } = parseJsonOutput<{
      error: { code: string; details: { errors: { code: string; stepPath: string }[] } };
    }>(result);
    expect(error.code).to.equal("PUBLISH_VALIDATION_FAILED");
    expect(error.details.errors.map((e) => `${e.code} ${e.stepPath}`)).to.deep.equal([
      "DUPLICATE_STEP_ID root.steps[1].catch.steps[0]",
    ]);
  });

  it("resume --run --event --payload continues a WAITING run", async () => {
    // The wait times out after an hour: far beyond this test, however loaded the machine.
    expect((await cli(["import", WAIT])).code).to.equal(0);
    const payload = JSON.stringify({ ticketId: "t-8", statusId: "waiting", customerEmail: "r@example.com" });
    const started = await cli(["run", "--key", "fx.ticket-await-reply", "--payload", payload, "--json"]);
    expect(started.code, started.stderr).to.equal(0);
    const waiting = parseJsonOutput(started);
    expect(waiting.status).to.equal("WAITING");

    const wrong = await cli(["resume", "--run", waiting.runId as string, "--event", "OTHER", "--json"]);
    expect(wrong.code).to.equal(1);
    const wrongError = parseJsonOutput(wrong).error as { code: string; details: Record<string, unknown> };
    expect(wrongError.code).to.equal("NO_MATCHING_WAIT");
    // What the run does wait for, so the next try can be right.
    expect(wrongError.details.waiting).to.deep.equal({
      waitType: "event",
      eventName: "TICKET_CUSTOMER_REPLIED",
      correlationKey: "t-8",
      stepPath: "root.steps[1].then.steps[0]",
    });
    const human0 = humanErrorOf(
      await cli(["resume", "--run", waiting.runId as string, "--event", "OTHER"]),
      "NO_MATCHING_WAIT",
    );
    expect(human0).to.include(
      'waits at root.steps[1].then.steps[0] for event "TICKET_CUSTOMER_REPLIED" with correlation key "t-8"',
    );
    expect(human0).to.include(
      `\`workflow-seeder resume --run ${waiting.runId} --event TICKET_CUSTOMER_REPLIED --correlation-key t-8 --payload '<json>'\``,
    );

    // For people: the waiting run on stdout, how to continue it on stderr.
    const human = await cli(["run", "--key", "fx.ticket-await-reply", "--payload", payload]);
    expect(human.code, human.stderr).to.equal(0);
    const runId = /^run ([0-9a-f-]{36}): fx\.ticket-await-reply version \d+ WAITING$/m.exec(human.stdout)?.[1];
    expect(runId, human.stdout).to.be.a("string");
    expect(human.stdout).to.not.include("resume");
    expect(human.stderr).to.equal(
      `continue it with \`workflow-seeder resume --run ${runId} --event <name> --payload '<json>'\` (for a timer: \`workflow-seeder resume --run ${runId}\`)\n`,
    );

    const resumed = await cli([
      "resume",
      "--run",
      waiting.runId as string,
      "--event",
      "TICKET_CUSTOMER_REPLIED",
      "--payload",
      '{"channel": "email", "text": "ok"}',
      "--json",
    ]);
    expect(resumed.code, resumed.stderr).to.equal(0);
    const done = parseJsonOutput(resumed);
    expect(done).to.deep.include({ runId: waiting.runId, status: "SUCCEEDED" });
    expect((done.invocations as { actionId: string }[]).map((i) => i.actionId)).to.deep.equal(["email.send"]);
  });

  it("verify <files> --payload-dir reports per workflow and changes nothing", async () => {
    const payloads = join(dir, "payloads");
    await mkdir(payloads);
    await writeFile(join(payloads, "fx.invoice-notify.json"), JSON.stringify({ invoiceId: "i", ownerId: "u" }));
    const before = await fingerprint(db.knex);
    const ok = await runCli([
      "verify",
      HELLO,
      NOTIFY,
      "--payload-dir",
      payloads,
      "--database-url",
      db.url as string,
      "--json",
    ]);
    expect(ok.code, ok.stderr).to.equal(0);
    const report = parseJsonOutput(ok) as {
      ok: boolean;
      workflows: { workflowKey: string; run: Record<string, unknown> }[];
    };
    expect(report.ok).to.equal(true);
    expect(report.workflows.map((w) => [w.workflowKey, w.run.status, w.run.payloadFile])).to.deep.equal([
      ["fx.invoice-notify", "SUCCEEDED", join(payloads, "fx.invoice-notify.json")],
      ["fx.ticket-greeting", "SUCCEEDED", null],
    ]);

    const failing = await runCli(["verify", TRYCATCH, "--database-url", db.url as string]);
    expect(failing.code).to.equal(1);
    expect(failing.stdout).to.match(/^FAIL {2}fx\.payment-failed-fallback: publish FAILED, run v1 FAILED$/m);
    expect(failing.stdout).to.contain("[DUPLICATE_STEP_ID]");
    expect(await fingerprint(db.knex)).to.deep.equal(before);
  });

  it("verify with no files checks the project's own seeds (seeds/workflows), and they all pass", async () => {
    const result = await runCli(["verify", "--database-url", db.url as string, "--json"]);
    expect(result.code, result.stderr).to.equal(0);
    const report = parseJsonOutput(result) as { ok: boolean; workflows: { ok: boolean }[] };
    expect(report.ok).to.equal(true);
    expect(report.workflows.length).to.be.greaterThan(0);
  });
});
