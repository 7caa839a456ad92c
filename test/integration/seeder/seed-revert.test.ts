import { expect } from "chai";
import { applySeeds, baselineSeeds, importBundle, readSeedStatus, revertSeeds } from "../../../src/index.js";
import {
  BASIC_SEEDS,
  fixtureBundle,
  LATER_SEED,
  LATER_SEED_FILE,
  makeSeedDir,
  newTenant,
  removeTempDirs,
  seedName,
} from "../../fixtures/seed-kit.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { rejection } from "./expect-rejection.js";
import { exportTenantText, readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];
const ALL_SEEDS = { ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED };

describeEachEngine("seeder: down", (db) => {
  after(removeTempDirs);

  it("reverts the latest seed: its created workflows are deleted, the ones it updated are restored in place", async () => {
    const dir = await makeSeedDir(ALL_SEEDS);
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant, to: SECOND });
    const stateBefore = await exportTenantText(db().knex, tenant);
    const idsBefore = await readWorkflows(db().knex, tenant);
    await applySeeds(db().knex, { dir, tenant });

    const result = await revertSeeds(db().knex, { tenant });
    expect(result.reverted.map((r) => r.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
    expect(result.reverted[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
      ["fixture.delta", "deleted"],
      ["fixture.alpha", "restored"],
    ]);
    expect(await exportTenantText(db().knex, tenant)).to.equal(stateBefore);
    const idsAfter = await readWorkflows(db().knex, tenant);
    expect(idsAfter.get("fixture.alpha")?.workflowId).to.equal(idsBefore.get("fixture.alpha")?.workflowId);
    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied", "pending"]);
  });

  it("down --to the first seed empties the tenant (newest first); up brings the same content back", async () => {
    const dir = await makeSeedDir(ALL_SEEDS);
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    const seeded = await exportTenantText(db().knex, tenant);
    const result = await revertSeeds(db().knex, { tenant, to: seedName(FIRST) });
    expect(result.reverted.map((r) => r.name)).to.deep.equal([FIRST, SECOND, LATER_SEED_FILE].map(seedName).reverse());
    expect((await readWorkflows(db().knex, tenant)).size).to.equal(0);
    expect(await readSeedRows(db().knex, tenant)).to.deep.equal([]);
    await applySeeds(db().knex, { dir, tenant });
    expect(await exportTenantText(db().knex, tenant)).to.equal(seeded);
  });

  it("--step n reverts the n latest seeds; an unknown --to is SEED_NOT_FOUND", async () => {
    const dir = await makeSeedDir(ALL_SEEDS);
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    const error = await rejection(revertSeeds(db().knex, { tenant, to: "nope" }));
    expect(error.code).to.equal("SEED_NOT_FOUND");
    const result = await revertSeeds(db().knex, { tenant, step: 2 });
    expect(result.reverted.map((r) => r.name)).to.deep.equal([seedName(LATER_SEED_FILE), seedName(SECOND)]);
    expect([...(await readWorkflows(db().knex, tenant)).keys()]).to.deep.equal(["fixture.alpha", "fixture.beta"]);
  });

  it("--to accepts a seed's name, file name or version prefix, whatever its separator", async () => {
    const dir = await makeSeedDir({
      "001-alpha.bundle.json": fixtureBundle([{ key: "fixture.alpha" }]),
      "002_beta.bundle.json": fixtureBundle([{ key: "fixture.beta" }]),
      "003.gamma.bundle.json": fixtureBundle([{ key: "fixture.gamma" }]),
    });
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    expect((await revertSeeds(db().knex, { tenant, to: "003" })).reverted.map((r) => r.name)).to.deep.equal([
      "003.gamma",
    ]);
    expect((await revertSeeds(db().knex, { tenant, to: "002" })).reverted.map((r) => r.name)).to.deep.equal([
      "002_beta",
    ]);
    expect(
      (await revertSeeds(db().knex, { tenant, to: "001-alpha.bundle.json" })).reverted.map((r) => r.name),
    ).to.deep.equal(["001-alpha"]);
  });

  it("a workflow changed after seeding blocks the revert (SEED_REVERT_BLOCKED naming it) unless force", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    await db().knex.raw(
      "update workflow_definitions set description = 'changed by hand' where tenant = ? and key = ?",
      [tenant, "fixture.gamma"],
    );
    const before = await fingerprint(db().knex, tenant);
    const error = await rejection(revertSeeds(db().knex, { tenant }));
    expect(error.code).to.equal("SEED_REVERT_BLOCKED");
    expect(error.details).to.deep.equal({ seed: seedName(SECOND), changedWorkflows: ["fixture.gamma"] });
    expect(await fingerprint(db().knex, tenant)).to.deep.equal(before);

    const forced = await revertSeeds(db().knex, { tenant, force: true });
    expect(forced.reverted[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([["fixture.gamma", "deleted"]]);
    expect((await readWorkflows(db().knex, tenant)).has("fixture.gamma")).to.equal(false);
  });

  it("a workflow the seed took over with --on-conflict update is restored to its hand-made content", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await importBundle(db().knex, fixtureBundle([{ key: "fixture.gamma", description: "Hand-made." }]), { tenant });
    const handMade = await exportTenantText(db().knex, tenant);
    const id = (await readWorkflows(db().knex, tenant)).get("fixture.gamma")?.workflowId;
    await applySeeds(db().knex, { dir, tenant, onConflict: "update" });
    expect((await readWorkflows(db().knex, tenant)).get("fixture.gamma")?.description).to.not.equal("Hand-made.");
    await revertSeeds(db().knex, { tenant, step: 2 });
    expect(await exportTenantText(db().knex, tenant)).to.equal(handMade);
    expect((await readWorkflows(db().knex, tenant)).get("fixture.gamma")?.workflowId).to.equal(id);
  });

  it("a workflow the seed replaced (--on-conflict replace) gets its previous content back", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await importBundle(db().knex, fixtureBundle([{ key: "fixture.gamma", description: "Hand-made." }]), { tenant });
    const handMade = await exportTenantText(db().knex, tenant);
    await applySeeds(db().knex, { dir, tenant, onConflict: "replace" });
    const rows = await readSeedRows(db().knex, tenant);
    expect(rows[1]?.workflows.map((w) => w.action)).to.deep.equal(["replaced"]);
    await revertSeeds(db().knex, { tenant, step: 2 });
    expect(await exportTenantText(db().knex, tenant)).to.equal(handMade);
  });

  it("workflows adopted by baseline are kept; only the record goes", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await importBundle(db().knex, fixtureBundle([{ key: "fixture.gamma" }]), { tenant });
    await baselineSeeds(db().knex, { dir, tenant, to: SECOND });
    const before = await exportTenantText(db().knex, tenant);
    const result = await revertSeeds(db().knex, { tenant });
    expect(result.reverted[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([["fixture.gamma", "kept"]]);
    expect(await exportTenantText(db().knex, tenant)).to.equal(before);
    expect((await readSeedRows(db().knex, tenant)).map((r) => r.name)).to.deep.equal([seedName(FIRST)]);
  });
});
