/**
 * What `run` and `verify` tell a human about a failure (the expression and reason that `--json`
 * carries), how `verify` explains `--payload-dir`, and payload files that name no workflow.
 * Bundles are built here (no corpus needed).
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ACTION, makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { humanErrorOf, jsonErrorOf, jsonOf, runCli } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";

/** A workflow whose one step maps `to` from an expression. */
const sendWith = (key: string, expression: string) =>
  makeWorkflow({
    key,
    definition: makeDefinition({
      name: key,
      steps: [
        {
          id: "send",
          type: "action.call",
          config: { actionId: ACTION.actionId, version: ACTION.version, inputMapping: { to: { $expr: expression } } },
        },
      ],
    }),
    nodeTypes: ["action.call"],
  });

/**
 * A workflow whose action step fails for each item (a secret the run is not given) and is
 * continued by the loop's `onItemError`: the run SUCCEEDS with FAILED steps.
 */
const continuedFailures = makeWorkflow({
  key: "report.continued",
  definition: makeDefinition({
    name: "report.continued",
    steps: [
      {
        id: "each",
        type: "control.forEach",
        items: { $expr: "payload.items" },
        itemVar: "item",
        onItemError: "continue",
        body: [
          {
            id: "send",
            type: "action.call",
            config: {
              actionId: ACTION.actionId,
              version: ACTION.version,
              inputMapping: { to: { $expr: "vars.item" }, key: { $secret: "SMTP_KEY" } },
            },
          },
        ],
      },
    ],
  }),
  nodeTypes: ["action.call"],
});

describe("CLI: run and verify explain failures [postgres]", function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dir: string;
  let bundle: string;
  const tenant = randomUUID();
  const cli = (args: string[]) => runCli([...args, "--database-url", db.url as string, "--tenant", tenant]);
  /** verify imports into a throw-away tenant of its own. */
  const verify = (args: string[]) => runCli(["verify", ...args, "--database-url", db.url as string]);

  before(async () => {
    db = await createPostgresDatabase();
    dir = await mkdtemp(join(tmpdir(), "wfs-runtime-reports-"));
    bundle = join(dir, "bundle.json");
    await writeFile(
      bundle,
      JSON.stringify(
        makeBundle({
          workflows: [sendWith("report.missing", "payload.email"), sendWith("report.syntax", "payload.(")],
        }),
      ),
    );
    const imported = await cli(["import", bundle]);
    expect(imported.code, imported.stderr).to.equal(0);
  });

  after(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe("run", () => {
    it("prints the failing expression and the reason, as --json has them", async () => {
      const json = await cli(["run", "--key", "report.missing", "--json"]);
      expect(json.code).to.equal(1);
      const error = (jsonOf(json) as { error: { category: string; details: Record<string, unknown> } }).error;
      expect(error.category).to.equal("ExpressionError");
      expect(error.details).to.include({ expression: "payload.email" });
      const reason = error.details.reason as string;
      expect(reason).to.be.a("string").and.not.equal("");

      const human = await cli(["run", "--key", "report.missing", "--version", "1"]);
      expect(human.code).to.equal(1);
      // A FAILED run is the result asked for (stdout), not an error of the command.
      expect(human.stderr).to.equal("");
      expect(human.stdout).to.include("error: ExpressionError at root.steps[0]");
      expect(human.stdout).to.include("expression: payload.email");
      expect(human.stdout).to.include(`reason: ${reason}`);
    });

    it("prints the expression that does not compile", async () => {
      const json = await cli(["run", "--key", "report.syntax", "--json"]);
      const error = (jsonOf(json) as { error: { details: Record<string, unknown> } }).error;
      expect(error.details).to.include({ expression: "payload.(" });
      const human = await cli(["run", "--key", "report.syntax"]);
      expect(human.code).to.equal(1);
      expect(human.stdout).to.include("expression: payload.(");
    });

    it("says why a step failed when the run went on (onItemError, onError): the step's error in --json and under the step", async () => {
      // Its own bundle: verify below verifies the shared one whole.
      const file = join(dir, "continued.json");
      await writeFile(file, JSON.stringify(makeBundle({ workflows: [continuedFailures] })));
      const imported = await cli(["import", file]);
      expect(imported.code, imported.stderr).to.equal(0);
      const payload = JSON.stringify({ items: ["a@example.com"] });
      const json = await cli(["run", "--key", "report.continued", "--payload", payload, "--json"]);
      expect(json.code, json.stderr).to.equal(0);
      const run = jsonOf(json) as {
        status: string;
        error?: unknown;
        steps: { stepPath: string; status: string; error?: { category: string; message: string; details?: unknown } }[];
      };
      expect(run.status).to.equal("SUCCEEDED");
      expect(run.error).to.equal(undefined);
      const failed = run.steps.filter((s) => s.status === "FAILED");
      expect(failed.map((s) => s.stepPath)).to.deep.equal(["root.steps[0].body.steps[0]"]);
      expect(failed[0]?.error).to.include({ category: "ActionError" });
      expect(failed[0]?.error?.message).to.include("SMTP_KEY");
      expect(failed[0]?.error?.details).to.deep.equal({ secret: "SMTP_KEY" });
      // A step that succeeded carries no error.
      expect(run.steps.filter((s) => s.status === "SUCCEEDED").every((s) => s.error === undefined)).to.equal(true);

      const human = await cli(["run", "--key", "report.continued", "--payload", payload]);
      expect(human.code, human.stderr).to.equal(0);
      const lines = human.stdout.split("\n");
      const at = lines.findIndex((l) => /^\s+FAILED\s+root\.steps\[0\]\.body\.steps\[0\] send/.test(l));
      expect(at, human.stdout).to.be.greaterThan(0);
      expect(lines[at + 1]).to.match(/^\s+error: ActionError: Failed to resolve secret "SMTP_KEY"/);
      expect(lines[at + 2]).to.match(/^\s+secret: "SMTP_KEY"$/);
    });

    it("a failure deep in nested child runs prints each cause once, not every message inside every other", async () => {
      // A workflow that calls itself until the call depth limit: 16 nested child runs.
      const self = makeDefinition({
        id: "self",
        name: "report.recursive",
        steps: [{ id: "again", type: "control.callWorkflow", workflowId: "self", workflowVersion: 1 }],
      });
      const file = join(dir, "recursive.json");
      await writeFile(
        file,
        JSON.stringify(makeBundle({ workflows: [makeWorkflow({ key: "report.recursive", definition: self })] })),
      );
      const imported = await cli(["import", file]);
      expect(imported.code, imported.stderr).to.equal(0);

      const json = await cli(["run", "--key", "report.recursive", "--json"]);
      expect(json.code).to.equal(1);
      const error = (jsonOf(json) as { error: { category: string; message: string } }).error;
      expect(error.category).to.equal("ChildWorkflowError");
      // --json keeps the whole chain as recorded.
      expect(error.message).to.include("depth limit");

      const human = await cli(["run", "--key", "report.recursive"]);
      expect(human.code).to.equal(1);
      expect(human.stdout.match(/depth limit reached/g), human.stdout).to.have.length(1);
      expect(human.stdout).to.not.include("Child workflow execution failed: Child workflow execution failed");
      expect(human.stdout).to.match(/more nested causes/);
      expect(human.stdout.split("\n").length, human.stdout).to.be.below(40);
    });

    it("a run that fails prints its error once, at the end", async () => {
      const human = await cli(["run", "--key", "report.missing"]);
      expect(human.code).to.equal(1);
      expect(human.stdout.match(/expression: payload\.email/g)).to.have.length(1);
      expect(human.stdout.match(/ExpressionError/g)).to.have.length(1);
    });
  });

  describe("verify", () => {
    it("prints the failing expression and reason, and explains --payload-dir for a run that had no payload", async () => {
      const result = await verify([bundle]);
      expect(result.code).to.equal(1);
      const block = result.stdout.slice(result.stdout.indexOf("FAIL  report.missing"));
      expect(block).to.include("expression: payload.email");
      expect(block).to.match(/reason: \S/);
      expect(block).to.include("it ran with the payload {}").and.not.include("--payload-dir");
      // What to do about it is a hint, for the person at the terminal.
      expect(result.stderr).to.include(
        "to give report.missing a sample payload, pass --payload-dir <folder> holding report.missing.json",
      );
    });

    it("with --payload-dir: the payload makes the run pass; a workflow without one is named with the file it lacks", async () => {
      const payloads = join(dir, "payloads");
      await mkdir(payloads);
      await writeFile(join(payloads, "report.missing.json"), JSON.stringify({ email: "a@example.com" }));
      await writeFile(join(payloads, "README.md"), "sample payloads, one per workflow key");
      const human = await verify([bundle, "--payload-dir", payloads]);
      expect(human.stdout).to.match(/ok\s+report\.missing: published v\d+, run v\d+ SUCCEEDED/);
      expect(human.stdout).to.include(
        `it ran with the payload {}: there is no ${join(payloads, "report.syntax.json")}`,
      );
      expect(human.stderr).to.equal(
        `to give report.syntax a sample payload, add ${join(payloads, "report.syntax.json")}\n`,
      );
      const json = jsonOf(await verify([bundle, "--payload-dir", payloads, "--json"])) as {
        workflows: { workflowKey: string; ok: boolean; run: { payloadFile?: string | null } }[];
      };
      expect(json.workflows.map((w) => [w.workflowKey, w.ok, w.run.payloadFile])).to.deep.equal([
        ["report.missing", true, join(payloads, "report.missing.json")],
        ["report.syntax", false, null],
      ]);
    });

    it("a payload file that names no workflow being verified is UNKNOWN_PAYLOAD_KEY", async () => {
      const payloads = join(dir, "misnamed");
      await mkdir(payloads);
      await writeFile(join(payloads, "report.missing.json"), "{}");
      await writeFile(join(payloads, "report.mising.json"), JSON.stringify({ email: "a@example.com" }));
      const error = jsonErrorOf(await verify([bundle, "--payload-dir", payloads, "--json"]), "UNKNOWN_PAYLOAD_KEY");
      expect(error.details).to.deep.equal({
        payloadDir: payloads,
        files: [join(payloads, "report.mising.json")],
        unknownKeys: ["report.mising"],
        knownKeys: ["report.missing", "report.syntax"],
      });
      const human = humanErrorOf(await verify([bundle, "--payload-dir", payloads]), "UNKNOWN_PAYLOAD_KEY");
      expect(human).to.include("report.mising.json");
    });

    it("a --payload-dir that does not exist is FILE_NOT_FOUND, not a silent run with {}", async () => {
      const missing = join(dir, "no-such-folder");
      const error = jsonErrorOf(await verify([bundle, "--payload-dir", missing, "--json"]), "FILE_NOT_FOUND");
      expect(error.details).to.deep.equal({ file: missing });
    });
  });
});
