import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import {
  applySeeds,
  baselineSeeds,
  canonicalizeJson,
  checkBundle,
  createSeedFile,
  exportToSeed,
  importBundle,
  readSeedStatus,
} from "../../../src/index.js";
import {
  BASIC_SEEDS,
  fixtureBundle,
  LATER_SEED,
  LATER_SEED_FILE,
  listFiles,
  makeSeedDir,
  makeTempDir,
  newTenant,
  removeTempDirs,
  type SeedFolder,
  seedName,
  writeSeeds,
} from "../../fixtures/seed-kit.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { rejection } from "./expect-rejection.js";
import { exportTenantText, readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];

describeEachEngine("seeder: baseline, export --seed, new", (db) => {
  after(removeTempDirs);

  describe("baseline", () => {
    it("records seeds as applied without running them and adopts their existing workflows", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      // an existing dev database: the workflows are there, no seed is recorded
      await importBundle(db().knex, BASIC_SEEDS[FIRST], { tenant });
      await importBundle(db().knex, BASIC_SEEDS[SECOND], { tenant });
      const workflowsBefore = await fingerprint(db().knex, tenant);
      const ids = await readWorkflows(db().knex, tenant);

      const result = await baselineSeeds(db().knex, { dir, tenant });
      expect(result.recorded).to.deep.equal([
        { name: seedName(FIRST), adopted: ["fixture.alpha", "fixture.beta"] },
        { name: seedName(SECOND), adopted: ["fixture.gamma"] },
      ]);
      const after = await fingerprint(db().knex, tenant);
      expect({ ...after, workflow_seeder_seeds: "" }).to.deep.equal({ ...workflowsBefore, workflow_seeder_seeds: "" });
      const rows = await readSeedRows(db().knex, tenant);
      expect(rows.map((r) => [r.name, r.baseline])).to.deep.equal([
        [seedName(FIRST), true],
        [seedName(SECOND), true],
      ]);
      const status = await readSeedStatus(db().knex, { dir, tenant });
      expect(status.seeds.map((s) => [s.state, s.baseline])).to.deep.equal([
        ["applied", true],
        ["applied", true],
      ]);
      expect((await applySeeds(db().knex, { dir, tenant })).applied).to.deep.equal([]);

      // adopted keys are the seeder's: a later seed updates them in place, no conflict
      await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
      await applySeeds(db().knex, { dir, tenant });
      expect((await readWorkflows(db().knex, tenant)).get("fixture.alpha")).to.include({
        workflowId: ids.get("fixture.alpha")?.workflowId,
        description: "Alpha, second version.",
      });
    });

    it("--to stops at the named seed; re-running records nothing twice", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      const first = await baselineSeeds(db().knex, { dir, tenant, to: FIRST });
      expect(first.recorded.map((r) => r.name)).to.deep.equal([seedName(FIRST)]);
      const rest = await baselineSeeds(db().knex, { dir, tenant });
      expect(rest.recorded.map((r) => r.name)).to.deep.equal([seedName(SECOND)]);
      expect((await baselineSeeds(db().knex, { dir, tenant })).recorded).to.deep.equal([]);
      expect(await readSeedRows(db().knex, tenant)).to.have.length(2);
    });

    it("records N seeds in as many statements as one, each adopting its own keys (a key in two seeds in both)", async () => {
      const statementsFor = async (count: number) => {
        const seeds: SeedFolder = {};
        for (let i = 0; i < count; i++)
          seeds[`2026-03-01T09.00.${String(i).padStart(2, "0")}.s${i}.bundle.json`] = fixtureBundle([
            { key: `fixture.s${i}` },
            { key: "fixture.shared" },
          ]);
        const dir = await makeSeedDir(seeds);
        const tenant = newTenant();
        for (const bundle of Object.values(seeds))
          await importBundle(db().knex, bundle, { tenant, onConflict: "skip" });
        let statements = 0;
        const count1 = () => {
          statements++;
        };
        db().knex.on("query", count1);
        let result: Awaited<ReturnType<typeof baselineSeeds>>;
        try {
          result = await baselineSeeds(db().knex, { dir, tenant });
        } finally {
          db().knex.removeListener("query", count1);
        }
        expect(result.recorded.map((r) => [...r.adopted].sort())).to.deep.equal(
          Array.from({ length: count }, (_, i) => [`fixture.s${i}`, "fixture.shared"]),
        );
        return statements;
      };
      expect(await statementsFor(6)).to.equal(await statementsFor(1));
    });
  });

  describe("export --seed", () => {
    it("writes a valid canonical seed, recorded in the source (status clean) and pending elsewhere", async () => {
      const dir = await makeSeedDir();
      const source = newTenant();
      await applySeeds(db().knex, { dir, tenant: source });
      await importBundle(db().knex, fixtureBundle([{ key: "live.one", published: true }, { key: "live.two" }]), {
        tenant: source,
      });

      const now = new Date("2026-05-06T07:08:09.000Z");
      const result = await exportToSeed(db().knex, {
        tenant: source,
        dir,
        name: "Live workflows",
        keys: ["live.one", "live.two"],
        now: () => now,
      });
      expect(result.name).to.equal("2026-05-06T07.08.09.live-workflows");
      expect(result.workflows).to.deep.equal(["live.one", "live.two"]);
      expect(await listFiles(dir)).to.deep.equal([FIRST, SECOND, "2026-05-06T07.08.09.live-workflows.bundle.json"]);
      const text = await readFile(result.file, "utf8");
      expect(canonicalizeJson(JSON.parse(text))).to.equal(text);
      const checked = checkBundle(JSON.parse(text));
      expect(checked.ok).to.equal(true);

      const sourceStatus = await readSeedStatus(db().knex, { dir, tenant: source });
      expect(sourceStatus.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied", "applied"]);
      expect(sourceStatus.hasWork).to.equal(false);

      const other = newTenant();
      const otherStatus = await readSeedStatus(db().knex, { dir, tenant: other });
      expect(otherStatus.seeds.map((s) => s.state)).to.deep.equal(["pending", "pending", "pending"]);
      await applySeeds(db().knex, { dir, tenant: other });
      expect(await exportTenantText(db().knex, other)).to.equal(await exportTenantText(db().knex, source));
    });

    it("exporting keys that do not exist is WORKFLOW_NOT_FOUND: no file, no record", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      const error = await rejection(exportToSeed(db().knex, { tenant, dir, name: "nothing", keys: ["no.such.key"] }));
      expect(error.code).to.equal("WORKFLOW_NOT_FOUND");
      expect(await listFiles(dir)).to.deep.equal([FIRST, SECOND]);
      expect(await readSeedRows(db().knex, tenant)).to.deep.equal([]);
    });
  });

  describe("new", () => {
    it("creates a valid canonical seed with the next version prefix, which up applies", async () => {
      const dir = await makeSeedDir({
        ...BASIC_SEEDS,
        "2099-12-31T23.59.59.from-the-future.bundle.json": fixtureBundle([{ key: "fixture.future" }]),
      });
      const created = await createSeedFile({ dir, name: "Hello World", now: () => new Date("2026-06-01T00:00:00Z") });
      expect(created.name).to.equal("2100-01-01T00.00.00.hello-world");
      expect(created.file).to.equal(join(dir, "2100-01-01T00.00.00.hello-world.bundle.json"));
      const text = await readFile(created.file, "utf8");
      expect(canonicalizeJson(JSON.parse(text))).to.equal(text);
      const checked = checkBundle(JSON.parse(text));
      expect(checked.ok).to.equal(true);
      if (checked.ok) expect(checked.bundle.workflows.map((w) => w.key)).to.deep.equal(["hello-world"]);

      const tenant = newTenant();
      const applied = await applySeeds(db().knex, { dir, tenant });
      expect(applied.applied.at(-1)?.name).to.equal(created.name);
    });

    it("creates the folder when it is missing; a name without letters or digits is INVALID_ARGUMENT", async () => {
      const dir = join(await makeTempDir(), "seeds", "workflows");
      const created = await createSeedFile({ dir, name: "first", now: () => new Date("2026-06-01T00:00:00Z") });
      expect(await listFiles(dir)).to.deep.equal(["2026-06-01T00.00.00.first.bundle.json"]);
      expect(created.name).to.equal("2026-06-01T00.00.00.first");
      const error = await rejection(createSeedFile({ dir, name: "!!!" }));
      expect(error.code).to.equal("INVALID_ARGUMENT");
    });
  });
});
