import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { backendPids, waitUntil } from "../../reliability/support.js";
import { fixtureFile, fixtureSet } from "../../support/bundle-sets.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { independentCanonical } from "../../support/canonical.js";
import { runCli as cli, humanErrorOf, jsonErrorOf, jsonOf, startCli } from "../../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../../support/databases.js";

type Json = Record<string, unknown>;
const TENANT_A = "c1000000-0000-4000-8000-00000000000a";
const TENANT_B = "c1000000-0000-4000-8000-00000000000b";
const TENANT_C = "c1000000-0000-4000-8000-00000000000c";
const EXPORTED_AT = "2026-04-01T00:00:00.000Z";

describe("CLI: import and export against PostgreSQL", function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let dir: string;
  let url: string;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    dir = mkdtempSync(join(tmpdir(), "wfs-cli-io-"));
  });

  after(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value, null, 1));
    return path;
  };
  const on = (tenant: string) => ["--database-url", url, "--tenant", tenant];

  // `workflow-seeder import big.json --json | head -c 1`: the reader goes while the result is written.
  it("ends quietly, exit 1, when the reader of stdout goes away (EPIPE): no stack trace, the import stays committed", async () => {
    const workflows = Array.from({ length: 3000 }, (_, i) => makeWorkflow({ key: `fixture.epipe-${i}` }));
    const file = write("epipe.json", makeBundle({ workflows }));
    const run = startCli(["import", file, ...on("c1000000-0000-4000-8000-0000000000e9"), "--json"]);
    run.child.stdout.once("data", () => run.child.stdout.destroy());
    const result = await run.exited;
    expect({ code: result.code, stderr: result.stderr }).to.deep.equal({ code: 1, stderr: "" });
    // The import itself was made and committed before the result was written.
    const rows = await db.knex.raw("select count(*)::int as n from workflow_definitions where tenant = ?", [
      "c1000000-0000-4000-8000-0000000000e9",
    ]);
    expect(rows.rows[0].n).to.equal(3000);
  });

  // The same, when the reader goes only after the command has finished: its result is still queued
  // in the pipe, and the stream hands the failed flush to the exit path before it emits `error`.
  it("ends with exit 1, not 0, when the reader goes after the command has finished with its output still queued", async () => {
    const tenant = "c1000000-0000-4000-8000-0000000000ea";
    const workflows = Array.from({ length: 3000 }, (_, i) => makeWorkflow({ key: `fixture.epipe-late-${i}` }));
    const file = write("epipe-late.json", makeBundle({ workflows }));
    const run = startCli(["import", file, ...on(tenant), "--json"], { appName: "epipe-late" });
    // Read nothing: ~750 KB of result cannot all fit in the pipe, so the CLI waits to flush it.
    run.child.stdout.pause();
    const committed = async () =>
      (await db.knex.raw("select count(*)::int as n from workflow_definitions where tenant = ?", [tenant])).rows[0]
        .n === 3000;
    // The CLI prints its result, then closes its database sessions: once they are gone and the
    // import is committed, everything left is the queued output.
    await waitUntil("the import to commit and its sessions to close", async () => {
      return (await committed()) && (await backendPids(db.knex, "epipe-late")).length === 0;
    });
    run.child.stdout.destroy();
    const result = await run.exited;
    expect({ code: result.code, stderr: result.stderr }).to.deep.equal({ code: 1, stderr: "" });
  });

  it("round-trips through the CLI: import → export --out → import into another tenant → export gives identical bytes", async () => {
    const files = [fixtureFile("hello").path, fixtureFile("callChain").path];
    const imported = await cli(["import", ...files, ...on(TENANT_A), "--json"]);
    expect(imported.code, imported.stderr + imported.stdout).to.equal(0);
    const summary = jsonOf(imported);
    expect((summary.createdWorkflows as Json[]).map((w) => w.key)).to.deep.equal([
      "fx.ticket-greeting",
      "fx.chain.project-setup",
      "fx.chain.project-tasks",
      "fx.chain.project-audit",
    ]);
    expect(summary).to.have.keys([
      "createdWorkflows",
      "deletedWorkflows",
      "updatedWorkflows",
      "unchangedWorkflows",
      "skippedWorkflows",
      "createdPublishedVersions",
      "warnings",
    ]);

    const first = join(dir, "first.json");
    const exported = await cli(["export", "--all", "--exported-at", EXPORTED_AT, "--out", first, ...on(TENANT_A)]);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stdout).to.equal(`wrote 4 workflows to ${first}\n`);
    expect(exported.stderr).to.equal("");
    const text = readFileSync(first, "utf8");
    expect(text).to.equal(independentCanonical(JSON.parse(text)));

    expect((await cli(["import", first, ...on(TENANT_B)])).code).to.equal(0);
    const second = await cli(["export", "--all", "--exported-at", EXPORTED_AT, ...on(TENANT_B)]);
    expect(second.code, second.stderr).to.equal(0);
    // The bundle is all of stdout: a report there would corrupt `export > file`.
    expect(second.stdout).to.equal(text);
    expect(second.stderr).to.equal("");
  });

  it("prints the import summary for humans on stdout, its warnings on stderr", async () => {
    const file = write("human.json", makeBundle({ workflows: [makeWorkflow({ key: "cli.human" })] }));
    const result = await cli(["import", file, ...on(TENANT_A)]);
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^\s+created\s+cli\.human \(/m);
    expect(result.stderr).to.equal("");

    const draft = makeWorkflow({ key: "cli.wip" });
    ((draft.draft as Json).definition as Json).steps = "not steps";
    const warned = await cli(["import", write("wip.json", makeBundle({ workflows: [draft] })), ...on(TENANT_A)]);
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stdout).to.match(/^\s+created\s+cli\.wip \(/m);
    expect(warned.stdout).to.not.include("INVALID_DRAFT_DEFINITION");
    expect(warned.stderr).to.match(/^warning \[INVALID_DRAFT_DEFINITION\] .*cli\.wip/);
    expect(warned.stderr).to.not.include("created");
  });

  it("fails on an existing key with WORKFLOW_KEY_CONFLICT (exit 1), and writes nothing", async () => {
    const before = await fingerprint(db.knex);
    const file = write(
      "conflict.json",
      makeBundle({ workflows: [makeWorkflow({ key: "cli.fresh" }), makeWorkflow({ key: "cli.human" })] }),
    );
    const error = jsonErrorOf(await cli(["import", file, ...on(TENANT_A), "--json"]), "WORKFLOW_KEY_CONFLICT");
    expect(error.details).to.deep.include({ key: "cli.human", tenant: TENANT_A });
    humanErrorOf(await cli(["import", file, ...on(TENANT_A)]), "WORKFLOW_KEY_CONFLICT");
    expect(await fingerprint(db.knex)).to.deep.equal(before);
  });

  it("--force replaces, --on-conflict update keeps the id, --on-conflict skip skips", async () => {
    const file = write("policies.json", makeBundle({ workflows: [makeWorkflow({ key: "cli.human", published: 2 })] }));
    const replaced = jsonOf(await cli(["import", file, ...on(TENANT_A), "--force", "--json"]));
    expect((replaced.deletedWorkflows as Json[]).map((w) => w.key)).to.deep.equal(["cli.human"]);
    const newId = (replaced.createdWorkflows as Json[])[0]?.workflowId;
    const edited = write(
      "policies-edited.json",
      makeBundle({ workflows: [makeWorkflow({ key: "cli.human", metadata: { name: "Edited" }, published: 2 })] }),
    );
    const updated = jsonOf(await cli(["import", edited, ...on(TENANT_A), "--on-conflict", "update", "--json"]));
    expect(updated.updatedWorkflows).to.deep.equal([{ key: "cli.human", workflowId: newId }]);
    const same = jsonOf(await cli(["import", edited, ...on(TENANT_A), "--on-conflict", "update", "--json"]));
    expect(same.updatedWorkflows).to.deep.equal([]);
    expect(same.unchangedWorkflows).to.deep.equal([{ key: "cli.human", workflowId: newId }]);
    const skipped = jsonOf(await cli(["import", file, ...on(TENANT_A), "--on-conflict", "skip", "--json"]));
    expect(skipped.skippedWorkflows).to.deep.equal([{ key: "cli.human", workflowId: newId }]);
  });

  it("import --on-conflict update of the same bundle twice: the second says unchanged and writes nothing", async () => {
    const file = write(
      "twice.json",
      makeBundle({
        workflows: [makeWorkflow({ key: "cli.twice", published: 2 }), makeWorkflow({ key: "cli.twice-b" })],
      }),
    );
    const first = jsonOf(await cli(["import", file, ...on(TENANT_C), "--json"]));
    const created = first.createdWorkflows as Json[];
    const before = await fingerprint(db.knex, TENANT_C);
    const again = jsonOf(await cli(["import", file, ...on(TENANT_C), "--on-conflict", "update", "--json"]));
    expect(again.unchangedWorkflows).to.deep.equal(created);
    expect(again.updatedWorkflows).to.deep.equal([]);
    expect(again.createdPublishedVersions).to.deep.equal([]);
    expect(await fingerprint(db.knex, TENANT_C)).to.deep.equal(before);
    const human = await cli(["import", file, ...on(TENANT_C), "--on-conflict", "update"]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/^\s+unchanged\s+cli\.twice \(/m);
    expect(human.stdout).to.match(/^\s+unchanged\s+cli\.twice-b \(/m);
    expect(human.stdout).to.not.match(/^\s+updated\s/m);
    expect(await fingerprint(db.knex, TENANT_C)).to.deep.equal(before);
  });

  it("rejects broken JSON and missing dependencies with their codes, exit 1, nothing written", async () => {
    const fixtures = fixtureSet();
    const before = await fingerprint(db.knex);
    const { file, line, column } = fixtures.invalidJson;
    const broken = jsonErrorOf(await cli(["import", fixtures.path(file), ...on(TENANT_A), "--json"]), "INVALID_JSON");
    expect(broken.details).to.deep.include({ line, column });
    for (const lacking of fixtures.missingDependencyFiles) {
      const missing = jsonErrorOf(
        await cli(["import", fixtures.path(lacking.file), ...on(TENANT_A), "--json"]),
        "MISSING_DEPENDENCIES",
      );
      expect(missing.details as Json).to.deep.include({
        missingActions: lacking.actions,
        missingNodeTypes: lacking.nodeTypes,
        missingSchemaRefs: lacking.schemaRefs,
      });
    }
    expect(await fingerprint(db.knex)).to.deep.equal(before);
    const [lacking] = fixtures.missingDependencyFiles;
    const catalog = write("catalog.json", {
      actions: lacking?.actions,
      nodeTypes: lacking?.nodeTypes,
      schemaRefs: lacking?.schemaRefs,
    });
    const withCatalog = await cli([
      "import",
      fixtures.path(lacking?.file as string),
      ...on(TENANT_A),
      "--catalog",
      catalog,
      "--json",
    ]);
    expect(withCatalog.code, withCatalog.stdout).to.equal(0);
  });

  it("imports several files as one transaction, or one per file with --each", async () => {
    const good = write("each-good.json", makeBundle({ workflows: [makeWorkflow({ key: "cli.each-good" })] }));
    const bad = write("each-bad.json", makeBundle({ workflows: [makeWorkflow({ key: "cli.human" })] }));
    const tenant = TENANT_A;
    jsonErrorOf(await cli(["import", good, bad, ...on(tenant), "--json"]), "WORKFLOW_KEY_CONFLICT");
    const none = await db.knex.raw("select count(*)::int as n from workflow_definitions where key = 'cli.each-good'");
    expect(none.rows[0].n).to.equal(0);
    const each = await cli(["import", good, bad, ...on(tenant), "--each", "--json"]);
    expect(each.code).to.equal(1);
    const body = jsonOf(each);
    expect((body.error as Json).code).to.equal("WORKFLOW_KEY_CONFLICT");
    expect((body.files as Json[]).map((f) => f.ok)).to.deep.equal([true, false]);
    const one = await db.knex.raw("select count(*)::int as n from workflow_definitions where key = 'cli.each-good'");
    expect(one.rows[0].n).to.equal(1);

    // For people: every file's verdict is the report (stdout), the failed one's included.
    const human = await cli(["import", bad, good, ...on(tenant), "--each", "--on-conflict", "skip"]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout)
      .to.include(`${bad}: import into tenant ${tenant}`)
      .and.match(/skipped\s+cli\.human/);
    expect(human.stdout).to.match(/skipped\s+cli\.each-good/);
    expect(human.stderr).to.equal("");
    const failed = await cli(["import", bad, good, ...on(tenant), "--each"]);
    expect(failed.code).to.equal(1);
    expect(failed.stdout).to.match(/^FAIL {2}\[WORKFLOW_KEY_CONFLICT\] .*"cli\.human"/m);
    expect(failed.stdout).to.match(/^FAIL {2}\[WORKFLOW_KEY_CONFLICT\] .*"cli\.each-good"/m);
    expect(failed.stderr).to.equal("");
  });

  it("reads a bundle from stdin with '-'", async () => {
    const result = await cli(["import", "-", ...on(TENANT_A), "--json"], {
      input: JSON.stringify(makeBundle({ workflows: [makeWorkflow({ key: "cli.stdin" })] })),
    });
    expect(result.code, result.stdout).to.equal(0);
    expect((jsonOf(result).createdWorkflows as Json[]).map((w) => w.key)).to.deep.equal(["cli.stdin"]);
  });

  it("export fails with WORKFLOW_NOT_FOUND listing the unknown keys and ids", async () => {
    const error = jsonErrorOf(
      await cli([
        "export",
        "--key",
        "cli.stdin",
        "--key",
        "cli.nope",
        "--workflow-id",
        "00000000-0000-4000-8000-00000000beef",
        ...on(TENANT_A),
        "--json",
      ]),
      "WORKFLOW_NOT_FOUND",
    );
    expect(error.details).to.deep.equal({
      workflowIds: ["00000000-0000-4000-8000-00000000beef"],
      keys: ["cli.nope"],
      tenant: TENANT_A,
    });
  });

  it("export refuses --all together with --key or --workflow-id (INVALID_ARGUMENT, exit 2, naming both options), and writes nothing", async () => {
    const out = join(dir, "all-and-key.json");
    const withKey = await cli(["export", "--all", "--key", "cli.stdin", "--out", out, ...on(TENANT_A), "--json"]);
    const keyError = jsonErrorOf(withKey, "INVALID_ARGUMENT", 2);
    expect(keyError.details).to.include({ option: "--key", received: "cli.stdin" });
    expect(keyError.message).to.include("--all").and.include("drop");
    const id = "00000000-0000-4000-8000-00000000beef";
    const withId = await cli(["export", "--workflow-id", id, "--all", ...on(TENANT_A)]);
    const human = humanErrorOf(withId, "INVALID_ARGUMENT", 2);
    expect(human).to.include("--workflow-id").and.include("--all");
    expect(withId.stdout).to.equal("");
    // Both conflicts at once are both reported.
    const both = jsonErrorOf(
      await cli(["export", "--all", "--key", "k", "--workflow-id", id, ...on(TENANT_A), "--json"]),
      "INVALID_ARGUMENT",
      2,
    );
    expect((both.issues as { details: Json }[]).map((i) => i.details.option)).to.deep.equal(["--key", "--workflow-id"]);
    expect(existsSync(out), out).to.equal(false);
  });

  it("export refuses a malformed or empty --workflow-id as INVALID_ARGUMENT (exit 2), as the HTTP API does, every bad id named", async () => {
    const result = await cli([
      "export",
      "--workflow-id",
      "not-a-uuid",
      "--workflow-id",
      "",
      "--key",
      "cli.stdin",
      ...on(TENANT_A),
      "--json",
    ]);
    const error = jsonErrorOf(result, "INVALID_ARGUMENT", 2);
    expect(error.details).to.deep.equal({
      option: "--workflow-id",
      received: "not-a-uuid",
      expected: "a workflow UUID",
    });
    expect((error.issues as { details: Json }[]).map((i) => i.details.received)).to.deep.equal(["not-a-uuid", ""]);
    const seed = await cli(["export", "--workflow-id", "nope", "--seed", "x", "--dir", dir, ...on(TENANT_A)]);
    humanErrorOf(seed, "INVALID_ARGUMENT", 2);
  });

  it("export --out --json prints one document naming the file and the workflows", async () => {
    const out = join(dir, "out.json");
    const result = await cli(["export", "--key", "cli.stdin", "--out", out, ...on(TENANT_A), "--json"]);
    expect(jsonOf(result)).to.deep.equal({ file: out, workflows: ["cli.stdin"] });
  });

  it("reports an unreachable server as DATABASE_UNAVAILABLE (exit 1), without a stack trace or password", async () => {
    const result = await cli([
      "export",
      "--all",
      "--database-url",
      "postgres://postgres:s3cret@127.0.0.1:1/none",
      "--tenant",
      TENANT_A,
      "--json",
    ]);
    const error = jsonErrorOf(result, "DATABASE_UNAVAILABLE");
    expect(JSON.stringify(error)).to.not.include("s3cret");
  });
});

describe("CLI: import and export on the embedded default database", function () {
  this.timeout(180_000);
  let cwd: string;

  before(() => {
    cwd = mkdtempSync(join(tmpdir(), "wfs-cli-embedded-"));
  });

  after(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it("needs no server: imports into .workflow-seeder/pglite of the working directory, and exports from it", async () => {
    const file = join(cwd, "bundle.json");
    writeFileSync(
      file,
      JSON.stringify(makeBundle({ workflows: [makeWorkflow({ key: "cli.embedded", published: 2 })] })),
    );
    const imported = await cli(["import", file, "--json"], { cwd });
    expect(imported.code, imported.stderr).to.equal(0);
    expect((jsonOf(imported).createdWorkflows as Json[]).map((w) => w.key)).to.deep.equal(["cli.embedded"]);
    const exported = await cli(["export", "--key", "cli.embedded", "--exported-at", EXPORTED_AT], { cwd });
    expect(exported.code, exported.stderr).to.equal(0);
    const bundle = JSON.parse(exported.stdout) as Json;
    expect((bundle.workflows as Json[]).map((w) => w.key)).to.deep.equal(["cli.embedded"]);
    expect(exported.stdout).to.equal(independentCanonical(bundle));
    const again = await cli(["import", file, "--json"], { cwd });
    jsonErrorOf(again, "WORKFLOW_KEY_CONFLICT");
    expect(readFileSync(join(cwd, ".workflow-seeder", "pglite", "PG_VERSION"), "utf8")).to.match(/^\d+/);
  });
});
