/**
 * Resource limits: a 50 MiB bundle and a 10,000-workflow bundle import through the CLI within a
 * bounded peak RSS (measured in the child by the rss-probe preload), two 10,000-workflow imports
 * run at once, a file over the size limit is refused before it is read, and the HTTP body limit
 * holds to the byte (declared length and chunked), writing nothing.
 */
import { stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import { DEFAULT_MAX_FILE_BYTES } from "../../src/import/read-files.js";
import { parseJsonOutput } from "../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../support/databases.js";
import { request, startTestServer, type TestServer, TOKEN } from "../support/http.js";
import { recordFigure, reportReliabilitySuite } from "./report.js";
import {
  countAllRows,
  countTenantRows,
  generateBundle,
  generateKeys,
  makeTempDir,
  newTenant,
  removeTempDirs,
  runCliMeasured,
  writeBundleFile,
} from "./support.js";

const MiB = 1024 * 1024;

/** Peak RSS a CLI import may reach, for bundles up to the 64 MiB file limit. */
const MAX_IMPORT_RSS = 512 * MiB;

/** Peak RSS of a run that refuses a file by its size: reading even the smaller one would double it. */
const MAX_REFUSAL_RSS = 128 * MiB;

const MANY = 10_000;
/** Workflows of the 50 MiB bundle: each carries a long description in its draft and its version. */
const FAT_COUNT = 1_000;

function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

describe("reliability: resource limits", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let db: TestDatabase;
  let url: string;
  let dir: string;
  let manyFile: string;
  let fatFile: string;
  let fatText: string;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    dir = await makeTempDir();
    manyFile = await writeBundleFile(
      dir,
      "many.json",
      generateBundle(generateKeys("many", MANY).map((key) => ({ key }))),
    );
    recordFigure("resources.manyBundleMiB", mib((await stat(manyFile)).size));
    // Two copies of each definition (draft and version 1) of ~26,500 characters: just over 50 MiB.
    fatText = canonicalizeJson(generateBundle(generateKeys("fat", FAT_COUNT).map((key) => ({ key, padding: 26_500 }))));
    fatFile = join(dir, "fat.json");
    await writeFile(fatFile, fatText);
    expect(Buffer.byteLength(fatText)).to.be.within(50 * MiB, DEFAULT_MAX_FILE_BYTES);
    recordFigure("resources.fatBundleMiB", mib(Buffer.byteLength(fatText)));
  });

  after(async () => {
    await db?.close();
    await removeTempDirs();
  });

  /** The tenant's fingerprint and every table's row count (a full fingerprint of 50 MiB is slow). */
  async function snapshot(tenant: string): Promise<unknown> {
    return { tenant: await fingerprint(db.knex, tenant), all: await countAllRows(db.knex) };
  }

  it(`a 50 MiB bundle (${FAT_COUNT} workflows) imports through the CLI within ${mib(MAX_IMPORT_RSS)} MiB peak RSS`, async () => {
    const tenant = newTenant();
    const run = await runCliMeasured(["import", fatFile, "--database-url", url, "--tenant", tenant]);
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    expect(run.peakRssBytes).to.be.below(MAX_IMPORT_RSS);
    expect(await countTenantRows(db.knex, tenant)).to.deep.equal({ workflows: FAT_COUNT, versions: FAT_COUNT });
    recordFigure("resources.fat.peakRssMiB", mib(run.peakRssBytes));
    recordFigure("resources.fat.seconds", run.elapsedMs / 1000);
  });

  it(`a ${MANY.toLocaleString("en")}-workflow bundle imports within the RSS bound; two at once in two tenants both succeed`, async () => {
    const single = newTenant();
    const run = await runCliMeasured(["import", manyFile, "--database-url", url, "--tenant", single]);
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    expect(run.peakRssBytes).to.be.below(MAX_IMPORT_RSS);
    expect(await countTenantRows(db.knex, single)).to.deep.equal({ workflows: MANY, versions: MANY });
    recordFigure("resources.many.peakRssMiB", mib(run.peakRssBytes));
    recordFigure("resources.many.seconds", run.elapsedMs / 1000);

    // One advisory lock per key would need 20,000 entries of the server's lock table at once.
    const tenants = [newTenant(), newTenant()];
    const runs = await Promise.all(
      tenants.map((tenant) =>
        runCliMeasured(["import", manyFile, "--database-url", url, "--tenant", tenant, "--json"]),
      ),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stdout.slice(0, 2000)).to.equal(0);
      expect(parseJsonOutput<{ createdWorkflows: unknown[] }>(r).createdWorkflows).to.have.length(MANY);
      expect(await countTenantRows(db.knex, tenants[i] as string)).to.deep.equal({ workflows: MANY, versions: MANY });
    }
    recordFigure("resources.manyTwice.peakRssMiB", Math.max(...runs.map((r) => mib(r.peakRssBytes))));
  });

  it(`files over the ${mib(DEFAULT_MAX_FILE_BYTES)} MiB limit (by one byte, and 1 GiB) are refused by their size (FILE_READ_ERROR) without being read`, async () => {
    const tenant = newTenant();
    for (const size of [DEFAULT_MAX_FILE_BYTES + 1, 1024 * MiB]) {
      // Sparse files: no disk used, and reading one would cost its size in memory.
      const huge = join(dir, `huge-${size}.json`);
      await writeFile(huge, "");
      await truncate(huge, size);
      const before = await snapshot(tenant);
      const run = await runCliMeasured(["import", huge, "--database-url", url, "--tenant", tenant, "--json"]);
      expect(run.code).to.equal(1);
      const error = parseJsonOutput<{ error: { code: string; details: { reason: string } } }>(run).error;
      expect(error.code).to.equal("FILE_READ_ERROR");
      expect(error.details.reason).to.contain(String(DEFAULT_MAX_FILE_BYTES));
      expect(run.peakRssBytes).to.be.below(MAX_REFUSAL_RSS);
      expect(await snapshot(tenant)).to.deep.equal(before);
      recordFigure("resources.refusal.peakRssMiB", mib(run.peakRssBytes));
    }
  });

  describe("HTTP body limit", () => {
    const LIMIT = 1 * MiB;
    let api: TestServer;
    let standard: TestServer;
    let big: TestServer;

    before(async () => {
      api = await startTestServer(db.knex, { bodyLimit: LIMIT });
      standard = await startTestServer(db.knex);
      big = await startTestServer(db.knex, { bodyLimit: 64 * MiB });
    });

    after(async () => {
      await api?.close();
      await standard?.close();
      await big?.close();
    });

    /** A valid bundle padded with trailing whitespace to exactly `bytes` bytes. */
    function bodyOf(bytes: number, key: string): Buffer {
      const text = JSON.stringify(generateBundle([{ key }]));
      return Buffer.concat([Buffer.from(text), Buffer.alloc(bytes - Buffer.byteLength(text), 0x20)]);
    }

    it("a body of exactly the limit imports; one byte more is 413 PAYLOAD_TOO_LARGE and writes nothing", async () => {
      const tenant = newTenant();
      const at = await request(api.url, "/api/workflow-definitions/import", {
        tenant,
        body: bodyOf(LIMIT, "limit.exact"),
      });
      expect(at.status, at.text).to.equal(200);
      const before = await snapshot(tenant);
      const over = await request(api.url, "/api/workflow-definitions/import", {
        tenant,
        body: bodyOf(LIMIT + 1, "limit.over"),
      });
      expect(over.status, over.text).to.equal(413);
      expect(over.code).to.equal("PAYLOAD_TOO_LARGE");
      expect(await snapshot(tenant)).to.deep.equal(before);
    });

    it("a chunked body without a length is cut off at the limit: 413, nothing written", async () => {
      const tenant = newTenant();
      const before = await snapshot(tenant);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(Buffer.from('{"format": "alga-psa.workflow-bundle", "pad": "'));
          if (sent > 4 * LIMIT) controller.close();
          else controller.enqueue(chunk);
          sent += chunk.length;
        },
      });
      const response = await fetch(`${api.url}/api/workflow-definitions/import`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "x-tenant-id": tenant, "content-type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit);
      const text = await response.text();
      expect(response.status, text).to.equal(413);
      expect(await snapshot(tenant)).to.deep.equal(before);
    });

    it("the 50 MiB bundle: 413 under the default 10 MiB limit, imported under a 64 MiB limit", async () => {
      const tenant = newTenant();
      const before = await snapshot(tenant);
      const refused = await request(standard.url, "/api/workflow-definitions/import", { tenant, body: fatText });
      expect(refused.status, refused.text.slice(0, 300)).to.equal(413);
      expect(await snapshot(tenant)).to.deep.equal(before);
      const started = Date.now();
      const accepted = await request(big.url, "/api/workflow-definitions/import", { tenant, body: fatText });
      expect(accepted.status, accepted.text.slice(0, 300)).to.equal(200);
      expect(await countTenantRows(db.knex, tenant)).to.deep.equal({ workflows: FAT_COUNT, versions: FAT_COUNT });
      recordFigure("resources.http50MiB.seconds", (Date.now() - started) / 1000);
    });
  });
});
