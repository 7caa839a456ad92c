import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { runCli as cli, jsonErrorOf } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";

describe("CLI: edge cases of the output contract", function () {
  this.timeout(120_000);
  let dir: string;
  let db: TestDatabase;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wfs-cli-edge-"));
    db = await createPostgresDatabase();
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.close();
  });

  it("fmt refuses a value it cannot write back (1e309, deep nesting) with VALUE_OUT_OF_RANGE, not an internal error", async () => {
    const overflow = join(dir, "overflow.json");
    writeFileSync(overflow, '{"a": 1e309}');
    const deep = join(dir, "deep.json");
    writeFileSync(deep, `{"a": ${"[".repeat(5_000)}${"]".repeat(5_000)}}`);
    for (const file of [overflow, deep]) {
      const error = jsonErrorOf(await cli(["fmt", "--check", file, "--json"]), "VALUE_OUT_OF_RANGE");
      expect((error.details as { errors: unknown[] }).errors).to.have.length.greaterThan(0);
    }
  });

  it("a bundle file that is not UTF-8 is INVALID_JSON with its line and column, never stored", async () => {
    const file = join(dir, "latin1.json");
    const text = JSON.stringify(makeBundle(), null, 2);
    const at = text.indexOf('"name"');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xe9, 0x0a]), Buffer.from(text.slice(at))]),
    );
    const error = jsonErrorOf(await cli(["validate", file, "--json"]), "INVALID_JSON");
    const details = error.details as { line: number; column: number };
    expect(details.line).to.equal(text.slice(0, at).split("\n").length);
    const imported = await cli(["import", file, "--database-url", db.url as string, "--json"]);
    jsonErrorOf(imported, "INVALID_JSON");
    const rows = await db.knex.raw("select count(*)::int as n from workflow_definitions");
    expect(rows.rows[0].n).to.equal(0);
  });

  it("import --actor writes the actor to the audit columns; an actor that is not a UUID is a usage error", async () => {
    const file = join(dir, "actor.json");
    writeFileSync(file, JSON.stringify(makeBundle({ workflows: [makeWorkflow({ key: "edge.actor" })] })));
    const actor = "11111111-2222-3333-4444-555555555555";
    const url = db.url as string;
    jsonErrorOf(await cli(["import", file, "--database-url", url, "--actor", "me", "--json"]), "INVALID_ARGUMENT", 2);
    const ok = await cli(["import", file, "--database-url", url, "--actor", actor, "--json"]);
    expect(ok.code, ok.stderr).to.equal(0);
    const rows = await db.knex.raw(
      `select d.created_by::text as c, d.updated_by::text as u, v.published_by::text as p
       from workflow_definitions d join workflow_definition_versions v using (tenant, workflow_id) where d.key = 'edge.actor'`,
    );
    expect(rows.rows).to.deep.equal([{ c: actor, u: actor, p: actor }]);
  });

  it("a seeds folder that does not exist is FILE_NOT_FOUND, not 'nothing to do'", async () => {
    const missing = join(dir, "no-such-seeds");
    for (const command of ["up", "status", "plan", "baseline"]) {
      const result = await cli([command, "--dir", missing, "--database-url", db.url as string, "--json"]);
      const error = jsonErrorOf(result, "FILE_NOT_FOUND");
      expect((error.details as { file: string }).file).to.equal(missing);
    }
  });

  it("status --detailed-exitcode keeps 2 for 'pending': every error, usage errors included, exits 1", async () => {
    const seeds = mkdtempSync(join(dir, "seeds-"));
    writeFileSync(join(seeds, "2026-01-01T00.00.00.one.bundle.json"), JSON.stringify(makeBundle()));
    const url = db.url as string;
    const pending = await cli(["status", "--dir", seeds, "--database-url", url, "--detailed-exitcode"]);
    expect(pending.code, pending.stderr).to.equal(2);
    const badTenant = await cli([
      "status",
      "--dir",
      seeds,
      "--database-url",
      url,
      "--tenant",
      "nope",
      "--detailed-exitcode",
    ]);
    expect(badTenant.code, badTenant.stderr).to.equal(1);
    expect(badTenant.stderr).to.include("INVALID_TENANT");
    const badOption = await cli(["status", "--dir", seeds, "--no-such-option", "--detailed-exitcode"]);
    expect(badOption.code, badOption.stderr).to.equal(1);
    const usage = await cli(["status", "--dir", seeds, "--no-such-option"]);
    expect(usage.code, usage.stderr).to.equal(2);
  });
});
