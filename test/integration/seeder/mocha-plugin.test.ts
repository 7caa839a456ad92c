/**
 * The mocha root-hook plugin as an application uses it: a child mocha with
 * `--require dist/mocha-plugin.js` runs test/fixtures/mocha-plugin/example.spec.ts, whose first
 * test changes workflows and whose second test expects the seeded state again.
 */
import { resolve } from "node:path";
import { expect } from "chai";
import { BASIC_SEEDS, fixtureBundle, makeSeedDir, removeTempDirs } from "../../fixtures/seed-kit.js";
import { runCli } from "../../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../../support/databases.js";

const MOCHA = resolve("node_modules", "mocha", "bin", "mocha.js");
const PLUGIN = resolve("dist", "mocha-plugin.js");
const EXAMPLE_SPEC = resolve("dist", "test", "fixtures", "mocha-plugin", "example.spec.js");

interface MochaRun {
  code: number | null;
  output: string;
}

/** Runs the example spec in a child mocha (without this project's .mocharc, so only that spec runs). */
async function runExampleSpec(env: Record<string, string | undefined>): Promise<MochaRun> {
  const run = await runCli(["--no-config", "--no-package", "--reporter", "spec", "--require", PLUGIN, EXAMPLE_SPEC], {
    script: MOCHA,
    env,
  });
  return { code: run.code, output: run.stdout + run.stderr };
}

describe("seeder: mocha root-hook plugin", () => {
  let pg: TestDatabase | undefined;
  before(async function () {
    this.timeout(120_000);
    pg = await createPostgresDatabase();
  });
  after(async () => {
    await pg?.close();
    await removeTempDirs();
  });

  it("on the embedded database (mocha's default 2 s timeout): the second test sees the seeded state", async function () {
    this.timeout(180_000);
    const dir = await makeSeedDir();
    const run = await runExampleSpec({ DATABASE_URL: undefined, WORKFLOW_SEEDER_FIXTURES: dir });
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.match(/2 passing/);
  });

  it("on PostgreSQL: both tests pass and nothing is ever committed", async function () {
    this.timeout(120_000);
    const dir = await makeSeedDir();
    const tenant = "11111111-2222-4333-8444-555555555555";
    const before = await fingerprint((pg as TestDatabase).knex);
    const run = await runExampleSpec({
      DATABASE_URL: pg?.url as string,
      WORKFLOW_SEEDER_FIXTURES: dir,
      WORKFLOW_SEEDER_TENANT: tenant,
    });
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.match(/2 passing/);
    expect(await fingerprint((pg as TestDatabase).knex)).to.deep.equal(before);
  });

  it("the example spec does fail when the fixtures are not what it expects (the check is real)", async function () {
    this.timeout(120_000);
    const dir = await makeSeedDir({
      ...BASIC_SEEDS,
      "2026-02-01T09.30.00.extra.bundle.json": fixtureBundle([{ key: "fixture.extra" }]),
    });
    const run = await runExampleSpec({ DATABASE_URL: pg?.url as string, WORKFLOW_SEEDER_FIXTURES: dir });
    expect(run.code).to.not.equal(0);
    expect(run.output).to.match(/1 failing/);
  });
});
