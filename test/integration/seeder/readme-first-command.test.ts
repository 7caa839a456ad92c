/**
 * The README's first command, `npm run seed:workflows` (= `workflow-seeder up`), in a fresh
 * directory holding a copy of the project's own seeds: no DATABASE_URL, no knexfile, so the
 * embedded database is created in that directory.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { expect } from "chai";
import {
  BASIC_SEEDS,
  fixtureBundle,
  makeTempDir,
  removeTempDirs,
  seedName,
  writeSeeds,
} from "../../fixtures/seed-kit.js";
import { onlyTenantOf, runCli } from "../../support/cli.js";

const PROJECT_SEEDS = resolve("seeds", "workflows");

describe("seeder: the README's first command on the embedded database", function () {
  this.timeout(180_000);
  after(removeTempDirs);

  it("the project's seeds pass validate and fmt --check", async () => {
    const files = (await readdir(PROJECT_SEEDS)).map((f) => join(PROJECT_SEEDS, f));
    expect(files.length).to.be.above(0);
    const validate = await runCli(["validate", ...files]);
    expect(validate.code, validate.stdout + validate.stderr).to.equal(0);
    const fmt = await runCli(["fmt", "--check", ...files]);
    expect(fmt.code, fmt.stdout + fmt.stderr).to.equal(0);
  });

  it("up applies the project's seeds; a second run says there is nothing to do; status is clean", async () => {
    const cwd = await makeTempDir("wfs-readme-");
    await cp(PROJECT_SEEDS, join(cwd, "seeds", "workflows"), { recursive: true });
    const seeds = (await readdir(PROJECT_SEEDS)).map((f) => f.replace(/\.bundle\.json$/, ""));

    const first = await runCli(["up"], { cwd });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.include(`applied ${seeds.length} seeds`);
    for (const seed of seeds) expect(first.stdout).to.include(seed);
    expect(first.stdout.match(/^\s+created\s+\S+$/gm)?.length).to.be.at.least(seeds.length);
    // The first run's note is a message (stderr), not part of the result (stdout).
    expect(first.stderr).to.include("creating the embedded database").and.not.include("applied");
    expect(first.stdout).to.not.include("creating the embedded database");
    expect(existsSync(join(cwd, ".workflow-seeder", "pglite"))).to.equal(true);

    const second = await runCli(["up"], { cwd });
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.include("nothing to do");
    expect(second.stdout).to.not.include("created");
    expect(second.stderr).to.equal("");

    const status = await runCli(["status", "--detailed-exitcode", "--json"], { cwd });
    expect(status.code, status.stderr).to.equal(0);
    const parsed = onlyTenantOf<{ seeds: { name: string; state: string }[] }>(status);
    expect(parsed.seeds.map((s) => [s.name, s.state])).to.deep.equal(seeds.map((s) => [s, "applied"]));
  });
});

describe("seeder CLI on the embedded default database (temp cwd, no DATABASE_URL)", function () {
  this.timeout(180_000);
  after(removeTempDirs);

  it("drift is refused, down reverts, status reports pending: state persists between processes", async () => {
    const [first, second] = Object.keys(BASIC_SEEDS) as [string, string];
    const cwd = await makeTempDir("wfs-embedded-");
    const dir = join(cwd, "seeds", "workflows");
    await mkdir(dir, { recursive: true });
    await writeSeeds(dir, BASIC_SEEDS);
    const up = await runCli(["up"], { cwd });
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.include("applied 2 seeds");

    await writeSeeds(dir, { [second]: fixtureBundle([{ key: "fixture.gamma", description: "Edited." }]) });
    const refused = await runCli(["up", "--json"], { cwd });
    expect(refused.code).to.equal(1);
    const error = (JSON.parse(refused.stdout) as { error: { code: string; details: { seeds: { name: string }[] } } })
      .error;
    expect(error.code).to.equal("SEED_CHECKSUM_MISMATCH");
    expect(error.details.seeds.map((s) => s.name)).to.deep.equal([seedName(second)]);

    const down = await runCli(["down", "--step", "2"], { cwd });
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.include("reverted 2 seeds");
    const status = await runCli(["status", "--detailed-exitcode"], { cwd });
    expect(status.code, status.stderr).to.equal(2);
    expect(status.stdout).to.match(new RegExp(`pending\\s+${seedName(first).replace(/\./g, "\\.")}`));
  });
});
