/**
 * The test harnesses of docs/guides/seeding.md ("Fixtures for test harnesses"), run exactly as
 * written: their files are taken from the guide (the blocks marked `<!-- harness <name>: <path> -->`)
 * into a project next to an installed copy of the package (with mocha and chai, see
 * ../../support/packed-package.ts), and the guide's command runs in a shell, against a fresh
 * PostgreSQL database that nobody migrated. Also: the fixture API creating the schema itself,
 * from several connections at once, on a pool of one connection.
 */
import { exec as execCallback } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import knexFactory, { type Knex } from "knex";
import { MIGRATION_NAMES } from "../../../src/db/migrations.js";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";
import { resetWorkflowFixtures } from "../../../src/seeder/workflow-fixtures.js";
import { newTenant } from "../../fixtures/seed-kit.js";
import { bundleOf, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { CLEAN_ENV } from "../../support/cli.js";
import { createPgliteDatabase, createPostgresDatabase, type TestDatabase } from "../../support/databases.js";
import { installPackedPackage, npmEnv } from "../../support/packed-package.js";

const exec = promisify(execCallback);
const GUIDE = resolve("docs", "guides", "seeding.md");
const PROJECT_SEEDS = resolve("seeds", "workflows");

interface Harness {
  files: Map<string, string>;
  run?: string;
}

/**
 * The harnesses of the guide: name -> files (path -> text) and the command to run. A block
 * marked `<!-- harness a b: <path> -->` belongs to harnesses a and b.
 */
function readHarnesses(): Map<string, Harness> {
  const text = readFileSync(GUIDE, "utf8");
  const harnesses = new Map<string, Harness>();
  for (const m of text.matchAll(/<!-- harness ([\w ]+): (\S+) -->\n```\w*\n([\s\S]*?)```/g)) {
    const [, names, path, body] = m as unknown as [string, string, string, string];
    for (const name of names.trim().split(/\s+/)) {
      const harness: Harness = harnesses.get(name) ?? { files: new Map() };
      if (path === "run") harness.run = body.trim();
      else harness.files.set(path, body);
      harnesses.set(name, harness);
    }
  }
  return harnesses;
}

/**
 * A seed that needs an action of the harness's catalog file (`acme.crm.sync_contact@1`): the
 * fixtures fail their dependency check without that catalog.
 */
function acmeSeed(): string {
  const action = { actionId: "acme.crm.sync_contact", version: 1 };
  const workflow = makeWorkflow({
    key: "acme.sync-contact",
    definition: makeDefinition({
      name: "acme.sync-contact",
      steps: [{ id: "sync", type: "action.call", config: { ...action, inputMapping: {} } }],
    }),
    actions: [action],
    nodeTypes: ["action.call"],
  });
  return canonicalizeJson(bundleOf([workflow], "2026-01-25T11:00:00.000Z"));
}

interface ShellRun {
  code: number;
  output: string;
}

describe("the documented test harnesses, run as written [postgres]", function () {
  this.timeout(600_000);
  const harnesses = readHarnesses();
  const databases: TestDatabase[] = [];
  let app: string;
  let projects = 0;

  /** A database on the server that nothing has migrated. */
  const freshDatabase = async (): Promise<TestDatabase> => {
    const db = await createPostgresDatabase({ migrate: false });
    databases.push(db);
    return db;
  };

  /** Writes the harness's files and the seeds (the project's own, and one needing the catalog) into a new project. */
  const project = (name: string): string => {
    const harness = harnesses.get(name);
    if (!harness) throw new Error(`no harness "${name}" in ${GUIDE}`);
    const dir = join(app, `harness-${name}-${projects++}`);
    for (const [path, text] of harness.files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    cpSync(PROJECT_SEEDS, join(dir, "seeds", "workflows"), { recursive: true });
    writeFileSync(join(dir, "seeds", "workflows", "2026-01-25T11.00.00.acme-sync-contact.bundle.json"), acmeSeed());
    return dir;
  };

  /** Runs a command in a shell in `cwd`, as a user types it, with `DATABASE_URL` set. */
  const shell = async (command: string, cwd: string, databaseUrl: string): Promise<ShellRun> => {
    const env: NodeJS.ProcessEnv = { ...npmEnv({ DATABASE_URL: databaseUrl }) };
    for (const key of Object.keys(CLEAN_ENV)) if (key !== "DATABASE_URL") delete env[key];
    delete env.WORKFLOW_SEEDER_FIXTURES;
    try {
      const { stdout, stderr } = await exec(command, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
  };

  const tableExists = async (knex: Knex, table: string): Promise<boolean> =>
    (await knex.raw("select to_regclass(?) is not null as present", [table])).rows[0].present;

  before(async () => {
    ({ app } = await installPackedPackage());
  });

  after(async () => {
    for (const db of databases) await db.close();
  });

  it("the guide holds both harnesses, each with its files and its command", () => {
    expect([...harnesses.keys()].sort()).to.deep.equal(["plugin", "reset"]);
    for (const [name, harness] of harnesses) {
      expect(harness.run, name)
        .to.be.a("string")
        .and.match(/npx mocha/);
      expect(harness.files.size, name).to.be.above(0);
    }
  });

  describe("the mocha plugin harness", () => {
    const command = () => harnesses.get("plugin")?.run as string;

    it("passes on a database nobody migrated: the plugin creates the schema, commits nothing else", async () => {
      const db = await freshDatabase();
      const run = await shell(command(), project("plugin"), db.url as string);
      expect(run.code, run.output).to.equal(0);
      expect(run.output).to.match(/3 passing/);
      expect(await tableExists(db.knex, "workflow_seeder_seeds")).to.equal(true);
      expect((await db.knex("workflow_definitions").count({ n: "*" }))[0]?.n).to.equal("0");
    });

    it("needs the catalog it names (WORKFLOW_SEEDER_CATALOG): without it the fixtures are refused", async () => {
      const db = await freshDatabase();
      const withoutCatalog = command().replace(/WORKFLOW_SEEDER_CATALOG=\S+\s+/, "");
      expect(withoutCatalog).to.not.equal(command());
      const run = await shell(withoutCatalog, project("plugin"), db.url as string);
      expect(run.code).to.not.equal(0);
      expect(run.output).to.include("acme.crm.sync_contact");
    });

    it("several runs starting at once on a fresh database all pass (the migrations take turns)", async () => {
      const db = await freshDatabase();
      const dir = project("plugin");
      const runs = await Promise.all([1, 2, 3].map(() => shell(command(), dir, db.url as string)));
      for (const run of runs) {
        expect(run.code, run.output).to.equal(0);
        expect(run.output).to.match(/3 passing/);
      }
      const names = (await db.knex.raw("select name from workflow_seeder_migrations order by id")).rows.map(
        (r: { name: string }) => r.name,
      );
      expect(names).to.deep.equal([...MIGRATION_NAMES]);
    });
  });

  describe("the reset API harness", () => {
    it("passes on a database nobody migrated, and leaves the seeded workflows committed", async () => {
      const db = await freshDatabase();
      const run = await shell(harnesses.get("reset")?.run as string, project("reset"), db.url as string);
      expect(run.code, run.output).to.equal(0);
      expect(run.output).to.match(/2 passing/);
      const keys = (await db.knex("workflow_definitions").select("key").orderBy("key")).map((r) => r.key);
      expect(keys).to.include.members(["acme.sync-contact", "seeder.ticket-created-notify-assignee"]);
    });
  });
});

describe("the fixture API creates the schema itself", function () {
  this.timeout(180_000);

  it("from several connections at once, each a pool of one, on a database nobody migrated [postgres]", async () => {
    const db = await createPostgresDatabase({ migrate: false });
    const knexes = [1, 2, 3].map(() =>
      knexFactory({ client: "pg", connection: db.url as string, pool: { min: 0, max: 1 } }),
    );
    try {
      const tenants = knexes.map(() => newTenant());
      const results = await Promise.all(
        knexes.map((knex, i) => resetWorkflowFixtures(knex, { tenant: tenants[i] as string, dir: PROJECT_SEEDS })),
      );
      expect(results.map((r) => r.seeds)).to.deep.equal([3, 3, 3]);
      const names = (await db.knex.raw("select name from workflow_seeder_migrations order by id")).rows.map(
        (r: { name: string }) => r.name,
      );
      expect(names).to.deep.equal([...MIGRATION_NAMES]);
    } finally {
      for (const knex of knexes) await knex.destroy();
      await db.close();
    }
  });

  it("on the embedded database (one connection) [pglite]", async () => {
    const db = await createPgliteDatabase({ migrate: false });
    try {
      const result = await resetWorkflowFixtures(db.knex, { tenant: newTenant(), dir: PROJECT_SEEDS });
      expect(result.seeds).to.equal(3);
    } finally {
      await db.close();
    }
  });
});
