import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import {
  applySeeds,
  baselineSeeds,
  hashCanonicalJson,
  importBundle,
  loadWorkflowFixtures,
  planSeeds,
  readSeedStatus,
  revertSeeds,
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
import { describeEachEngine, fingerprint } from "../../support/databases.js";
import { rejection } from "./expect-rejection.js";
import { exportTenantText, readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];
const PACKAGE_VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

describeEachEngine("seeder: up and status", (db) => {
  after(removeTempDirs);

  it("first run applies every seed in name order, each recorded with checksum, algorithm, tool version and keys", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const before = await readSeedStatus(db().knex, { dir, tenant });
    expect(before.seeds.map((s) => [s.name, s.state])).to.deep.equal([
      [seedName(FIRST), "pending"],
      [seedName(SECOND), "pending"],
    ]);
    expect(before.hasWork).to.equal(true);

    const result = await applySeeds(db().knex, { dir, tenant, now: () => new Date("2026-03-01T00:00:00Z") });
    expect(result.applied.map((s) => s.name)).to.deep.equal([seedName(FIRST), seedName(SECOND)]);
    expect(result.applied[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
      ["fixture.alpha", "created"],
      ["fixture.beta", "created"],
    ]);
    const workflows = await readWorkflows(db().knex, tenant);
    expect([...workflows.keys()]).to.deep.equal(["fixture.alpha", "fixture.beta", "fixture.gamma"]);
    expect(workflows.get("fixture.beta")?.versions).to.equal(1);

    const rows = await readSeedRows(db().knex, tenant);
    expect(rows.map((r) => r.name)).to.deep.equal([seedName(FIRST), seedName(SECOND)]);
    expect(rows[0]?.checksum).to.equal(hashCanonicalJson(BASIC_SEEDS[FIRST]));
    expect(rows[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
      ["fixture.alpha", "created"],
      ["fixture.beta", "created"],
    ]);
    const records = await db().knex.raw(
      "select checksum_algorithm, tool_version, applied_at from workflow_seeder_seeds where tenant = ?",
      [tenant],
    );
    for (const r of records.rows) {
      expect(r.checksum_algorithm).to.equal("sha256-canonical-json-v1");
      expect(r.tool_version).to.equal(PACKAGE_VERSION);
      expect(new Date(r.applied_at).toISOString()).to.equal("2026-03-01T00:00:00.000Z");
    }
    const after = await readSeedStatus(db().knex, { dir, tenant });
    expect(after.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied"]);
    expect(after.hasWork).to.equal(false);
  });

  it("a re-run applies nothing and writes nothing", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    const before = await fingerprint(db().knex, tenant);
    const again = await applySeeds(db().knex, { dir, tenant });
    expect(again.applied).to.deep.equal([]);
    expect(again.reapplied).to.deep.equal([]);
    expect(await fingerprint(db().knex, tenant)).to.deep.equal(before);
  });

  it("a seed added later is applied alone; it updates a key an earlier seed created in place (same workflow_id)", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    const before = await readWorkflows(db().knex, tenant);

    await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied", "pending"]);

    const result = await applySeeds(db().knex, { dir, tenant });
    expect(result.applied.map((s) => s.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
    expect(result.applied[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
      ["fixture.delta", "created"],
      ["fixture.alpha", "updated"],
    ]);
    const after = await readWorkflows(db().knex, tenant);
    expect(after.get("fixture.alpha")?.workflowId).to.equal(before.get("fixture.alpha")?.workflowId);
    expect(after.get("fixture.alpha")?.description).to.equal("Alpha, second version.");
    expect(after.get("fixture.beta")).to.deep.equal(before.get("fixture.beta"));
    expect(after.has("fixture.delta")).to.equal(true);
  });

  describe("a seed modified after it was applied", () => {
    async function appliedThenModified() {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      await applySeeds(db().knex, { dir, tenant });
      const modified = fixtureBundle([
        { key: "fixture.alpha", description: "Edited in place." },
        { key: "fixture.beta", published: true },
      ]);
      await writeSeeds(dir, { [FIRST]: modified, [LATER_SEED_FILE]: LATER_SEED });
      return { dir, tenant, modified };
    }

    it("fail (the default): SEED_CHECKSUM_MISMATCH names the seed with both checksums, and nothing is applied", async () => {
      const { dir, tenant, modified } = await appliedThenModified();
      const before = await fingerprint(db().knex, tenant);
      const error = await rejection(applySeeds(db().knex, { dir, tenant }));
      expect(error.code).to.equal("SEED_CHECKSUM_MISMATCH");
      expect(error.details).to.deep.equal({
        seeds: [
          {
            name: seedName(FIRST),
            recordedChecksum: hashCanonicalJson(BASIC_SEEDS[FIRST]),
            currentChecksum: hashCanonicalJson(modified),
          },
        ],
      });
      expect(error.message).to.include(seedName(FIRST));
      // the pending seed was not applied either
      expect(await fingerprint(db().knex, tenant)).to.deep.equal(before);

      const status = await readSeedStatus(db().knex, { dir, tenant });
      const entry = status.seeds.find((s) => s.name === seedName(FIRST));
      expect(entry).to.include({
        state: "modified",
        file: FIRST,
        recordedChecksum: hashCanonicalJson(BASIC_SEEDS[FIRST]),
        currentChecksum: hashCanonicalJson(modified),
      });
      expect(status.hasWork).to.equal(true);
    });

    it("reapply: re-imports the changed seed in place and records its new checksum, then applies pending seeds", async () => {
      const { dir, tenant, modified } = await appliedThenModified();
      const before = await readWorkflows(db().knex, tenant);
      const result = await applySeeds(db().knex, { dir, tenant, onChange: "reapply" });
      expect(result.reapplied.map((s) => s.name)).to.deep.equal([seedName(FIRST)]);
      // what this run did: alpha updated in place, beta (not edited) left as it was, as plan says;
      // the record still says created for both (down deletes them)
      expect(result.reapplied[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
        ["fixture.alpha", "updated"],
        ["fixture.beta", "unchanged"],
      ]);
      expect(result.applied.map((s) => s.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
      const after = await readWorkflows(db().knex, tenant);
      expect(after.get("fixture.alpha")?.workflowId).to.equal(before.get("fixture.alpha")?.workflowId);
      // the later seed ran after the re-applied one: its version of alpha wins
      expect(after.get("fixture.alpha")?.description).to.equal("Alpha, second version.");
      const rows = await readSeedRows(db().knex, tenant);
      expect(rows.find((r) => r.name === seedName(FIRST))?.checksum).to.equal(hashCanonicalJson(modified));
      expect(rows.find((r) => r.name === seedName(FIRST))?.workflows.map((w) => w.action)).to.deep.equal([
        "created",
        "created",
      ]);
      const status = await readSeedStatus(db().knex, { dir, tenant });
      expect(status.hasWork).to.equal(false);
    });

    it("reapply without later seeds leaves the workflow exactly as the edited file says", async () => {
      const { dir, tenant } = await appliedThenModified();
      await rm(join(dir, LATER_SEED_FILE));
      await applySeeds(db().knex, { dir, tenant, onChange: "reapply" });
      expect((await readWorkflows(db().knex, tenant)).get("fixture.alpha")?.description).to.equal("Edited in place.");
    });

    it("reapply of an earlier seed keeps the version of a key that a later applied seed shipped; down still works", async () => {
      const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
      const tenant = newTenant();
      await applySeeds(db().knex, { dir, tenant });
      const edited = fixtureBundle([
        { key: "fixture.alpha", description: "Edited in place." },
        { key: "fixture.beta", description: "Beta, edited.", published: true },
      ]);
      await writeSeeds(dir, { [FIRST]: edited });
      await applySeeds(db().knex, { dir, tenant, onChange: "reapply" });
      const workflows = await readWorkflows(db().knex, tenant);
      // beta: only the edited seed has it; alpha: the later seed's version still wins, as on a fresh database
      expect(workflows.get("fixture.beta")?.description).to.equal("Beta, edited.");
      expect(workflows.get("fixture.alpha")?.description).to.equal("Alpha, second version.");
      const fresh = newTenant();
      await applySeeds(db().knex, { dir, tenant: fresh });
      expect(await exportTenantText(db().knex, tenant)).to.equal(await exportTenantText(db().knex, fresh));
      // every seed can still be reverted without --force
      await revertSeeds(db().knex, { tenant, step: 3 });
      expect((await readWorkflows(db().knex, tenant)).size).to.equal(0);
    });

    it("reapply of a seed that no longer ships a key it created: the workflow stays the seeder's", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      await applySeeds(db().knex, { dir, tenant });
      const betaId = (await readWorkflows(db().knex, tenant)).get("fixture.beta")?.workflowId;
      await writeSeeds(dir, { [FIRST]: fixtureBundle([{ key: "fixture.alpha", description: "Alone now." }]) });
      await applySeeds(db().knex, { dir, tenant, onChange: "reapply" });
      expect((await readWorkflows(db().knex, tenant)).get("fixture.beta")?.workflowId).to.equal(betaId);
      // a later seed may still ship beta (no WORKFLOW_KEY_CONFLICT), in place
      await writeSeeds(dir, {
        "2026-02-01T09.20.00.beta-v2.bundle.json": fixtureBundle([{ key: "fixture.beta", description: "Beta 2." }]),
      });
      await applySeeds(db().knex, { dir, tenant });
      expect((await readWorkflows(db().knex, tenant)).get("fixture.beta")).to.include({
        workflowId: betaId,
        description: "Beta 2.",
      });
      // and down removes what the seed created, beta included
      await revertSeeds(db().knex, { tenant, to: FIRST });
      expect((await readWorkflows(db().knex, tenant)).size).to.equal(0);
    });

    it("warn: applies pending seeds, reports SEED_CHECKSUM_MISMATCH as a warning, leaves the modified seed alone", async () => {
      const { dir, tenant, modified } = await appliedThenModified();
      await rm(join(dir, LATER_SEED_FILE));
      await writeSeeds(dir, { "2026-02-01T09.20.00.epsilon.bundle.json": fixtureBundle([{ key: "fixture.epsilon" }]) });
      const result = await applySeeds(db().knex, { dir, tenant, onChange: "warn" });
      expect(result.applied.map((s) => s.name)).to.deep.equal(["2026-02-01T09.20.00.epsilon"]);
      expect(result.reapplied).to.deep.equal([]);
      const warning = result.warnings.find((w) => w.code === "SEED_CHECKSUM_MISMATCH");
      expect(warning?.details).to.deep.equal({
        seeds: [
          {
            name: seedName(FIRST),
            recordedChecksum: hashCanonicalJson(BASIC_SEEDS[FIRST]),
            currentChecksum: hashCanonicalJson(modified),
          },
        ],
      });
      expect((await readWorkflows(db().knex, tenant)).get("fixture.alpha")?.description).to.equal(
        "Fixture workflow fixture.alpha.",
      );
      const status = await readSeedStatus(db().knex, { dir, tenant });
      expect(status.seeds.find((s) => s.name === seedName(FIRST))?.state).to.equal("modified");
    });
  });

  it("a pending seed older than an applied one does not overwrite the later seed's version of a key", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    // merged from a branch: sorts between applied seeds, and ships its own alpha and a new key
    const merged = "2026-02-01T09.07.00.from-a-branch.bundle.json";
    await writeSeeds(dir, {
      [merged]: fixtureBundle([{ key: "fixture.alpha", description: "From a branch." }, { key: "fixture.branch" }]),
    });
    const result = await applySeeds(db().knex, { dir, tenant });
    expect(result.applied.map((s) => s.name)).to.deep.equal([seedName(merged)]);
    const workflows = await readWorkflows(db().knex, tenant);
    expect(workflows.get("fixture.alpha")?.description).to.equal("Alpha, second version.");
    expect(workflows.has("fixture.branch")).to.equal(true);
    // the same state as applying every seed in name order on a fresh tenant
    const fresh = newTenant();
    await applySeeds(db().knex, { dir, tenant: fresh });
    expect(await exportTenantText(db().knex, tenant)).to.equal(await exportTenantText(db().knex, fresh));
  });

  it("re-formatting a seed, reordering its keys or changing its line endings is not drift", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    const fingerprintBefore = await fingerprint(db().knex, tenant);
    const text = await readFile(join(dir, FIRST), "utf8");
    const reordered = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reordered)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reordered(v)]),
            )
          : value;
    await writeFile(join(dir, FIRST), JSON.stringify(reordered(JSON.parse(text)), null, 4).replace(/\n/g, "\r\n"));
    await writeFile(
      join(dir, SECOND),
      `\ufeff${JSON.stringify(JSON.parse(await readFile(join(dir, SECOND), "utf8")))}`,
    );
    expect(await readFile(join(dir, FIRST), "utf8")).to.not.equal(text);

    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => s.state)).to.deep.equal(["applied", "applied"]);
    const result = await applySeeds(db().knex, { dir, tenant });
    expect(result.applied).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
    expect(await fingerprint(db().knex, tenant)).to.deep.equal(fingerprintBefore);
  });

  it("a deleted seed file is reported as missing; up still has nothing to do", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await applySeeds(db().knex, { dir, tenant });
    await rm(join(dir, SECOND));
    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => [s.name, s.state, s.file])).to.deep.equal([
      [seedName(FIRST), "applied", FIRST],
      [seedName(SECOND), "missing", null],
    ]);
    expect(status.seeds[1]?.recordedChecksum).to.equal(hashCanonicalJson(BASIC_SEEDS[SECOND]));
    expect(status.hasWork).to.equal(false);
    const result = await applySeeds(db().knex, { dir, tenant });
    expect(result.applied).to.deep.equal([]);
    // its workflows stay where they are
    expect((await readWorkflows(db().knex, tenant)).has("fixture.gamma")).to.equal(true);
  });

  it("a misnamed .json file is INVALID_SEED_NAME for status, up, plan, baseline and fixtures; nothing is written", async () => {
    const dir = await makeSeedDir({
      ...BASIC_SEEDS,
      "zeta.bundle.json": fixtureBundle([{ key: "fixture.zeta" }]),
      "2026-02-01.no-time.bundle.json": fixtureBundle([{ key: "fixture.eta" }]),
      "2026-02-01T09.30.00.notes.json": "{}",
    });
    const tenant = newTenant();
    const expected = {
      dir,
      files: ["2026-02-01.no-time.bundle.json", "2026-02-01T09.30.00.notes.json", "zeta.bundle.json"],
    };
    const before = await fingerprint(db().knex);
    for (const call of [
      () => readSeedStatus(db().knex, { dir, tenant }),
      () => applySeeds(db().knex, { dir, tenant }),
      () => planSeeds(db().knex, { dir, tenant }),
      () => baselineSeeds(db().knex, { dir, tenant }),
      () => loadWorkflowFixtures({ dir }),
    ]) {
      const error = await rejection(call());
      expect(error.code).to.equal("INVALID_SEED_NAME");
      expect(error.details).to.deep.include(expected);
      expect(error.message).to.include("zeta.bundle.json").and.include("Rename");
    }
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("README*, dot files, folders and non-.json files in the seeds folder are ignored silently", async () => {
    const dir = await makeSeedDir({
      ...BASIC_SEEDS,
      "README.md": "# Seeds",
      "readme.json": "{}",
      ".gitkeep": "",
      ".draft.bundle.json": "{",
      "notes.txt": "not a seed",
      "2026-02-01T09.30.00.later.bundle.json.bak": "{",
    });
    await mkdir(join(dir, "payloads"));
    const tenant = newTenant();
    const status = await readSeedStatus(db().knex, { dir, tenant });
    expect(status.seeds.map((s) => s.name)).to.deep.equal([seedName(FIRST), seedName(SECOND)]);
    const result = await applySeeds(db().knex, { dir, tenant });
    expect(result.applied.map((s) => s.name)).to.deep.equal([seedName(FIRST), seedName(SECOND)]);
    expect(result.warnings).to.deep.equal([]);
  });

  it("an invalid pending seed stops the run before anything is written, naming every bad seed", async () => {
    const broken = fixtureBundle([{ key: "fixture.broken" }]) as unknown as { workflows: Record<string, unknown>[] };
    (broken.workflows[0] as Record<string, unknown>).key = "Not A Valid Key";
    const dir = await makeSeedDir({
      ...BASIC_SEEDS,
      "2026-02-01T09.10.00.bad-schema.bundle.json": JSON.stringify(broken),
      "2026-02-01T09.20.00.bad-json.bundle.json": '{"format": ',
    });
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const error = await rejection(applySeeds(db().knex, { dir, tenant }));
    expect(error.code).to.equal("INVALID_SEED_BUNDLE");
    const named = error.issues.map((i) => (i.code === "INVALID_SEED_BUNDLE" ? i.details.seed : i.code));
    expect(named).to.include("2026-02-01T09.10.00.bad-schema");
    expect(named).to.include("2026-02-01T09.20.00.bad-json");
    const inner = error.issues.map((i) => (i.code === "INVALID_SEED_BUNDLE" ? i.details.issue.code : null));
    expect(inner).to.include("INVALID_JSON");
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  describe("ownership", () => {
    it("a key that exists but no seed created is WORKFLOW_KEY_CONFLICT; the seed and the ones after it are not applied", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      const imported = await importBundle(
        db().knex,
        fixtureBundle([{ key: "fixture.gamma", description: "Hand-made." }]),
        {
          tenant,
        },
      );
      const existingId = imported.createdWorkflows[0]?.workflowId;
      await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
      const error = await rejection(applySeeds(db().knex, { dir, tenant }));
      expect(error.code).to.equal("WORKFLOW_KEY_CONFLICT");
      expect(error.details).to.deep.equal({ key: "fixture.gamma", existingWorkflowId: existingId, tenant });
      // the first seed is applied (its own transaction), the conflicting one and the later one are not
      expect((await readSeedRows(db().knex, tenant)).map((r) => r.name)).to.deep.equal([seedName(FIRST)]);
      const workflows = await readWorkflows(db().knex, tenant);
      expect(workflows.get("fixture.gamma")?.description).to.equal("Hand-made.");
      expect(workflows.has("fixture.delta")).to.equal(false);
    });

    it("--on-conflict update adopts the existing key in place; later seeds may then update it", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      const imported = await importBundle(
        db().knex,
        fixtureBundle([{ key: "fixture.alpha", description: "Hand-made." }]),
        {
          tenant,
        },
      );
      const existingId = imported.createdWorkflows[0]?.workflowId;
      const result = await applySeeds(db().knex, { dir, tenant, onConflict: "update" });
      expect(result.applied[0]?.workflows.find((w) => w.key === "fixture.alpha")).to.deep.equal({
        key: "fixture.alpha",
        workflowId: existingId,
        action: "updated",
      });
      await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
      await applySeeds(db().knex, { dir, tenant });
      const alpha = (await readWorkflows(db().knex, tenant)).get("fixture.alpha");
      expect(alpha).to.include({ workflowId: existingId, description: "Alpha, second version." });
    });

    it("--on-conflict skip leaves the existing workflow untouched and records the key as skipped", async () => {
      const dir = await makeSeedDir();
      const tenant = newTenant();
      await importBundle(db().knex, fixtureBundle([{ key: "fixture.alpha", description: "Hand-made." }]), { tenant });
      await applySeeds(db().knex, { dir, tenant, onConflict: "skip" });
      expect((await readWorkflows(db().knex, tenant)).get("fixture.alpha")?.description).to.equal("Hand-made.");
      const first = (await readSeedRows(db().knex, tenant))[0];
      expect(first?.workflows.find((w) => w.key === "fixture.alpha")?.action).to.equal("skipped");
      // a skipped key is not the seeder's: a later seed still conflicts on it
      await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
      const error = await rejection(applySeeds(db().knex, { dir, tenant }));
      expect(error.code).to.equal("WORKFLOW_KEY_CONFLICT");
    });
  });

  it("tracks each tenant on its own", async () => {
    const dir = await makeSeedDir();
    const [a, b] = [newTenant(), newTenant()];
    await applySeeds(db().knex, { dir, tenant: a });
    const statusB = await readSeedStatus(db().knex, { dir, tenant: b });
    expect(statusB.seeds.map((s) => s.state)).to.deep.equal(["pending", "pending"]);
    await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
    const resultB = await applySeeds(db().knex, { dir, tenant: b });
    expect(resultB.applied).to.have.length(3);
    const resultA = await applySeeds(db().knex, { dir, tenant: a });
    expect(resultA.applied.map((s) => s.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
    const [wa, wb] = [await readWorkflows(db().knex, a), await readWorkflows(db().knex, b)];
    expect([...wa.keys()]).to.deep.equal([...wb.keys()]);
    expect(wa.get("fixture.alpha")?.workflowId).to.not.equal(wb.get("fixture.alpha")?.workflowId);
  });

  it("to: applies up to the named seed (name, file name or version prefix); an unknown one is SEED_NOT_FOUND", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: LATER_SEED });
    const tenant = newTenant();
    const error = await rejection(applySeeds(db().knex, { dir, tenant, to: "2027-01-01T00.00.00.nope" }));
    expect(error.code).to.equal("SEED_NOT_FOUND");
    expect(await readSeedRows(db().knex, tenant)).to.deep.equal([]);
    const first = await applySeeds(db().knex, { dir, tenant, to: "2026-02-01T09.00.00" });
    expect(first.applied.map((s) => s.name)).to.deep.equal([seedName(FIRST)]);
    const second = await applySeeds(db().knex, { dir, tenant, to: SECOND });
    expect(second.applied.map((s) => s.name)).to.deep.equal([seedName(SECOND)]);
    const rest = await applySeeds(db().knex, { dir, tenant });
    expect(rest.applied.map((s) => s.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
  });
});
