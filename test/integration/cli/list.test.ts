import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import {
  BASIC_SEEDS,
  LATER_SEED,
  LATER_SEED_FILE,
  makeSeedDir,
  makeTempDir,
  newTenant,
  removeTempDirs,
  seedName,
} from "../../fixtures/seed-kit.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { CLEAN_ENV, CLI_PATH, runCli as cli, humanErrorOf, jsonErrorOf, jsonOf } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";

interface Entry {
  key: string | null;
  workflowId: string;
  name: string;
  status: string;
  paused: boolean;
  draftVersion: number;
  publishedVersions: number[];
  latestPublishedVersion: number | null;
  seed: string | null;
}

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS).map(seedName) as [string, string];
const LATER = seedName(LATER_SEED_FILE);

describe("CLI: list", function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let url: string;
  let seeds: string;
  const tenant = newTenant();

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    seeds = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const up = await cli(["up", "--dir", seeds, "--database-url", url, "--tenant", tenant]);
    expect(up.code, up.stderr).to.equal(0);
    const manual = join(await makeTempDir("wfs-list-"), "manual.json");
    writeFileSync(
      manual,
      JSON.stringify(makeBundle({ workflows: [makeWorkflow({ key: "manual.one", published: 2 })] })),
    );
    const imported = await cli(["import", manual, "--database-url", url, "--tenant", tenant]);
    expect(imported.code, imported.stderr).to.equal(0);
  });

  after(async () => {
    await db?.close();
    await removeTempDirs();
  });

  const list = (...args: string[]) => cli(["list", "--database-url", url, ...args]);
  const idsByKey = async (t: string): Promise<Map<string, { id: string; status: string }>> => {
    const result = await db.knex.raw(
      "select key, workflow_id::text as id, status from workflow_definitions where tenant = ?",
      [t],
    );
    return new Map(result.rows.map((r: { key: string; id: string; status: string }) => [r.key, r]));
  };

  it("--json: every workflow of the tenant in key order, with id, status, versions and owning seed", async () => {
    const body = jsonOf(await list("--tenant", tenant, "--json")) as { tenant: string; workflows: Entry[] };
    expect(body.tenant).to.equal(tenant);
    const rows = await idsByKey(tenant);
    expect(body.workflows.map((w) => w.key)).to.deep.equal([
      "fixture.alpha",
      "fixture.beta",
      "fixture.delta",
      "fixture.gamma",
      "manual.one",
    ]);
    for (const w of body.workflows) {
      expect(w.workflowId, w.key as string).to.equal(rows.get(w.key as string)?.id);
      expect(w.status, w.key as string).to.equal(rows.get(w.key as string)?.status);
      expect(w.paused).to.equal(false);
    }
    const byKey = new Map(body.workflows.map((w) => [w.key, w]));
    // The later seed shipped a new version of alpha: it owns it now; the others keep their seed.
    expect([...byKey].map(([k, w]) => [k, w.seed])).to.deep.equal([
      ["fixture.alpha", LATER],
      ["fixture.beta", FIRST],
      ["fixture.delta", LATER],
      ["fixture.gamma", SECOND],
      ["manual.one", null],
    ]);
    expect(byKey.get("fixture.beta")).to.include({ latestPublishedVersion: 1 });
    expect(byKey.get("fixture.beta")?.publishedVersions).to.deep.equal([1]);
    expect(byKey.get("fixture.alpha")).to.include({ latestPublishedVersion: null });
    expect(byKey.get("fixture.alpha")?.publishedVersions).to.deep.equal([]);
    expect(byKey.get("manual.one")).to.include({
      draftVersion: 3,
      latestPublishedVersion: 2,
      name: "Workflow manual.one",
    });
    expect(byKey.get("manual.one")?.publishedVersions).to.deep.equal([1, 2]);
  });

  it("a workflow whose id changed since its seed wrote it is no longer the seed's", async () => {
    const other = newTenant();
    const up = await cli(["up", "--dir", await makeSeedDir(), "--database-url", url, "--tenant", other]);
    expect(up.code, up.stderr).to.equal(0);
    // Re-created under the same key by someone else (gamma has no versions to carry along).
    await db.knex.raw("update workflow_definitions set workflow_id = gen_random_uuid() where tenant = ? and key = ?", [
      other,
      "fixture.gamma",
    ]);
    const body = jsonOf(await list("--tenant", other, "--json")) as { workflows: Entry[] };
    expect(body.workflows.map((w) => [w.key, w.seed])).to.deep.equal([
      ["fixture.alpha", FIRST],
      ["fixture.beta", FIRST],
      ["fixture.gamma", null],
    ]);
  });

  it("prints a table for humans on stdout, nothing on stderr", async () => {
    const result = await list("--tenant", tenant);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal("");
    const lines = result.stdout.split("\n");
    expect(lines[0]).to.match(/^KEY\s+WORKFLOW ID\s+STATUS\s+DRAFT\s+PUBLISHED\s+SEED$/);
    const rows = await idsByKey(tenant);
    const beta = lines.find((l) => l.startsWith("fixture.beta "));
    expect(beta).to.match(
      new RegExp(`^fixture\\.beta\\s+${rows.get("fixture.beta")?.id}\\s+\\S+\\s+\\d+\\s+1\\s+${FIRST}$`),
    );
    const manual = lines.find((l) => l.startsWith("manual.one "));
    expect(manual).to.match(/\s3\s+1-2\s+-$/);
    expect(result.stdout).to.include(`5 workflows in tenant ${tenant}, 4 owned by a seed`);
  });

  it("pipes: `list | grep` gets the rows; an error goes past the pipe to stderr", async () => {
    /** Runs a shell pipeline with the CLI as "$WFS" (arguments in the environment, not quoted in). */
    const shell = (pipeline: string, env: Record<string, string>) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const clean: Record<string, string | undefined> = { ...process.env, ...CLEAN_ENV, ...env };
        for (const [k, v] of Object.entries(clean)) if (v === undefined) delete clean[k];
        execFile("sh", ["-c", pipeline], { env: clean as NodeJS.ProcessEnv }, (error, stdout, stderr) =>
          resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr }),
        );
      });
    const env = { NODE: process.execPath, WFS: CLI_PATH, URL: url, TENANT: tenant };
    const grep = await shell(
      '"$NODE" "$WFS" list --database-url "$URL" --tenant "$TENANT" | grep "^manual\\.one "',
      env,
    );
    expect(grep.code, grep.stderr).to.equal(0);
    expect(grep.stdout).to.match(/^manual\.one\s+\S+\s+published\s+3\s+1-2\s+-\n$/);
    expect(grep.stderr).to.equal("");

    const failed = await shell('"$NODE" "$WFS" list --database-url "$URL" --tenant acme | wc -l', env);
    expect(failed.stdout.trim()).to.equal("0");
    expect(failed.stderr).to.match(/^error \[INVALID_TENANT\]/);
  });

  it("another tenant's workflows are not listed; an empty tenant says so", async () => {
    const empty = newTenant();
    expect(jsonOf(await list("--tenant", empty, "--json"))).to.deep.equal({ tenant: empty, workflows: [] });
    const human = await list("--tenant", empty);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.equal(`no workflows in tenant ${empty}\n`);
    expect(human.stderr).to.equal("");
  });

  it("a tenant that is not a UUID is a usage error", async () => {
    jsonErrorOf(await list("--tenant", "acme", "--json"), "INVALID_TENANT", 2);
    humanErrorOf(await list("--tenant", "acme"), "INVALID_TENANT", 2);
  });
});
