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
