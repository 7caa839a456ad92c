import { expect } from "chai";
import type { IssueOf } from "../../../src/errors.js";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { parseJsonText } from "../../../src/format/parse-bundle.js";
import { importBundle, importBundles } from "../../../src/import/import-bundle.js";
import { type BundleSet, bundleSets, CORPUS_DIR, CORPUS_REQUIRED, corpusSet } from "../../support/bundle-sets.js";
import { describeEachEngine, fingerprint, type TestDatabase } from "../../support/databases.js";
import { canonical, countWorkflows, EXPORTED_AT, expectFailure, newTenant, normalizeBundle } from "./helpers.js";

type Json = Record<string, unknown>;
const keysOf = (bundle: Json) => (bundle.workflows as Json[]).map((w) => w.key as string);

/** Every bundle set through import and export, on each engine (one database per engine for all sets). */
describeEachEngine("bundle sets through import and export", (db) => {
  for (const set of bundleSets()) describe(set.name, () => declareSetTests(set, db));
  if (!corpusSet() && CORPUS_REQUIRED)
    it("needs the corpus (WORKFLOW_SEEDER_REQUIRE_CORPUS=1)", () => {
      throw new Error(`the corpus is missing: ${CORPUS_DIR}`);
    });
});

function declareSetTests(set: BundleSet, db: () => TestDatabase): void {
  it("imports every valid bundle (each its own call), creating its workflows and versions", async function () {
    this.timeout(120_000);
    const tenant = newTenant();
    let workflows = 0;
    for (const file of set.validFiles) {
      const bundle = set.readBundle(file);
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

  it("imports every valid bundle in one call (one transaction)", async function () {
    this.timeout(120_000);
    const tenant = newTenant();
    const sources = set.validFiles.map((file) => ({ bundle: set.readBundle(file), file }));
    const result = await importBundles(db().knex, sources, { tenant });
    const total = sources.reduce((n, s) => n + keysOf(s.bundle).length, 0);
    expect(result.createdWorkflows).to.have.length(total);
    expect(await countWorkflows(db().knex, tenant)).to.equal(total);
  });

  it("rejects the bundles with missing dependencies with MISSING_DEPENDENCIES naming what they lack, writing nothing", async () => {
    const tenant = newTenant();
    expect(set.missingDependencyFiles.length).to.be.greaterThan(0);
    for (const missing of set.missingDependencyFiles) {
      const { file } = missing;
      const before = await fingerprint(db().knex);
      const error = await expectFailure(
        importBundles(db().knex, [{ bundle: set.readBundle(file), file }], { tenant }),
        "MISSING_DEPENDENCIES",
      );
      const d = (error.issue as IssueOf<"MISSING_DEPENDENCIES">).details;
      expect(d.file).to.equal(file);
      expect(d.missingSchemaRefs).to.deep.equal(missing.schemaRefs);
      expect(d.missingActions).to.deep.equal(missing.actions);
      expect(d.missingNodeTypes).to.deep.equal(missing.nodeTypes);
      expect(d.missingByWorkflow.map((m) => m.workflowKey)).to.deep.equal(keysOf(set.readBundle(file)));
      expect(await fingerprint(db().knex)).to.deep.equal(before);
    }
  });

  it("rejects a bundle with missing dependencies given with valid ones in one call, writing none of them", async () => {
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const [valid] = set.validFiles;
    const company = set.missingDependencyFiles[0]?.file as string;
    await expectFailure(
      importBundles(
        db().knex,
        [
          { bundle: set.readBundle(valid as string), file: valid as string },
          { bundle: set.readBundle(company), file: company },
        ],
        { tenant },
      ),
      "MISSING_DEPENDENCIES",
    );
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("reads the invalid JSON as INVALID_JSON at its line and column", () => {
    const { file, line, column } = set.invalidJson;
    const result = parseJsonText(set.readText(file), { file });
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    const found = result.issues[0] as IssueOf<"INVALID_JSON">;
    expect(found.code).to.equal("INVALID_JSON");
    expect([found.details.line, found.details.column]).to.deep.equal([line, column]);
  });

  it("round-trips every valid bundle: import → export → import into another tenant → export gives identical bytes, equal to the bundle normalized", async function () {
    this.timeout(180_000);
    const [tenantA, tenantB] = [newTenant(), newTenant()];
    for (const file of set.validFiles) {
      const bundle = set.readBundle(file);
      const keys = keysOf(bundle);
      await importBundle(db().knex, bundle, { tenant: tenantA });
      const first = canonical(await exportBundle(db().knex, { tenant: tenantA, keys, exportedAt: EXPORTED_AT }));
      await importBundle(db().knex, JSON.parse(first), { tenant: tenantB });
      const second = canonical(await exportBundle(db().knex, { tenant: tenantB, keys, exportedAt: EXPORTED_AT }));
      expect(second, file).to.equal(first);
      expect(first, file).to.equal(canonical(normalizeBundle(bundle, EXPORTED_AT)));
    }
  });
}
