/**
 * The tenant a command uses when none is named, on a database shaped like Alga's (a `tenants`
 * table): the development tenant only when it is a tenant there; else the only tenant; else
 * INVALID_TENANT listing the tenants, and nothing written.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { fixtureBundle, makeSeedDir, makeTempDir, removeTempDirs } from "../../fixtures/seed-kit.js";
import { type CliResult, humanErrorOf, jsonErrorOf, jsonOf, runCli } from "../../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../../support/databases.js";

const DEV_TENANT = "00000000-0000-0000-0000-000000000001";
const ACME = "a1000000-0000-4000-8000-000000000001";
const GLOBEX = "a1000000-0000-4000-8000-000000000002";

/** Alga's `tenants` table, the columns that matter here (its primary key and company name). */
const TENANTS_DDL = `create table tenants (
  tenant uuid primary key default gen_random_uuid(),
  company_name text not null,
  email text not null default 'admin@example.com',
  created_at timestamptz not null default now()
)`;

describe("CLI: the default tenant on an Alga-shaped database [postgres]", function () {
  this.timeout(120_000);
  let pg: TestDatabase | undefined;
  const db = () => pg as TestDatabase;
  let seeds: string;
  let bundle: string;
  before(async () => {
    pg = await createPostgresDatabase();
    await db().knex.raw(TENANTS_DDL);
    seeds = await makeSeedDir();
    bundle = join(await makeTempDir("wfs-default-tenant-"), "one.json");
    await writeFile(bundle, JSON.stringify(fixtureBundle([{ key: "fixture.imported" }])));
  });
  after(async () => {
    await pg?.close();
    await removeTempDirs();
  });
  beforeEach(async () => {
    await db().knex.raw("delete from workflow_seeder_seeds");
    await db().knex.raw("delete from workflow_definitions");
    await db().knex.raw("delete from tenants");
  });

  const setTenants = async (...rows: [string, string][]) => {
    for (const [tenant, name] of rows)
      await db().knex.raw("insert into tenants (tenant, company_name) values (?, ?)", [tenant, name]);
  };
  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli([...args, "--database-url", db().url as string], { env });
  const tenantsWithWorkflows = async (): Promise<string[]> =>
    (await db().knex.raw("select distinct tenant::text as t from workflow_definitions order by 1")).rows.map(
      (r: { t: string }) => r.t,
    );

  it("the development tenant, when it is one of the tenants", async () => {
    await setTenants([DEV_TENANT, "Dev"], [ACME, "Acme"]);
    const up = await cli(["up", "--dir", seeds, "--json"]);
    expect(up.code, up.stderr).to.equal(0);
    expect(await tenantsWithWorkflows()).to.deep.equal([DEV_TENANT]);
  });

  it("the only tenant, when the development tenant is not one: up, import, status, export and list use it", async () => {
    await setTenants([ACME, "Acme"]);
    const up = await cli(["up", "--dir", seeds]);
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.include(`tenant ${ACME}`);
    const imported = await cli(["import", bundle]);
    expect(imported.code, imported.stderr).to.equal(0);
    expect(imported.stdout).to.include(`import into tenant ${ACME}`);
    expect(await tenantsWithWorkflows()).to.deep.equal([ACME]);
    const exported = jsonOf(await cli(["export", "--key", "fixture.imported"]));
    expect((exported.workflows as { key: string }[]).map((w) => w.key)).to.deep.equal(["fixture.imported"]);
    const status = await cli(["status", "--dir", seeds, "--detailed-exitcode"]);
    expect(status.code, status.stderr).to.equal(0);
    const listed = jsonOf(await cli(["list", "--json"]));
    expect(listed.tenant).to.equal(ACME);
    expect(listed.workflows).to.have.length(4);
  });

  it("several tenants without the development one: INVALID_TENANT listing them, nothing written", async () => {
    await setTenants([GLOBEX, "Globex"], [ACME, "Acme"]);
    const before = await fingerprint(db().knex);
    const expected = {
      received: DEV_TENANT,
      tenants: [
        { tenant: ACME, name: "Acme" },
        { tenant: GLOBEX, name: "Globex" },
      ],
    };
    for (const args of [
      ["up", "--dir", seeds],
      ["plan", "--dir", seeds],
      ["import", bundle],
      ["baseline", "--dir", seeds],
      ["publish", "--key", "fixture.alpha"],
    ]) {
      // exit 2, as for any usage error: the command needs to be told which tenant
      const error = jsonErrorOf(await cli([...args, "--json"]), "INVALID_TENANT", 2);
      expect(error.details, args.join(" ")).to.deep.equal(expected);
      expect(error.message).to.include(ACME).and.include("Globex").and.include("--tenant");
    }
    const human = humanErrorOf(await cli(["up", "--dir", seeds]), "INVALID_TENANT", 2);
    expect(human).to.include(`${ACME} (Acme)`).and.include(`${GLOBEX} (Globex)`);
    expect(await fingerprint(db().knex)).to.deep.equal(before);

    // a named tenant is used as it is
    const named = await cli(["up", "--dir", seeds, "--tenant", GLOBEX]);
    expect(named.code, named.stderr).to.equal(0);
    const fromEnv = await cli(["import", bundle], { WORKFLOW_SEEDER_TENANT: ACME });
    expect(fromEnv.code, fromEnv.stderr).to.equal(0);
    expect(await tenantsWithWorkflows()).to.deep.equal([ACME, GLOBEX]);
  });

  it("an empty tenants table: INVALID_TENANT with no tenants", async () => {
    const error = jsonErrorOf(await cli(["up", "--dir", seeds, "--json"]), "INVALID_TENANT", 2);
    expect(error.details).to.deep.equal({ received: DEV_TENANT, tenants: [] });
    expect(error.message).to.include("empty");
    expect(await tenantsWithWorkflows()).to.deep.equal([]);
  });
});
