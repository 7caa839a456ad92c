import { expect } from "chai";
import type { IssueOf } from "../../../src/errors.js";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { parseJsonText } from "../../../src/format/parse-bundle.js";
import { importBundle, importBundles } from "../../../src/import/import-bundle.js";
import {
  BROKEN_JSON_FILE,
  listCorpusFiles,
  listValidCorpusFiles,
  readCorpusBundle,
  readCorpusText,
  requireCorpus,
} from "../../support/corpus.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { canonical, countWorkflows, EXPORTED_AT, expectFailure, newTenant, normalizeBundle } from "./helpers.js";

type Json = Record<string, unknown>;
const keysOf = (bundle: Json) => (bundle.workflows as Json[]).map((w) => w.key as string);

describeEachEngine("the Alga corpus through import and export", (db) => {
  before(function () {
    requireCorpus(this);
  });

  it("imports every valid corpus bundle (each its own call), creating its workflows and versions", async function () {
    this.timeout(120_000);
    const tenant = newTenant();
    let workflows = 0;
    for (const file of listValidCorpusFiles()) {
      const bundle = readCorpusBundle(file);
      const result = await importBundle(db().knex, bundle, { tenant });
      expect(
        result.createdWorkflows.map((w) => w.key),
        file,
      ).to.deep.equal(keysOf(bundle));
      const versions = (bundle.workflows as Json[]).filter((w) => (w.publishedVersions as Json[]).length > 0);
      expect(
        result.createdPublishedVersions.map((v) => v.key),
        file,
      ).to.deep.equal(versions.map((w) => w.key));
      for (const w of result.warnings)
        expect(w.code, `${file}: ${w.message}`).to.equal("UNRESOLVED_WORKFLOW_REFERENCE");
      workflows += keysOf(bundle).length;
    }
    expect(await countWorkflows(db().knex, tenant)).to.equal(workflows);
  });

  it("imports the whole valid corpus in one call (one transaction)", async function () {
    this.timeout(120_000);
    const tenant = newTenant();
    const sources = listValidCorpusFiles().map((file) => ({ bundle: readCorpusBundle(file), file }));
    const result = await importBundles(db().knex, sources, { tenant });
    const total = sources.reduce((n, s) => n + keysOf(s.bundle).length, 0);
    expect(result.createdWorkflows).to.have.length(total);
    expect(await countWorkflows(db().knex, tenant)).to.equal(total);
  });

  it("rejects the company-* bundles with MISSING_DEPENDENCIES naming payload.CompanyCreated.v1, writing nothing", async () => {
    const tenant = newTenant();
    const files = listCorpusFiles().filter((f) => f.startsWith("company-"));
    expect(files.length).to.be.greaterThan(0);
    for (const file of files) {
      const before = await fingerprint(db().knex);
      const error = await expectFailure(
        importBundles(db().knex, [{ bundle: readCorpusBundle(file), file }], { tenant }),
        "MISSING_DEPENDENCIES",
      );
      const d = (error.issue as IssueOf<"MISSING_DEPENDENCIES">).details;
      expect(d.file).to.equal(file);
      expect(d.missingSchemaRefs).to.include("payload.CompanyCreated.v1");
      expect(d.missingByWorkflow.map((m) => m.workflowKey)).to.deep.equal(keysOf(readCorpusBundle(file)));
      expect(await fingerprint(db().knex)).to.deep.equal(before);
    }
  });

  it("rejects a company-* bundle given with valid ones in one call, writing none of them", async () => {
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const [valid] = listValidCorpusFiles();
    const company = listCorpusFiles().find((f) => f.startsWith("company-")) as string;
    await expectFailure(
      importBundles(
        db().knex,
        [
          { bundle: readCorpusBundle(valid as string), file: valid as string },
          { bundle: readCorpusBundle(company), file: company },
        ],
        { tenant },
      ),
      "MISSING_DEPENDENCIES",
    );
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("reads the broken-JSON bundle as INVALID_JSON (line 490, column 15)", () => {
    const result = parseJsonText(readCorpusText(BROKEN_JSON_FILE), { file: BROKEN_JSON_FILE });
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    const found = result.issues[0] as IssueOf<"INVALID_JSON">;
    expect(found.code).to.equal("INVALID_JSON");
    expect([found.details.line, found.details.column]).to.deep.equal([490, 15]);
  });

  it("round-trips every valid corpus bundle: import → export → import into another tenant → export gives identical bytes, equal to the bundle normalized", async function () {
    this.timeout(180_000);
    const [tenantA, tenantB] = [newTenant(), newTenant()];
    for (const file of listValidCorpusFiles()) {
      const bundle = readCorpusBundle(file);
      const keys = keysOf(bundle);
      await importBundle(db().knex, bundle, { tenant: tenantA });
      const first = canonical(await exportBundle(db().knex, { tenant: tenantA, keys, exportedAt: EXPORTED_AT }));
      await importBundle(db().knex, JSON.parse(first), { tenant: tenantB });
      const second = canonical(await exportBundle(db().knex, { tenant: tenantB, keys, exportedAt: EXPORTED_AT }));
      expect(second, file).to.equal(first);
      expect(first, file).to.equal(canonical(normalizeBundle(bundle, EXPORTED_AT)));
    }
  });
});
