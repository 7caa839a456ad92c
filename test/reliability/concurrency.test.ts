/**
 * Concurrency on one real PostgreSQL database: 8 processes running `up` for the same tenant, 8
 * concurrent imports of one new key (CLI processes, HTTP requests, API calls), imports in one
 * tenant while another tenant exports, and importers of overlapping keys in opposite orders.
 * Each seed is applied exactly once, exactly one import wins a key, nothing deadlocks, and no
 * advisory lock or open transaction is left behind.
 */
import { expect } from "chai";
import { isWorkflowSeederError } from "../../src/errors.js";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import { importBundle } from "../../src/import/import-bundle.js";
import { applySeeds } from "../../src/seeder/seed-runner.js";
import { errorCodeOf, onlyTenantOf, parseJsonOutput, runCli } from "../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../support/databases.js";
import { request, startTestServer, type TestServer } from "../support/http.js";
import { countFigure, recordFigure, reportReliabilitySuite } from "./report.js";
import { checkSeedStateAgrees, exportTenantText, SEEDS, writeSeedFolder } from "./seed-folder.js";
import {
  countAdvisoryLocks,
  countIdleInTransaction,
  countTenantRows,
  describeAdvisoryLocks,
  generateBundle,
  generateKeys,
  makeTempDir,
  newTenant,
  readTenantWorkflows,
  removeTempDirs,
  writeBundleFile,
} from "./support.js";

/** Processes or requests started at once. */
const CONCURRENCY = 8;
const UP_ROUNDS = 2;
const SAME_KEY_ROUNDS = { cli: 1, http: 5, api: 5 } as const;

const EXPORTED_AT = "2026-01-01T00:00:00.000Z";

describe("reliability: concurrency", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let db: TestDatabase;
  let url: string;
  let api: TestServer;
  let seedsDir: string;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    api = await startTestServer(db.knex);
    seedsDir = await writeSeedFolder();
  });

  afterEach(async () => {
    const locks = await countAdvisoryLocks(db.knex);
    expect(locks, `advisory locks left behind: ${await describeAdvisoryLocks(db.knex)}`).to.equal(0);
    expect(await countIdleInTransaction(db.knex), "sessions left idle in a transaction").to.equal(0);
  });

  after(async () => {
    await api?.close();
    await db?.close();
    await removeTempDirs();
  });

  it(`${CONCURRENCY} processes running up on one tenant, ${UP_ROUNDS} rounds: each seed applied exactly once, all exit 0`, async () => {
    const reference = newTenant();
    await applySeeds(db.knex, { dir: seedsDir, tenant: reference });
    const expected = await exportTenantText(db.knex, reference);
    for (let round = 1; round <= UP_ROUNDS; round++) {
      const tenant = newTenant();
      const exits = await Promise.all(
        Array.from({ length: CONCURRENCY }, () =>
          runCli(["up", "--dir", seedsDir, "--database-url", url, "--tenant", tenant, "--json"]),
        ),
      );
      countFigure("concurrency.processes", CONCURRENCY);
      const appliedBy = new Map<string, number>();
      for (const exit of exits) {
        expect(exit.code, `round ${round}: ${exit.stderr}`).to.equal(0);
        const result = onlyTenantOf<{ applied: { name: string }[] }>(exit);
        for (const seed of result.applied) appliedBy.set(seed.name, (appliedBy.get(seed.name) ?? 0) + 1);
      }
      expect(Object.fromEntries(appliedBy), `round ${round}: applications per seed`).to.deep.equal(
        Object.fromEntries(SEEDS.map((s) => [s.name, 1])),
      );
      expect(await checkSeedStateAgrees(db.knex, tenant)).to.equal(SEEDS.length);
      expect(await exportTenantText(db.knex, tenant)).to.equal(expected);
    }
  });

  it(`${CONCURRENCY} concurrent imports of one new key (CLI, HTTP, API): exactly one wins, the rest WORKFLOW_KEY_CONFLICT`, async () => {
    const dir = await makeTempDir();
    const tenant = newTenant();
    const winners: string[] = [];
    const check = async (key: string, outcomes: { ok: boolean; code?: string | undefined; id?: string }[]) => {
      const won = outcomes.filter((o) => o.ok);
      expect(won, `${key}: ${JSON.stringify(outcomes)}`).to.have.length(1);
      for (const o of outcomes.filter((x) => !x.ok)) expect(o.code, key).to.equal("WORKFLOW_KEY_CONFLICT");
      const stored = await readTenantWorkflows(db.knex, tenant);
      expect(stored.get(key)?.workflowId, key).to.equal(won[0]?.id);
      const rows = await db.knex.raw(
        "select count(*)::int as n from workflow_definitions where tenant = ? and key = ?",
        [tenant, key],
      );
      expect(rows.rows[0].n, key).to.equal(1);
      winners.push(key);
    };

    for (let round = 1; round <= SAME_KEY_ROUNDS.cli; round++) {
      const key = `race.cli-${round}`;
      const file = await writeBundleFile(dir, `${key}.json`, generateBundle([{ key }]));
      const exits = await Promise.all(
        Array.from({ length: CONCURRENCY }, () =>
          runCli(["import", file, "--database-url", url, "--tenant", tenant, "--json"]),
        ),
      );
      countFigure("concurrency.processes", CONCURRENCY);
      await check(
        key,
        exits.map((e) =>
          e.code === 0
            ? {
                ok: true,
                id: parseJsonOutput<{ createdWorkflows: { workflowId: string }[] }>(e).createdWorkflows[0]
                  ?.workflowId as string,
              }
            : { ok: false, code: errorCodeOf(e) },
        ),
      );
    }

    for (let round = 1; round <= SAME_KEY_ROUNDS.http; round++) {
      const key = `race.http-${round}`;
      const body = JSON.stringify(generateBundle([{ key }]));
      const answers = await Promise.all(
        Array.from({ length: CONCURRENCY }, () =>
          request(api.url, "/api/workflow-definitions/import", { tenant, body }),
        ),
      );
      countFigure("concurrency.requests", CONCURRENCY);
      for (const a of answers) expect(a.status, a.text).to.be.oneOf([200, 409]);
      await check(
        key,
        answers.map((a) =>
          a.status === 200
            ? {
                ok: true,
                id: (a.json as { createdWorkflows: { workflowId: string }[] }).createdWorkflows[0]
                  ?.workflowId as string,
              }
            : { ok: false, code: a.code },
        ),
      );
    }

    for (let round = 1; round <= SAME_KEY_ROUNDS.api; round++) {
      const key = `race.api-${round}`;
      const bundle = generateBundle([{ key }]);
      const outcomes = await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          try {
            const result = await importBundle(db.knex, bundle, { tenant });
            return { ok: true, id: result.createdWorkflows[0]?.workflowId as string };
          } catch (error) {
            if (!isWorkflowSeederError(error)) throw error;
            return { ok: false, code: error.code };
          }
        }),
      );
      countFigure("concurrency.requests", CONCURRENCY);
      await check(key, outcomes);
    }
    expect(winners).to.have.length(SAME_KEY_ROUNDS.cli + SAME_KEY_ROUNDS.http + SAME_KEY_ROUNDS.api);
  });

  it("imports in one tenant while another tenant exports: every export identical, every import complete", async () => {
    const exporter = newTenant();
    const importer = newTenant();
    await importBundle(db.knex, generateBundle(generateKeys("stable", 200).map((key) => ({ key }))), {
      tenant: exporter,
    });
    const expected = await exportTenantText(db.knex, exporter);
    const dir = await makeTempDir();
    const httpImports = Array.from({ length: 2 * CONCURRENCY }, (_, i) =>
      JSON.stringify(generateBundle(generateKeys(`incoming.http-${i}`, 50).map((key) => ({ key })))),
    );
    const cliImports = await Promise.all(
      Array.from({ length: CONCURRENCY / 2 }, (_, i) =>
        writeBundleFile(
          dir,
          `cli-${i}.json`,
          generateBundle(generateKeys(`incoming.cli-${i}`, 50).map((key) => ({ key }))),
        ),
      ),
    );
    const exportPath = `/api/workflow-definitions/export?all=true&exportedAt=${encodeURIComponent(EXPORTED_AT)}`;
    const [imported, exported, cliImported, cliExported] = await Promise.all([
      Promise.all(
        httpImports.map((body) => request(api.url, "/api/workflow-definitions/import", { tenant: importer, body })),
      ),
      Promise.all(Array.from({ length: 2 * CONCURRENCY }, () => request(api.url, exportPath, { tenant: exporter }))),
      Promise.all(
        cliImports.map((file) => runCli(["import", file, "--database-url", url, "--tenant", importer, "--json"])),
      ),
      Promise.all(
        Array.from({ length: CONCURRENCY / 2 }, () =>
          runCli(["export", "--all", "--exported-at", EXPORTED_AT, "--database-url", url, "--tenant", exporter]),
        ),
      ),
    ]);
    countFigure("concurrency.requests", imported.length + exported.length);
    countFigure("concurrency.processes", cliImported.length + cliExported.length);
    for (const a of imported) expect(a.status, a.text).to.equal(200);
    for (const a of exported) {
      expect(a.status, a.text.slice(0, 300)).to.equal(200);
      expect(a.text).to.equal(expected);
    }
    for (const e of cliImported) expect(e.code, e.stderr).to.equal(0);
    for (const e of cliExported) {
      expect(e.code, e.stderr).to.equal(0);
      expect(e.stdout).to.equal(expected);
    }
    const rows = await countTenantRows(db.knex, importer);
    expect(rows).to.deep.equal({
      workflows: 50 * (httpImports.length + cliImports.length),
      versions: 50 * (httpImports.length + cliImports.length),
    });
    expect(await exportTenantText(db.knex, exporter)).to.equal(expected);
  });

  it(`${CONCURRENCY} importers of the same 60 keys in different orders (update and replace): no deadlock, one row per key`, async () => {
    const tenant = newTenant();
    const keys = generateKeys("overlap", 60);
    await importBundle(db.knex, generateBundle(keys.map((key) => ({ key }))), { tenant });
    const rounds = [
      { policy: "update" as const, versions: 1 },
      { policy: "replace" as const, versions: 2 },
      { policy: "update" as const, versions: 3 },
    ];
    for (const { policy, versions } of rounds) {
      const outcomes = await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, i) => {
          // Each importer lists the keys in its own order: rotated, and reversed for odd ones.
          const rotated = [...keys.slice((i * 7) % keys.length), ...keys.slice(0, (i * 7) % keys.length)];
          const order = i % 2 === 0 ? rotated : rotated.reverse();
          const bundle = generateBundle(order.map((key) => ({ key, description: `${policy} by ${i}`, versions })));
          try {
            await importBundle(db.knex, bundle, { tenant, onConflict: policy });
            return "ok";
          } catch (error) {
            return isWorkflowSeederError(error) ? `${error.code}: ${error.message}` : String(error);
          }
        }),
      );
      countFigure("concurrency.requests", CONCURRENCY);
      expect(outcomes, policy).to.deep.equal(Array(CONCURRENCY).fill("ok"));
      const stored = await readTenantWorkflows(db.knex, tenant);
      expect([...stored.keys()]).to.deep.equal(keys);
      // Imports are serialized per key: the last writer of each key wrote all its versions.
      for (const w of stored.values()) expect(w.versions, w.key).to.equal(versions);
      // ...and, the key locks being taken all at once, one importer wrote every key.
      expect(new Set([...stored.values()].map((w) => w.description)).size, policy).to.equal(1);
    }
    recordFigure("concurrency.level", CONCURRENCY);
    expect(canonicalizeJson(await countTenantRows(db.knex, tenant))).to.equal(
      canonicalizeJson({ workflows: 60, versions: 180 }),
    );
  });
});
