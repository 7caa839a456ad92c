/**
 * Commands that read a seeds folder as a whole (`verify`, the fixtures) see it as `up` leaves the
 * tenant: a later seed's version of a key replaces the earlier one. A key twice in one seed, or in
 * two plain bundle files, stays DUPLICATE_WORKFLOW_KEY, naming both files.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { applySeeds, type BundleWorkflow, loadWorkflowFixtures, verifyBundles } from "../../../src/index.js";
import {
  fixtureBundle,
  fixtureWorkflow,
  makeSeedDir,
  makeTempDir,
  newTenant,
  removeTempDirs,
} from "../../fixtures/seed-kit.js";
import { bundleOf } from "../../support/bundles.js";
import { humanErrorOf, jsonErrorOf, jsonOf, runCli } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";
import { readWorkflows } from "./tenant-rows.js";

const FIRST = "2026-02-01T09.00.00.first.bundle.json";
const SECOND = "2026-02-01T09.05.00.second.bundle.json";

/** A workflow whose draft cannot be published (two steps with the same id). */
function unpublishable(key: string): BundleWorkflow {
  const workflow = fixtureWorkflow({ key, description: "Broken first version." });
  const definition = workflow.draft.definition as { steps: { id: string }[] };
  definition.steps = definition.steps.map((s) => ({ ...s, id: "same" }));
  return workflow;
}

/** The first seed ships a draft that cannot be published; the second seed a fixed version of the key. */
const SEEDS = {
  [FIRST]: bundleOf([unpublishable("fixture.shipped-twice"), fixtureWorkflow({ key: "fixture.once" })]),
  [SECOND]: fixtureBundle([{ key: "fixture.shipped-twice", description: "Fixed second version." }]),
};

describe("seeds folders read as a whole: the final state per key [postgres]", function () {
  this.timeout(120_000);
  let pg: TestDatabase | undefined;
  const db = () => pg as TestDatabase;
  before(async () => {
    pg = await createPostgresDatabase();
  });
  after(async () => {
    await pg?.close();
    await removeTempDirs();
  });

  const verify = (...args: string[]) => runCli(["verify", ...args, "--database-url", db().url as string]);

  it("verify --dir, verify <folder> and verifyBundles({seedDirs}) verify the later seed's version of a key", async () => {
    const dir = await makeSeedDir(SEEDS);
    for (const args of [["--dir", dir], [dir]]) {
      const result = await verify(...args, "--json");
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      const report = jsonOf(result) as { ok: boolean; workflows: { workflowKey: string; ok: boolean }[] };
      expect(report.workflows.map((w) => [w.workflowKey, w.ok])).to.deep.equal([
        ["fixture.once", true],
        ["fixture.shipped-twice", true],
      ]);
    }
    const report = await verifyBundles(db().knex, { seedDirs: [dir] });
    expect(report.ok).to.equal(true);
    // what up leaves is what verify checked
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    expect((await readWorkflows(db().knex, tenant)).get("fixture.shipped-twice")?.description).to.equal(
      "Fixed second version.",
    );
    const fixtures = await loadWorkflowFixtures({ dir });
    expect(fixtures.workflows.map((w) => [w.key, w.metadata.description])).to.deep.equal([
      ["fixture.shipped-twice", "Fixed second version."],
      ["fixture.once", "Fixture workflow fixture.once."],
    ]);
  });

  it("a key twice within one seed stays DUPLICATE_WORKFLOW_KEY, naming the seed", async () => {
    const dir = await makeSeedDir({
      [FIRST]: bundleOf([fixtureWorkflow({ key: "fixture.twice" }), fixtureWorkflow({ key: "fixture.twice" })]),
    });
    const error = jsonErrorOf(await verify("--dir", dir, "--json"), "DUPLICATE_WORKFLOW_KEY");
    expect(error.details).to.deep.equal({ file: join(dir, FIRST), key: "fixture.twice", indexes: [0, 1] });
  });

  it("a key in two plain bundle files is DUPLICATE_WORKFLOW_KEY naming both files (duplicateOf)", async () => {
    const dir = await makeTempDir("wfs-plain-bundles-");
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    await writeFile(a, JSON.stringify(fixtureBundle([{ key: "fixture.other" }, { key: "fixture.shared" }])));
    await writeFile(b, JSON.stringify(fixtureBundle([{ key: "fixture.shared" }])));
    for (const args of [[a, b], [dir]]) {
      const error = jsonErrorOf(await verify(...args, "--json"), "DUPLICATE_WORKFLOW_KEY");
      expect(error.details).to.deep.equal({
        key: "fixture.shared",
        indexes: [0],
        file: b,
        duplicateOf: { file: a, bundle: 0, index: 1 },
      });
      expect(error.message).to.include(a).and.include(b);
    }
    const human = humanErrorOf(
      await runCli(["import", a, b, "--database-url", db().url as string, "--tenant", newTenant()]),
      "DUPLICATE_WORKFLOW_KEY",
    );
    expect(human).to.include(a).and.include(b);
  });

  it("every seed is checked whole, as up checks it: a problem is reported at its own place in its file", async () => {
    // The first seed's first workflow is replaced by the second seed; its second one is invalid.
    const invalid = fixtureWorkflow({ key: "fixture.invalid", published: true });
    const published = invalid.publishedVersions[0] as { definition: Record<string, unknown> };
    published.definition = { ...published.definition, bogus: true };
    const supersededInvalid = fixtureWorkflow({ key: "fixture.shipped-twice", published: true });
    const superseded = supersededInvalid.publishedVersions[0] as { definition: Record<string, unknown> };
    superseded.definition = { ...superseded.definition, bogus: true };
    const dir = await makeSeedDir({
      [FIRST]: bundleOf([supersededInvalid, invalid]),
      [SECOND]: fixtureBundle([{ key: "fixture.shipped-twice" }]),
    });
    const error = jsonErrorOf(await verify("--dir", dir, "--json"), "INVALID_DEFINITION");
    const issues = (error.issues ?? [error]) as { code: string; details: { errors: { path: string }[] } }[];
    // up refuses the first seed for both workflows (the later seed does not make the first valid)
    expect(issues.flatMap((i) => i.details.errors.map((e) => e.path))).to.deep.equal([
      "/workflows/0/publishedVersions/0/definition/bogus",
      "/workflows/1/publishedVersions/0/definition/bogus",
    ]);
  });

  it("verify of a folder without a bundle is a usage error, not '0 of 0 workflows verified'", async () => {
    const dir = await makeTempDir("wfs-empty-");
    await writeFile(join(dir, "README.md"), "no bundle here");
    const error = jsonErrorOf(await verify(dir, "--json"), "INVALID_ARGUMENT", 2);
    expect(error.details).to.include({ option: "files", received: dir });
  });

  it("verify of a seeds folder refuses a misnamed .json file (INVALID_SEED_NAME)", async () => {
    const dir = await makeSeedDir({ ...SEEDS, "2026-02-01.third.bundle.json": fixtureBundle([{ key: "fixture.x" }]) });
    for (const args of [["--dir", dir], [dir]]) {
      const error = jsonErrorOf(await verify(...args, "--json"), "INVALID_SEED_NAME");
      expect(error.details).to.deep.include({ dir, files: ["2026-02-01.third.bundle.json"] });
    }
  });
});
