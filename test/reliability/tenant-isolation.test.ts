/**
 * Tenant isolation: two tenants (and a fixture tenant whose workflow ids are predictable) seeded
 * with the same seeds and keys, then every command, API call and HTTP request run as tenant A —
 * reads by another tenant's ids (real and guessed) and keys, writes with every conflict policy,
 * down, baseline, export --seed, fixture reset, call references to the other tenant's ids. None
 * of them reads, changes or deletes anything of the other tenants.
 */
import { expect } from "chai";
import { isWorkflowSeederError } from "../../src/errors.js";
import { exportBundle } from "../../src/export/export-bundle.js";
import { computePortableWorkflowId } from "../../src/format/portable-id.js";
import { importBundle } from "../../src/import/import-bundle.js";
import { revertSeeds } from "../../src/seeder/seed-revert.js";
import { computeFixtureWorkflowId, resetWorkflowFixtures } from "../../src/seeder/workflow-fixtures.js";
import { type CliResult, errorCodeOf, onlyTenantOf, parseJsonOutput, runCli } from "../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../support/databases.js";
import { request, startTestServer, type TestServer, TOKEN } from "../support/http.js";
import { countFigure, recordFigure, reportReliabilitySuite } from "./report.js";
import { SEEDS, writeSeedFolder } from "./seed-folder.js";
import {
  generateBundle,
  makeTempDir,
  newTenant,
  readSeedRecords,
  readTenantWorkflows,
  removeTempDirs,
  writeBundleFile,
} from "./support.js";

const TENANT_A_TOKEN = "reliability-tenant-a-only-5e1d27c4b9";

describe("reliability: tenant isolation", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let db: TestDatabase;
  let url: string;
  let api: TestServer;
  let seedsDir: string;
  let sharedFile: string;
  let callerFile: string;
  const A = newTenant();
  const B = newTenant();
  const F = newTenant();
  let bIds: string[] = [];
  let fixtureIds: string[] = [];
  let untouched: Record<string, Record<string, string>> = {};
  let attempts = 0;

  const cli = (args: string[], tenant = A): Promise<CliResult> => {
    attempts++;
    return runCli([...args, "--database-url", url, "--tenant", tenant, "--json"]);
  };

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    seedsDir = await writeSeedFolder();
    const dir = await makeTempDir();
    sharedFile = await writeBundleFile(
      dir,
      "shared.json",
      generateBundle([{ key: "shared.one", description: "A's version" }, { key: "shared.two" }]),
    );
    for (const tenant of [A, B]) {
      const up = await runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant]);
      expect(up.code, up.stderr).to.equal(0);
    }
    await importBundle(db.knex, generateBundle([{ key: "shared.one" }, { key: "shared.two" }, { key: "only.b" }]), {
      tenant: B,
    });
    await importBundle(db.knex, generateBundle([{ key: "shared.one" }, { key: "shared.two" }]), { tenant: A });
    await resetWorkflowFixtures(db.knex, { tenant: F, dir: seedsDir });
    bIds = [...(await readTenantWorkflows(db.knex, B)).values()].map((w) => w.workflowId);
    fixtureIds = SEEDS.flatMap((s) => s.keys).map((key) => computeFixtureWorkflowId(F, key));
    // A calls one of B's workflows by its real id: that id must never resolve outside B.
    const caller = generateBundle([{ key: "caller" }]);
    const definition = caller.workflows[0]?.draft.definition as Record<string, unknown>;
    definition.steps = [
      { id: "call", type: "control.callWorkflow", workflowId: bIds[0], workflowVersion: 1 },
      { id: "done", type: "control.return" },
    ];
    caller.workflows[0]?.publishedVersions.splice(0);
    callerFile = await writeBundleFile(dir, "caller.json", caller);
    untouched = { B: await fingerprint(db.knex, B), F: await fingerprint(db.knex, F) };
    api = await startTestServer(db.knex, { tokens: [{ token: TOKEN }, { token: TENANT_A_TOKEN, tenants: [A] }] });
  });

  afterEach(async () => {
    expect(await fingerprint(db.knex, B), "tenant B changed").to.deep.equal(untouched.B);
    expect(await fingerprint(db.knex, F), "the fixture tenant changed").to.deep.equal(untouched.F);
  });

  after(async () => {
    countFigure("isolation.attempts", attempts);
    recordFigure("isolation.guessedIds", bIds.length + fixtureIds.length + 200);
    await api?.close();
    await db?.close();
    await removeTempDirs();
  });

  it("reads: export by the other tenants' ids (real and guessed) and keys is WORKFLOW_NOT_FOUND; --all and --with-called-workflows stay in A", async () => {
    const byId = await cli(["export", "--workflow-id", bIds[0] as string]);
    expect(errorCodeOf(byId)).to.equal("WORKFLOW_NOT_FOUND");
    expect(
      parseJsonOutput<{ error: { details: { workflowIds: string[] } } }>(byId).error.details.workflowIds,
    ).to.deep.equal([bIds[0]]);
    const mixed = await cli(["export", "--key", "shared.one", "--workflow-id", fixtureIds[0] as string]);
    expect(errorCodeOf(mixed)).to.equal("WORKFLOW_NOT_FOUND");
    expect(errorCodeOf(await cli(["export", "--key", "only.b"]))).to.equal("WORKFLOW_NOT_FOUND");

    const all = await cli(["export", "--all"]);
    expect(all.code, all.stderr).to.equal(0);
    const keys = parseJsonOutput<{ workflows: { key: string }[] }>(all).workflows.map((w) => w.key);
    expect(keys).to.not.include("only.b");
    for (const id of [...bIds, ...fixtureIds]) expect(all.stdout).to.not.contain(id);

    const imported = await cli(["import", callerFile]);
    expect(imported.code, imported.stderr).to.equal(0);
    const warnings = parseJsonOutput<{ warnings: { code: string }[] }>(imported).warnings.map((w) => w.code);
    expect(warnings, "B's id does not resolve in A").to.include("UNRESOLVED_WORKFLOW_REFERENCE");
    const called = await cli(["export", "--key", "caller", "--with-called-workflows"]);
    expect(called.code, called.stderr).to.equal(0);
    expect(parseJsonOutput<{ workflows: { key: string }[] }>(called).workflows.map((w) => w.key)).to.deep.equal([
      "caller",
    ]);

    // Guessing: every id of B and F, plus random and portable ids, through the API.
    const guesses = [
      ...bIds,
      ...fixtureIds,
      ...Array.from({ length: 100 }, () => crypto.randomUUID()),
      ...SEEDS.flatMap((s) => s.keys)
        .slice(0, 100)
        .map((key) => computePortableWorkflowId(key)),
    ];
    for (const id of guesses) {
      attempts++;
      try {
        await exportBundle(db.knex, { tenant: A, workflowIds: [id] });
        expect.fail(`tenant A exported ${id}`);
      } catch (error) {
        expect(isWorkflowSeederError(error, "WORKFLOW_NOT_FOUND"), String(error)).to.equal(true);
      }
    }
  });

  it("writes: import with every conflict policy, down, baseline, status, export --seed and fixture reset in A leave B and F as they were", async () => {
    for (const policy of ["fail", "skip", "update", "replace"]) {
      const exit = await cli(["import", sharedFile, "--on-conflict", policy]);
      expect(exit.code === 0 || errorCodeOf(exit) === "WORKFLOW_KEY_CONFLICT", `${policy}: ${exit.stdout}`).to.equal(
        true,
      );
    }
    expect((await cli(["import", sharedFile, "--force"])).code).to.equal(0);
    const down = await cli(["down", "--dir", seedsDir, "--to", SEEDS[1]?.name as string, "--force"]);
    expect(down.code, down.stderr).to.equal(0);
    expect((await readSeedRecords(db.knex, A)).map((r) => r.name)).to.deep.equal([SEEDS[0]?.name]);
    expect((await readSeedRecords(db.knex, B)).map((r) => r.name)).to.deep.equal(SEEDS.map((s) => s.name));

    const status = await cli(["status", "--dir", seedsDir]);
    expect(onlyTenantOf<{ seeds: { name: string; state: string }[] }>(status).seeds.map((s) => s.state)).to.deep.equal([
      "applied",
      "pending",
      "pending",
      "pending",
    ]);
    // down removed the seeds' workflows: record them anyway (what is checked here is isolation)
    const baseline = await cli(["baseline", "--dir", seedsDir, "--force"]);
    expect(baseline.code, baseline.stderr).to.equal(0);
    const up = await cli(["up", "--dir", seedsDir]);
    expect(up.code, up.stderr).to.equal(0);
    const seedDir = await makeTempDir();
    const toSeed = await cli(["export", "--seed", "from-a", "--dir", seedDir, "--key", "shared.one"]);
    expect(toSeed.code, toSeed.stderr).to.equal(0);
    const down2 = await cli(["down", "--dir", seedsDir, "--step", "2", "--force"]);
    expect(down2.code, down2.stderr).to.equal(0);

    await revertSeeds(db.knex, { tenant: A, to: SEEDS[0]?.name as string, force: true });
    await importBundle(db.knex, generateBundle([{ key: "shared.one" }, { key: "only.b" }]), {
      tenant: A,
      onConflict: "replace",
    });
    await resetWorkflowFixtures(db.knex, { tenant: A, dir: seedsDir });
    attempts += 3;
    // A's fixture ids differ from F's for the same keys: ids are per tenant.
    const aIds = new Set([...(await readTenantWorkflows(db.knex, A)).values()].map((w) => w.workflowId));
    for (const id of fixtureIds) expect(aIds.has(id)).to.equal(false);
  });

  it("HTTP: another tenant's ids are 404 for A, A's tenant-bound token is 403 on B in any spelling, writes in A leave B", async () => {
    const get = (path: string, tenant: string, token = TOKEN) => {
      attempts++;
      return request(api.url, path, { tenant, token });
    };
    for (const id of [...bIds.slice(0, 20), ...fixtureIds.slice(0, 20)]) {
      const one = await get(`/api/workflow-definitions/${id}/export`, A);
      expect(one.status, one.text).to.equal(404);
      expect(one.code).to.equal("WORKFLOW_NOT_FOUND");
      const many = await get(`/api/workflow-definitions/export?workflowId=${id}`, A);
      expect(many.status, many.text).to.equal(404);
    }
    expect((await get("/api/workflow-definitions/export?key=only.b", A)).status).to.equal(404);
    const all = await get("/api/workflow-definitions/export?all=true", A);
    expect(all.status).to.equal(200);
    for (const id of bIds) expect(all.text).to.not.contain(id);

    for (const spelling of [B, B.toUpperCase(), ` ${B}`, `${A},${B}`]) {
      const answer = await get(`/api/workflow-definitions/${bIds[0]}/export`, spelling, TENANT_A_TOKEN);
      expect(answer.status, `${JSON.stringify(spelling)}: ${answer.text}`).to.be.oneOf([400, 403]);
      expect(answer.text).to.not.contain('"workflows"');
    }
    expect((await get("/api/workflow-definitions/export?all=true", A.toUpperCase(), TENANT_A_TOKEN)).status).to.equal(
      200,
    );

    for (const onConflict of ["replace", "update", "skip"]) {
      attempts++;
      const answer = await request(api.url, `/api/workflow-definitions/import?onConflict=${onConflict}`, {
        tenant: A,
        token: TENANT_A_TOKEN,
        body: JSON.stringify(generateBundle([{ key: "shared.one" }, { key: "only.b" }])),
      });
      expect(answer.status, answer.text).to.equal(200);
    }
    attempts++;
    const forbidden = await request(api.url, "/api/workflow-definitions/import?onConflict=replace", {
      tenant: B,
      token: TENANT_A_TOKEN,
      body: JSON.stringify(generateBundle([{ key: "only.b" }])),
    });
    expect(forbidden.status, forbidden.text).to.equal(403);
    expect(forbidden.code).to.equal("FORBIDDEN");
  });
});
