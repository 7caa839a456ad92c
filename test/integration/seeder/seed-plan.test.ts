import { expect } from "chai";
import { applySeeds, collectDependencies, importBundle, planSeeds } from "../../../src/index.js";
import {
  BASIC_SEEDS,
  FIXTURE_EXPORTED_AT,
  fixtureBundle,
  fixtureWorkflow,
  LATER_SEED,
  LATER_SEED_FILE,
  makeSeedDir,
  newTenant,
  removeTempDirs,
  seedName,
  writeSeeds,
} from "../../fixtures/seed-kit.js";
import { bundleOf } from "../../support/bundles.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { rejection } from "./expect-rejection.js";
import { readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];

describeEachEngine("seeder: plan (up --dry-run)", (db) => {
  after(removeTempDirs);

  it("on a fresh tenant shows every workflow as create, with a diff from nothing (diff), and writes nothing", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const summary = await planSeeds(db().knex, { dir, tenant });
    expect(summary.seeds.flatMap((s) => s.workflows.map((w) => [w.key, w.action, w.diff]))).to.deep.equal([
      ["fixture.alpha", "create", null],
      ["fixture.beta", "create", null],
      ["fixture.gamma", "create", null],
    ]);
    expect(summary.wouldFail).to.equal(false);
    const plan = await planSeeds(db().knex, { dir, tenant, diff: true });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
    expect(plan.seeds.map((s) => [s.name, s.mode, s.outcome])).to.deep.equal([
      [seedName(FIRST), "apply", "ok"],
      [seedName(SECOND), "apply", "ok"],
    ]);
    expect(plan.seeds.flatMap((s) => s.workflows.map((w) => [w.key, w.action, w.existingWorkflowId]))).to.deep.equal([
      ["fixture.alpha", "create", null],
      ["fixture.beta", "create", null],
      ["fixture.gamma", "create", null],
    ]);
    const diff = plan.seeds[0]?.workflows[0]?.diff ?? "";
    expect(diff).to.include("--- /dev/null");
    expect(diff).to.include('+  "key": "fixture.alpha"');
  });

  it("a later seed that updates a key shows update with a content diff, and a new key as create", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
    const alphaId = (await readWorkflows(db().knex, tenant)).get("fixture.alpha")?.workflowId;
    const before = await fingerprint(db().knex);
    const plan = await planSeeds(db().knex, { dir, tenant, diff: true });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
    expect(plan.seeds).to.have.length(1);
    const byKey = new Map(plan.seeds[0]?.workflows.map((w) => [w.key, w]));
    expect(byKey.get("fixture.alpha")).to.include({ action: "update", existingWorkflowId: alphaId });
    const diff = byKey.get("fixture.alpha")?.diff ?? "";
    expect(diff).to.match(/^-.*"Fixture workflow fixture\.alpha\."/m);
    expect(diff).to.match(/^\+.*"Alpha, second version\."/m);
    expect(byKey.get("fixture.delta")).to.include({ action: "create", existingWorkflowId: null });
  });

  it("a pending seed updating a key an earlier pending seed creates is planned as update, as up does it", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    const plan = await planSeeds(db().knex, { dir, tenant });
    expect(plan.seeds.map((s) => s.outcome)).to.deep.equal(["ok", "ok", "ok"]);
    const later = plan.seeds[2]?.workflows.find((w) => w.key === "fixture.alpha");
    expect(later?.action).to.equal("update");
    // and up agrees
    const applied = await applySeeds(db().knex, { dir, tenant });
    expect(applied.applied).to.have.length(3);
  });

  it("a pending seed older than an applied one plans the later seed's keys as skip, as up does it", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    await writeSeeds(dir, {
      "2026-02-01T09.07.00.from-a-branch.bundle.json": fixtureBundle([
        { key: "fixture.alpha", description: "From a branch." },
        { key: "fixture.branch" },
      ]),
    });
    const plan = await planSeeds(db().knex, { dir, tenant });
    expect(plan.seeds[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
      ["fixture.alpha", "skip"],
      ["fixture.branch", "create"],
    ]);
  });

  it("a key that no seed created is a conflict: that seed is marked, later seeds are not run", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    const existing = await importBundle(db().knex, fixtureBundle([{ key: "fixture.gamma" }]), { tenant });
    const before = await fingerprint(db().knex);
    const plan = await planSeeds(db().knex, { dir, tenant });
    expect(await fingerprint(db().knex)).to.deep.equal(before);
    expect(plan.seeds.map((s) => s.outcome)).to.deep.equal(["ok", "conflict", "not-run"]);
    expect(plan.seeds[1]?.workflows).to.deep.equal([
      {
        key: "fixture.gamma",
        action: "conflict",
        existingWorkflowId: existing.createdWorkflows[0]?.workflowId,
        diff: null,
      },
    ]);
    // with a policy it is planned like up would do it
    const replacing = await planSeeds(db().knex, { dir, tenant, onConflict: "replace" });
    expect(replacing.seeds.map((s) => s.outcome)).to.deep.equal(["ok", "ok", "ok"]);
    expect(replacing.seeds[1]?.workflows[0]?.action).to.equal("replace");
  });

  it("an edited applied seed shows what changed under every policy: refused (fail), left alone (warn), re-applied (reapply)", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant, to: SECOND });
    const gammaId = (await readWorkflows(db().knex, tenant)).get("fixture.gamma")?.workflowId;
    await writeSeeds(dir, { [SECOND]: fixtureBundle([{ key: "fixture.gamma", description: "Gamma, edited." }]) });
    const before = await fingerprint(db().knex);
    const edited = { key: "fixture.gamma", action: "update", existingWorkflowId: gammaId };

    // fail: up refuses (SEED_CHECKSUM_MISMATCH); the plan says so and shows the edit
    await rejection(applySeeds(db().knex, { dir, tenant }));
    const refused = await planSeeds(db().knex, { dir, tenant, diff: true });
    expect(refused.wouldFail).to.equal(true);
    expect(refused.warnings.map((w) => w.code)).to.deep.equal(["SEED_CHECKSUM_MISMATCH"]);
    expect(refused.seeds.map((s) => [s.name, s.mode, s.outcome])).to.deep.equal([
      [seedName(SECOND), "changed", "refused"],
      [seedName(LATER_SEED_FILE), "apply", "not-run"],
    ]);
    expect(refused.seeds[0]?.workflows).to.have.length(1);
    expect(refused.seeds[0]?.workflows[0]).to.deep.include(edited);
    expect(refused.seeds[0]?.workflows[0]?.diff).to.match(/^-.*"Fixture workflow fixture\.gamma\."/m);
    expect(refused.seeds[0]?.workflows[0]?.diff).to.match(/^\+.*"Gamma, edited\."/m);

    // warn: up goes on with the pending seed, leaves the edited one
    const warned = await planSeeds(db().knex, { dir, tenant, onChange: "warn" });
    expect(warned.wouldFail).to.equal(false);
    expect(warned.warnings.map((w) => w.code)).to.deep.equal(["SEED_CHECKSUM_MISMATCH"]);
    expect(warned.seeds.map((s) => [s.name, s.mode, s.outcome])).to.deep.equal([
      [seedName(SECOND), "changed", "not-run"],
      [seedName(LATER_SEED_FILE), "apply", "ok"],
    ]);
    expect(warned.seeds[0]?.workflows[0]).to.deep.include({ ...edited, diff: null });

    // reapply
    const plan = await planSeeds(db().knex, { dir, tenant, onChange: "reapply", diff: true });
    expect(plan.seeds.map((s) => [s.name, s.mode, s.outcome])).to.deep.equal([
      [seedName(SECOND), "reapply", "ok"],
      [seedName(LATER_SEED_FILE), "apply", "ok"],
    ]);
    expect(plan.seeds[0]?.workflows[0]).to.deep.include(edited);
    expect(plan.seeds[0]?.workflows[0]?.diff).to.include("Gamma, edited.");
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("reports the warnings up would report, seed by seed", async () => {
    const broken = fixtureWorkflow({ key: "fixture.broken-draft" });
    // an event.wait without its config: a draft that is not valid (imported, with a warning)
    (broken.draft.definition as { steps: unknown[] }).steps = [{ id: "wait", type: "event.wait" }];
    broken.dependencies = collectDependencies(broken);
    const calling = fixtureWorkflow({ key: "fixture.calls-nobody" });
    (calling.draft.definition as { steps: unknown[] }).steps = [
      {
        id: "call",
        type: "control.callWorkflow",
        workflowId: "4f1c2a0e-5b7d-4c3e-9a8f-0123456789ab",
        workflowVersion: 1,
      },
    ];
    calling.dependencies = collectDependencies(calling);
    const dir = await makeSeedDir({ [FIRST]: bundleOf([broken, calling], FIXTURE_EXPORTED_AT) });
    const tenant = newTenant();
    const plan = await planSeeds(db().knex, { dir, tenant });
    const applied = await applySeeds(db().knex, { dir, tenant });
    const codes = (warnings: { code: string }[]) => warnings.map((w) => w.code).sort();
    expect(codes(plan.seeds[0]?.warnings ?? [])).to.deep.equal([
      "INVALID_DRAFT_DEFINITION",
      "UNRESOLVED_WORKFLOW_REFERENCE",
    ]);
    expect(plan.seeds[0]?.warnings).to.deep.equal(applied.applied[0]?.warnings);
  });

  it("nothing pending: an empty plan; an unknown --to is SEED_NOT_FOUND as with up", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const error = await rejection(planSeeds(db().knex, { dir, tenant, to: "2030-01-01T00.00.00.nope" }));
    expect(error.code).to.equal("SEED_NOT_FOUND");
    const partial = await planSeeds(db().knex, { dir, tenant, to: FIRST });
    expect(partial.seeds.map((s) => s.name)).to.deep.equal([seedName(FIRST)]);
    await applySeeds(db().knex, { dir, tenant });
    expect((await planSeeds(db().knex, { dir, tenant })).seeds).to.deep.equal([]);
  });
});
