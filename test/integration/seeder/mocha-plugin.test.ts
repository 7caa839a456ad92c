/**
 * The mocha root-hook plugin as an application uses it: a child mocha with
 * `--require dist/mocha-plugin.js` runs test/fixtures/mocha-plugin/example.spec.ts, whose first
 * test changes workflows and whose second test expects the seeded state again.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { BASIC_SEEDS, fixtureBundle, makeSeedDir, removeTempDirs } from "../../fixtures/seed-kit.js";
import { fixtureSet } from "../../support/bundle-sets.js";
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

  it("a setup error is the structured message (error [CODE]: ...) naming the plugin's variables, without a stack trace", async function () {
    this.timeout(120_000);
    const dir = await makeSeedDir();
    const badCatalog = join(dir, "..", `catalog-${Date.now()}.json`);
    await writeFile(badCatalog, '{"mode": "bogus"}');
    const fixtures = fixtureSet();
    const missing = fixtures.missingDependencyFiles[0]?.file as string;
    const needsCatalog = await makeSeedDir({
      "2026-01-01T00.00.00.needs-catalog.bundle.json": await readFile(fixtures.path(missing), "utf8"),
    });
    const cases = [
      {
        env: { DATABASE_URL: "postgres://postgres:secret@127.0.0.1:1/x", WORKFLOW_SEEDER_FIXTURES: dir },
        code: "DATABASE_UNAVAILABLE",
        says: ["postgres://postgres:***@127.0.0.1:1/x", "DATABASE_URL"],
      },
      {
        env: { DATABASE_URL: pg?.url as string, WORKFLOW_SEEDER_FIXTURES: dir, WORKFLOW_SEEDER_CATALOG: badCatalog },
        code: "INVALID_CATALOG",
        says: [badCatalog],
      },
      {
        env: { DATABASE_URL: pg?.url as string, WORKFLOW_SEEDER_FIXTURES: join(dir, "no-such-folder") },
        code: "FILE_NOT_FOUND",
        says: ["no-such-folder"],
      },
      {
        env: { DATABASE_URL: pg?.url as string, WORKFLOW_SEEDER_FIXTURES: needsCatalog },
        code: "INVALID_SEED_BUNDLE",
        says: ["WORKFLOW_SEEDER_CATALOG=<file>"],
      },
    ];
    for (const c of cases) {
      const run = await runExampleSpec(c.env);
      expect(run.code, run.output).to.not.equal(0);
      expect(run.output).to.contain(`error [${c.code}]: `);
      for (const text of c.says) expect(run.output, run.output).to.contain(text);
      expect(run.output, run.output).to.not.match(/^\s+at /m);
      expect(run.output).to.not.contain("Caused by");
      // A CLI option means nothing to a mocha run.
      expect(run.output, run.output).to.not.match(/--(catalog|database-url|tenant)\b/);
      expect(run.output).to.not.contain("secret");
    }
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
