/**
 * SQL injection: names, descriptions, definition strings, keys (within the key pattern), tenant
 * values, seed names, export selections and HTTP query parameters that contain SQL are stored
 * exactly or refused with the value echoed verbatim, and never executed: every table is still
 * there, another tenant's rows are unchanged, and a sequence that any executed payload would
 * advance (`nextval` is never rolled back) was never called.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { importBundle } from "../../src/import/import-bundle.js";
import { type CliResult, parseJsonOutput, runCli } from "../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../support/databases.js";
import { request, startTestServer, type TestServer } from "../support/http.js";
import { countFigure, reportReliabilitySuite } from "./report.js";
import {
  generateBundle,
  makeTempDir,
  newTenant,
  readSeedRecords,
  readTenantWorkflows,
  removeTempDirs,
  toolTablesExist,
  writeBundleFile,
} from "./support.js";

/** A sequence the payloads below advance if they are ever executed (and nothing else touches). */
const MARKER = "sql_injection_marker";

/** SQL in every quoting style PostgreSQL and the drivers know, plus binding placeholders. */
const PAYLOADS = [
  "'); DROP TABLE workflow_definitions; --",
  "x'; DELETE FROM workflow_seeder_seeds WHERE '1'='1",
  '"; TRUNCATE workflow_definition_versions CASCADE; --',
  "$$; DROP TABLE workflow_definitions; $$",
  "$tag$; DROP TABLE workflow_runs; $tag$",
  "' || (SELECT pg_sleep(3)) || '",
  "1; SELECT pg_sleep(3); --",
  `' || (SELECT nextval('${MARKER}')) || '`,
  `1; SELECT nextval('${MARKER}'); --`,
  "' OR 1=1 --",
  "?",
  "??",
  ":tenant",
  "$1",
  "\\'; DROP TABLE workflow_definitions; --",
  "E'\\x27; DROP TABLE workflow_definitions; --",
  "/* */ DROP TABLE workflow_definitions /* */",
  "%' AND key LIKE '%",
  "\u2019); DROP TABLE workflow_definitions; --",
];

/** Keys inside the key pattern that read like SQL. */
const SQL_LIKE_KEYS = ["drop-table.workflow_definitions--", "select.1.from.pg_sleep-3", "x.or.1-1--", "d--.delete"];

/** Payloads that can travel in an HTTP header or on a command line (no control characters). */
const HEADER_SAFE = PAYLOADS.filter((p) => /^[\x20-\x7e]*$/.test(p));

function expectVerbatimRefusal(
  exit: CliResult,
  code: string,
  pick: (details: Record<string, unknown>) => unknown,
  value: unknown,
): void {
  const error = parseJsonOutput<{ error: { code: string; details: Record<string, unknown> } }>(exit).error;
  expect(error.code, exit.stdout).to.equal(code);
  expect(pick(error.details), exit.stdout).to.deep.equal(value);
}

describe("reliability: SQL injection", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let db: TestDatabase;
  let url: string;
  let api: TestServer;
  let dir: string;
  const control = newTenant();
  let controlPrint: Record<string, string>;
  let probes = 0;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    api = await startTestServer(db.knex);
    dir = await makeTempDir();
    await importBundle(db.knex, generateBundle([{ key: "control.one" }, { key: "control.two", versions: 2 }]), {
      tenant: control,
    });
    controlPrint = await fingerprint(db.knex, control);
    await db.knex.raw(`create sequence ${MARKER}`);
  });

  afterEach(async () => {
    const marker = await db.knex.raw(`select is_called from ${MARKER}`);
    expect(marker.rows[0].is_called, "a payload was executed (nextval)").to.equal(false);
    expect(await toolTablesExist(db.knex), "a table was dropped").to.equal(true);
    expect(await fingerprint(db.knex, control), "another tenant's rows changed").to.deep.equal(controlPrint);
  });

  after(async () => {
    countFigure("sql.probes", probes);
    await api?.close();
    await db?.close();
    await removeTempDirs();
  });

  /** A bundle carrying payload `i` in every free-text field, under a key that reads like SQL. */
  function payloadBundle(offset: number) {
    const specs = PAYLOADS.map((payload, i) => ({
      key: i < SQL_LIKE_KEYS.length ? (SQL_LIKE_KEYS[i] as string) : `payload.${offset}-${i}`,
      description: payload,
    }));
    const bundle = generateBundle(specs);
    bundle.workflows.forEach((w, i) => {
      const payload = PAYLOADS[i] as string;
      w.metadata.name = payload;
      w.metadata.trigger = { type: "event", eventName: payload };
      const definition = { ...(w.draft.definition as Record<string, unknown>) };
      definition.name = payload;
      definition.steps = [
        { id: "set-state", type: "state.set", config: { state: payload } },
        { id: "done", type: "control.return" },
      ];
      w.draft.definition = definition;
      for (const v of w.publishedVersions) v.definition = definition;
    });
    return bundle;
  }

  async function expectStoredVerbatim(tenant: string, bundle: ReturnType<typeof payloadBundle>): Promise<void> {
    const r = await db.knex.raw(
      `select key, name, description, trigger->>'eventName' as event, draft_definition->>'name' as dname,
              draft_definition->'steps'->0->'config'->>'state' as state
       from workflow_definitions where tenant = ?`,
      [tenant],
    );
    const byKey = new Map<string, Record<string, string>>(r.rows.map((row: Record<string, string>) => [row.key, row]));
    for (const w of bundle.workflows) {
      const row = byKey.get(w.key);
      const payload = w.metadata.name;
      expect(row, w.key).to.deep.equal({
        key: w.key,
        name: payload,
        description: payload,
        event: payload,
        dname: payload,
        state: payload,
      });
    }
    const exported = await runCli(["export", "--all", "--database-url", url, "--tenant", tenant, "--json"]);
    expect(exported.code, exported.stderr).to.equal(0);
    const names = parseJsonOutput<{ workflows: { metadata: { name: string } }[] }>(exported).workflows.map(
      (w) => w.metadata.name,
    );
    expect([...names].sort()).to.deep.equal([...PAYLOADS].sort());
  }

  it(`free text (${PAYLOADS.length} payloads in names, descriptions, triggers, definitions) and SQL-like keys are stored and exported verbatim: CLI, HTTP, API`, async () => {
    const cliTenant = newTenant();
    const cliBundle = payloadBundle(1);
    const file = await writeBundleFile(dir, "payloads.json", cliBundle);
    const exit = await runCli(["import", file, "--database-url", url, "--tenant", cliTenant, "--json"]);
    expect(exit.code, exit.stderr).to.equal(0);
    await expectStoredVerbatim(cliTenant, cliBundle);

    const httpTenant = newTenant();
    const httpBundle = payloadBundle(2);
    const answer = await request(api.url, "/api/workflow-definitions/import", {
      tenant: httpTenant,
      body: JSON.stringify(httpBundle),
    });
    expect(answer.status, answer.text).to.equal(200);
    await expectStoredVerbatim(httpTenant, httpBundle);

    const apiTenant = newTenant();
    const apiBundle = payloadBundle(3);
    await importBundle(db.knex, apiBundle, { tenant: apiTenant });
    await importBundle(db.knex, apiBundle, { tenant: apiTenant, onConflict: "update" });
    await importBundle(db.knex, apiBundle, { tenant: apiTenant, onConflict: "replace" });
    await expectStoredVerbatim(apiTenant, apiBundle);
    probes += 5 * PAYLOADS.length * 5;
    expect(await readTenantWorkflows(db.knex, apiTenant)).to.have.property("size", PAYLOADS.length);
  });

  it("tenant values with SQL are refused as INVALID_TENANT, echoed verbatim (flag, environment, x-tenant-id header)", async () => {
    for (const payload of HEADER_SAFE.slice(0, 5)) {
      const flag = await runCli(["export", "--all", "--database-url", url, "--tenant", payload, "--json"]);
      expect(flag.code).to.equal(2);
      expectVerbatimRefusal(flag, "INVALID_TENANT", (d) => d.received, payload);
      const env = await runCli(["status", "--database-url", url, "--json"], {
        env: { WORKFLOW_SEEDER_TENANT: payload },
      });
      expectVerbatimRefusal(env, "INVALID_TENANT", (d) => d.received, payload);
      probes += 2;
    }
    for (const payload of HEADER_SAFE) {
      const answer = await request(api.url, "/api/workflow-definitions/export?all=true", { tenant: payload });
      expect(answer.status, answer.text).to.equal(400);
      expect(answer.code).to.equal("INVALID_TENANT");
      expect((answer.json as { details: { received: string } }).details.received).to.equal(payload.trim());
      probes++;
    }
  });

  it("export selections with SQL: --key is WORKFLOW_NOT_FOUND, --workflow-id INVALID_ARGUMENT (not a UUID), both listing the values verbatim", async () => {
    const tenant = newTenant();
    await importBundle(db.knex, generateBundle([{ key: "present" }]), { tenant });
    const keys = HEADER_SAFE.flatMap((payload) => ["--key", payload]);
    const byKey = await runCli(["export", ...keys, "--database-url", url, "--tenant", tenant, "--json"]);
    expectVerbatimRefusal(byKey, "WORKFLOW_NOT_FOUND", (d) => d.keys, HEADER_SAFE);
    const ids = HEADER_SAFE.flatMap((payload) => ["--workflow-id", payload]);
    const byId = await runCli(["export", ...ids, "--database-url", url, "--tenant", tenant, "--json"]);
    // A workflow id is a UUID: each value is refused before any query, one issue per value, in order.
    expect(byId.code, byId.stdout).to.equal(2);
    const refused = parseJsonOutput<{
      error: { code: string; issues: { code: string; details: { received: string } }[] };
    }>(byId).error;
    expect(refused.code, byId.stdout).to.equal("INVALID_ARGUMENT");
    expect(refused.issues.map((i) => i.code)).to.deep.equal(HEADER_SAFE.map(() => "INVALID_ARGUMENT"));
    expect(refused.issues.map((i) => i.details.received)).to.deep.equal(HEADER_SAFE);
    probes += 2 * HEADER_SAFE.length;
  });

  it("HTTP query parameters and path segments with SQL (and NUL) are refused or not found, never executed, never 500", async () => {
    const tenant = newTenant();
    await importBundle(db.knex, generateBundle([{ key: "present" }]), { tenant });
    const values = [...PAYLOADS, "\u0000", "present\u0000' OR '1'='1", "\ud800"];
    for (const payload of values) {
      const q = encodeURIComponent(payload.replace(/\ud800/, "\ufffd"));
      const checks: [string, number[]][] = [
        [`/api/workflow-definitions/export?key=${q}`, [404]],
        [`/api/workflow-definitions/export?key=present&key=${q}`, [404]],
        [`/api/workflow-definitions/export?workflowId=${q}`, [400]],
        [`/api/workflow-definitions/${q}/export`, [400, 404]],
        [`/api/workflow-definitions/export?all=true&exportedAt=${q}`, [400]],
        [`/api/workflow-definitions/export?all=true&${q}=1`, [400]],
      ];
      for (const [path, statuses] of checks) {
        const answer = await request(api.url, path, { tenant });
        expect(answer.status, `${path}: ${answer.text}`).to.be.oneOf(statuses);
        probes++;
      }
      if (payload === "\u0000" || payload === "\ud800") continue;
      const keyAnswer = await request(api.url, `/api/workflow-definitions/export?key=${q}`, { tenant });
      expect((keyAnswer.json as { details: { keys: string[] } }).details.keys).to.deep.equal([payload]);
      for (const param of ["onConflict", "actor", "force"]) {
        const answer = await request(api.url, `/api/workflow-definitions/import?${param}=${q}`, {
          tenant,
          body: JSON.stringify(generateBundle([{ key: "never.written" }])),
        });
        expect(answer.status, `${param}: ${answer.text}`).to.equal(400);
        probes++;
      }
    }
    // Raw bytes no decoder accepts: a UTF-8-encoded surrogate, a lone 0xFF, a broken escape.
    for (const raw of ["%ED%A0%80", "%FF", "%", "%E0%A4%A", "%C0%AF"]) {
      for (const path of [
        `/api/workflow-definitions/export?key=${raw}`,
        `/api/workflow-definitions/export?workflowId=${raw}`,
        `/api/workflow-definitions/${raw}/export`,
      ]) {
        const answer = await request(api.url, path, { tenant });
        expect(answer.status, `${path}: ${answer.text}`).to.be.oneOf([400, 404]);
        probes++;
      }
    }
    expect((await readTenantWorkflows(db.knex, tenant)).has("never.written")).to.equal(false);
  });

  it("seed names: SQL-like names inside the pattern are recorded verbatim; a file outside it is refused (INVALID_SEED_NAME), nothing applied; new and export --seed slugify", async () => {
    const tenant = newTenant();
    const seeds = await makeTempDir("wfs-rel-sqlseeds-");
    const inside = "2026-01-26T12.00.00.drop-table_workflow_definitions--";
    await writeBundleFile(seeds, `${inside}.bundle.json`, generateBundle([{ key: "seeded.one" }]));
    const outside = "2026-01-26T12.05.00.x'); DROP TABLE workflow_seeder_seeds; --.bundle.json";
    await writeFile(join(seeds, outside), JSON.stringify(generateBundle([{ key: "seeded.two" }])));
    const refused = await runCli(["up", "--dir", seeds, "--database-url", url, "--tenant", tenant, "--json"]);
    expect(refused.code, refused.stderr).to.equal(1);
    const error = parseJsonOutput<{ error: { code: string; details: { files: string[] } } }>(refused).error;
    expect(error.code).to.equal("INVALID_SEED_NAME");
    expect(error.details.files).to.deep.equal([outside]);
    expect(await readSeedRecords(db.knex, tenant)).to.deep.equal([]);
    await rm(join(seeds, outside));
    const up = await runCli(["up", "--dir", seeds, "--database-url", url, "--tenant", tenant, "--json"]);
    expect(up.code, up.stderr).to.equal(0);
    expect((await readSeedRecords(db.knex, tenant)).map((r) => r.name)).to.deep.equal([inside]);
    expect([...(await readTenantWorkflows(db.knex, tenant)).keys()]).to.deep.equal(["seeded.one"]);

    const created = await runCli(["new", PAYLOADS[0] as string, "--dir", seeds, "--json"]);
    expect(created.code, created.stdout + created.stderr).to.equal(0);
    expect(parseJsonOutput<{ name: string }>(created).name).to.match(/^[0-9T.-]+\.drop-table-workflow_definitions$/);
    const exported = await runCli([
      "export",
      "--seed",
      PAYLOADS[1] as string,
      "--dir",
      seeds,
      "--all",
      "--database-url",
      url,
      "--tenant",
      tenant,
      "--json",
    ]);
    expect(exported.code, exported.stderr).to.equal(0);
    const name = parseJsonOutput<{ name: string }>(exported).name;
    expect(name).to.match(/^[A-Za-z0-9._-]+$/);
    expect((await readSeedRecords(db.knex, tenant)).map((r) => r.name)).to.include(name);
    probes += 4;
  });
});
