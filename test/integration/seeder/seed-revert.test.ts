import { rm } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import {
  applySeeds,
  baselineSeeds,
  importBundle,
  migrateToLatest,
  readSeedStatus,
  revertSeeds,
  type WorkflowBundle,
} from "../../../src/index.js";
import {
  BASIC_SEEDS,
  fixtureBundle,
  LATER_SEED,
  LATER_SEED_FILE,
  makeSeedDir,
  newTenant,
  removeTempDirs,
  seedName,
  writeSeeds,
} from "../../fixtures/seed-kit.js";
import { describeEachEngine, ENGINES, fingerprint } from "../../support/databases.js";
import { rejection } from "./expect-rejection.js";
import { exportTenantText, readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];
const ALL_SEEDS = { ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED };
/** Named between the second and the later seed, as a seed merged from an older branch would be. */
const BRANCH_SEED_FILE = "2026-02-01T09.07.00.branch.bundle.json";

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

  it("reverts the latest applied seed, not the last by name (a seed merged from a branch with an older prefix)", async () => {
    const dir = await makeSeedDir({ [FIRST]: BASIC_SEEDS[FIRST] as WorkflowBundle, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    const beforeBranch = await exportTenantText(db().knex, tenant);
    // Merged later, named before the latest applied seed: `up` applies it last.
    await writeSeeds(dir, { [BRANCH_SEED_FILE]: fixtureBundle([{ key: "fixture.branch" }]) });
    expect((await applySeeds(db().knex, { dir, tenant })).applied.map((s) => s.name)).to.deep.equal([
      seedName(BRANCH_SEED_FILE),
    ]);
    const latest = await revertSeeds(db().knex, { tenant });
    expect(latest.reverted.map((r) => r.name)).to.deep.equal([seedName(BRANCH_SEED_FILE)]);
    expect(await exportTenantText(db().knex, tenant)).to.equal(beforeBranch);

    await applySeeds(db().knex, { dir, tenant });
    const stepped = await revertSeeds(db().knex, { tenant, step: 2 });
    expect(stepped.reverted.map((r) => r.name)).to.deep.equal([seedName(BRANCH_SEED_FILE), seedName(LATER_SEED_FILE)]);

    // the same order again: the later seed first, the branch's seed merged after it
    await rm(join(dir, BRANCH_SEED_FILE));
    await applySeeds(db().knex, { dir, tenant });
    await writeSeeds(dir, { [BRANCH_SEED_FILE]: fixtureBundle([{ key: "fixture.branch" }]) });
    await applySeeds(db().knex, { dir, tenant });
    // --to: the target and every seed applied after it, whatever their names
    const to = await revertSeeds(db().knex, { tenant, to: seedName(LATER_SEED_FILE) });
    expect(to.reverted.map((r) => r.name)).to.deep.equal([seedName(BRANCH_SEED_FILE), seedName(LATER_SEED_FILE)]);
    expect((await readSeedRows(db().knex, tenant)).map((r) => r.name)).to.deep.equal([seedName(FIRST)]);
  });

  it("a seed re-applied after an edit keeps its place in the applied order", async () => {
    const dir = await makeSeedDir(ALL_SEEDS);
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    await writeSeeds(dir, { [SECOND]: fixtureBundle([{ key: "fixture.gamma", description: "Gamma, edited." }]) });
    const reapplied = await applySeeds(db().knex, { dir, tenant, onChange: "reapply" });
    expect(reapplied.reapplied.map((s) => s.name)).to.deep.equal([seedName(SECOND)]);
    const result = await revertSeeds(db().knex, { tenant });
    expect(result.reverted.map((r) => r.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
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

for (const engine of ENGINES)
  describe(`seeder: the applied order of records written before it was recorded [${engine.name}]`, () => {
    it("migration 0004 numbers existing records by applied_at, then name; down follows that order", async function () {
      this.timeout(120_000);
      const db = await engine.create();
      try {
        const dir = await makeSeedDir(ALL_SEEDS);
        const tenant = newTenant();
        await applySeeds(db.knex, { dir, tenant });
        // Back to the schema before 0004, with the third seed applied first and the first one last.
        await db.knex.raw("alter table workflow_seeder_seeds drop column applied_order");
        await db.knex.raw(
          "delete from workflow_seeder_migrations where name = '0004_workflow_seeder_seed_applied_order'",
        );
        const appliedAt: [string, string][] = [
          [seedName(LATER_SEED_FILE), "2026-03-01T00:00:00Z"],
          [seedName(SECOND), "2026-03-02T00:00:00Z"],
          [seedName(FIRST), "2026-03-02T00:00:00Z"],
        ];
        for (const [name, at] of appliedAt)
          await db.knex.raw("update workflow_seeder_seeds set applied_at = ? where tenant = ? and name = ?", [
            at,
            tenant,
            name,
          ]);
        expect((await migrateToLatest(db.knex)).applied).to.deep.equal(["0004_workflow_seeder_seed_applied_order"]);
        const order = await db.knex.raw(
          "select name from workflow_seeder_seeds where tenant = ? order by applied_order",
          [tenant],
        );
        expect(order.rows.map((r: { name: string }) => r.name)).to.deep.equal(
          [LATER_SEED_FILE, FIRST, SECOND].map(seedName),
        );
        // A record written after the migration comes after every backfilled one.
        await writeSeeds(dir, { [BRANCH_SEED_FILE]: fixtureBundle([{ key: "fixture.branch" }]) });
        await applySeeds(db.knex, { dir, tenant });
        const reverted = await revertSeeds(db.knex, { tenant, step: 2, force: true });
        expect(reverted.reverted.map((r) => r.name)).to.deep.equal([seedName(BRANCH_SEED_FILE), seedName(SECOND)]);
      } finally {
        await db.close();
      }
    });
  });
