/**
 * The seeder's commands as a user runs them: the built CLI in a real process against a fresh
 * PostgreSQL database (--database-url), exit codes, the result on stdout (messages on stderr) for
 * people and --json for machines.
 */
import { readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { expect } from "chai";
import { hashCanonicalJson, importBundle } from "../../../src/index.js";
import {
  BASIC_SEEDS,
  fixtureBundle,
  LATER_SEED,
  LATER_SEED_FILE,
  listFiles,
  makeSeedDir,
  newTenant,
  removeTempDirs,
  seedName,
  writeSeeds,
} from "../../fixtures/seed-kit.js";
import { type CliResult, jsonErrorOf, onlyTenantOf, parseJsonOutput, runCli } from "../../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../../support/databases.js";
import { readSeedRows, readWorkflows } from "./tenant-rows.js";

const [FIRST, SECOND] = Object.keys(BASIC_SEEDS) as [string, string];

/** Asserts the exit code, showing what the process printed when it differs. */
function expectExit(result: CliResult, code: number): void {
  expect(result.code, `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).to.equal(code);
}

function errorOf(result: CliResult): { code: string; details: Record<string, unknown> } {
  return (parseJsonOutput(result) as { error: { code: string; details: Record<string, unknown> } }).error;
}

describe("seeder CLI on PostgreSQL", function () {
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

  /** `workflow-seeder <command> --dir <dir> --tenant <tenant> --database-url <url> ...args` */
  function seeder(command: string, dir: string, tenant: string, ...args: string[]): Promise<CliResult> {
    return runCli([command, "--dir", dir, "--tenant", tenant, "--database-url", db().url as string, ...args]);
  }

  it("up applies pending seeds; a re-run says there is nothing to do", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const first = await seeder("up", dir, tenant);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.include(`applied 2 seeds`);
    expect(first.stdout).to.match(/created\s+fixture\.alpha/);
    expect(first.stderr).to.equal("");
    const again = await seeder("up", dir, tenant);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include("nothing to do");
    expect(again.stderr).to.equal("");

    await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
    const later = await seeder("up", dir, tenant, "--json");
    expect(later.code, later.stderr).to.equal(0);
    const result = onlyTenantOf<{ applied: { name: string; workflows: { key: string; action: string }[] }[] }>(later);
    expect(result.applied.map((s) => s.name)).to.deep.equal([seedName(LATER_SEED_FILE)]);
    expect(result.applied[0]?.workflows.map((w) => [w.key, w.action])).to.deep.equal([
      ["fixture.delta", "created"],
      ["fixture.alpha", "updated"],
    ]);
  });

  it("status --detailed-exitcode: 2 pending, 0 clean, 2 modified, 1 on error", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const pending = await seeder("status", dir, tenant, "--detailed-exitcode");
    expect(pending.code, pending.stderr).to.equal(2);
    expect(pending.stdout).to.match(new RegExp(`pending\\s+${seedName(FIRST).replace(/\./g, "\\.")}`));
    // without the flag, pending seeds are not an error
    expectExit(await seeder("status", dir, tenant), 0);

    await seeder("up", dir, tenant);
    const clean = await seeder("status", dir, tenant, "--detailed-exitcode");
    expect(clean.code, clean.stderr).to.equal(0);

    const edited = fixtureBundle([{ key: "fixture.gamma", description: "Edited." }]);
    await writeSeeds(dir, { [SECOND]: edited });
    const modified = await seeder("status", dir, tenant, "--detailed-exitcode");
    expect(modified.code, modified.stderr).to.equal(2);
    expect(modified.stdout).to.include(SECOND);
    expect(modified.stdout).to.include(hashCanonicalJson(BASIC_SEEDS[SECOND]));
    expect(modified.stdout).to.include(hashCanonicalJson(edited));
    const status = onlyTenantOf<{ seeds: { name: string; state: string }[]; hasWork: boolean }>(
      await seeder("status", dir, tenant, "--json"),
    );
    expect(status.seeds.map((s) => s.state)).to.deep.equal(["applied", "modified"]);
    expect(status.hasWork).to.equal(true);

    await writeSeeds(dir, { [SECOND]: "{ not json" });
    const broken = await seeder("status", dir, tenant, "--detailed-exitcode");
    expect(broken.code, broken.stderr).to.equal(1);
    expect(broken.stderr).to.include("[INVALID_SEED_BUNDLE]");
    expect(broken.stdout).to.equal("");
  });

  it("a modified seed: up fails with SEED_CHECKSUM_MISMATCH and applies nothing; reapply and warn", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await seeder("up", dir, tenant);
    const edited = fixtureBundle([{ key: "fixture.gamma", description: "Edited." }]);
    await writeSeeds(dir, { [SECOND]: edited, [LATER_SEED_FILE]: LATER_SEED });
    const before = await fingerprint(db().knex, tenant);

    const refused = await seeder("up", dir, tenant, "--json");
    expectExit(refused, 1);
    expect(errorOf(refused)).to.deep.include({
      code: "SEED_CHECKSUM_MISMATCH",
      details: {
        seeds: [
          {
            name: seedName(SECOND),
            recordedChecksum: hashCanonicalJson(BASIC_SEEDS[SECOND]),
            currentChecksum: hashCanonicalJson(edited),
          },
        ],
      },
    });
    const human = await seeder("up", dir, tenant);
    expectExit(human, 1);
    expect(human.stderr).to.include("[SEED_CHECKSUM_MISMATCH]");
    expect(human.stderr).to.include(seedName(SECOND));
    expect(human.stdout).to.equal("");
    expect(await fingerprint(db().knex, tenant)).to.deep.equal(before);

    const warned = await seeder("up", dir, tenant, "--on-change", "warn");
    expect(warned.code, warned.stderr).to.equal(0);
    // The warning on stderr, what up did on stdout.
    expect(warned.stderr).to.include("warning [SEED_CHECKSUM_MISMATCH]");
    expect(warned.stdout)
      .to.match(/created\s+fixture\.delta/)
      .and.not.include("SEED_CHECKSUM_MISMATCH");
    expect((await readWorkflows(db().knex, tenant)).get("fixture.gamma")?.description).to.not.equal("Edited.");
    expect((await readWorkflows(db().knex, tenant)).has("fixture.delta")).to.equal(true);

    const reapplied = await seeder("up", dir, tenant, "--on-change", "reapply");
    expect(reapplied.code, reapplied.stderr).to.equal(0);
    expect(reapplied.stdout).to.include("(re-applied)");
    expect(reapplied.stdout).to.match(/updated\s+fixture\.gamma/);
    expect((await readWorkflows(db().knex, tenant)).get("fixture.gamma")?.description).to.equal("Edited.");
    expectExit(await seeder("status", dir, tenant, "--detailed-exitcode"), 0);
  });

  it("--json has one shape whatever the number of tenants: {tenants: [one result per tenant]}", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const other = newTenant();
    for (const [command, ...rest] of [["plan"], ["up"], ["status"], ["down"], ["baseline", "--force"]] as [
      string,
      ...string[],
    ][]) {
      const one = await seeder(command, dir, tenant, ...rest, "--json");
      expectExit(one, 0);
      const body = parseJsonOutput(one) as { tenants: { tenant: string }[] };
      expect(Object.keys(body), command).to.deep.equal(["tenants"]);
      expect(body.tenants.map((t) => t.tenant)).to.deep.equal([tenant]);
      const two = await seeder(command, dir, tenant, "--tenant", other, ...rest, "--json");
      expectExit(two, 0);
      const both = parseJsonOutput(two) as { tenants: { tenant: string }[] };
      expect(Object.keys(both), command).to.deep.equal(["tenants"]);
      expect(both.tenants.map((t) => t.tenant)).to.deep.equal([tenant, other]);
    }
  });

  it("status reports missing seed files", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await seeder("up", dir, tenant);
    await rm(join(dir, SECOND));
    const status = await seeder("status", dir, tenant, "--detailed-exitcode");
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.match(new RegExp(`missing\\s+${seedName(SECOND).replace(/\./g, "\\.")}`));
  });

  it("a misnamed file is an error (exit 1, INVALID_SEED_NAME) for every command reading the folder", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await writeSeeds(dir, { "hello.bundle.json": fixtureBundle([{ key: "fixture.hello" }]) });
    const before = await fingerprint(db().knex);
    for (const args of [["status", "--detailed-exitcode"], ["up"], ["plan"], ["baseline"], ["up", "--dry-run"]]) {
      const [command, ...rest] = args as [string, ...string[]];
      const human = await seeder(command, dir, tenant, ...rest);
      expectExit(human, 1);
      expect(human.stderr).to.include("INVALID_SEED_NAME").and.include("hello.bundle.json");
      const json = await seeder(command, dir, tenant, ...rest, "--json");
      expectExit(json, 1);
      expect(errorOf(json)).to.deep.include({
        code: "INVALID_SEED_NAME",
        details: { dir, files: ["hello.bundle.json"], pattern: "<YYYY-MM-DDTHH.MM.SS>.<name>.bundle.json" },
      });
    }
    for (const args of [
      ["new", "next"],
      ["export", "--all", "--seed", "capture"],
    ]) {
      const result = await runCli([...args, "--dir", dir, "--tenant", tenant, "--database-url", db().url as string]);
      expectExit(result, 1);
      expect(result.stderr).to.include("INVALID_SEED_NAME");
    }
    expect(await fingerprint(db().knex)).to.deep.equal(before);
    expect((await listFiles(dir)).sort()).to.deep.equal([FIRST, SECOND, "hello.bundle.json"].sort());
  });

  it("an invalid pending seed: exit 1 with INVALID_SEED_BUNDLE, nothing applied at all", async () => {
    const dir = await makeSeedDir({ ...BASIC_SEEDS, [LATER_SEED_FILE]: '{"format": "alga-psa.workflow-bundle"}' });
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const result = await seeder("up", dir, tenant, "--json");
    expectExit(result, 1);
    const error = errorOf(result);
    expect(error.code).to.equal("INVALID_SEED_BUNDLE");
    expect(error.details.seed).to.equal(seedName(LATER_SEED_FILE));
    expect(await fingerprint(db().knex)).to.deep.equal(before);
  });

  it("plan and up --dry-run write nothing: one line per workflow (create, update, conflict), diffs with --diff", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const before = await fingerprint(db().knex);
    const fresh = await seeder("plan", dir, tenant);
    expect(fresh.code, fresh.stderr).to.equal(0);
    expect(fresh.stdout).to.include("2 seeds to apply");
    expect(fresh.stdout).to.match(/create\s+fixture\.gamma/);
    expect(fresh.stdout).to.not.include("+++");
    expect(fresh.stderr).to.equal("");
    expect(await fingerprint(db().knex)).to.deep.equal(before);

    await seeder("up", dir, tenant);
    await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
    const afterUp = await fingerprint(db().knex);
    const summary = await seeder("up", dir, tenant, "--dry-run");
    expect(summary.code, summary.stderr).to.equal(0);
    const lines = summary.stdout.trimEnd().split("\n");
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 2))).to.deep.equal([
      [seedName(LATER_SEED_FILE)],
      ["update", "fixture.alpha"],
      ["create", "fixture.delta"],
    ]);
    expect(
      onlyTenantOf<{ seeds: { workflows: { diff: unknown }[] }[] }>(
        await seeder("plan", dir, tenant, "--json"),
      ).seeds[0]?.workflows.map((w) => w.diff),
    ).to.deep.equal([null, null]);
    const dryRun = await seeder("up", dir, tenant, "--dry-run", "--diff");
    expect(dryRun.code, dryRun.stderr).to.equal(0);
    expect(dryRun.stdout).to.match(/update\s+fixture\.alpha/);
    expect(dryRun.stdout).to.match(/-\s.*Fixture workflow fixture\.alpha\./);
    expect(dryRun.stdout).to.match(/\+\s.*Alpha, second version\./);
    expect(dryRun.stdout).to.match(/create\s+fixture\.delta/);
    expect((await seeder("plan", dir, tenant, "--diff")).stdout).to.equal(dryRun.stdout);
    expect(await fingerprint(db().knex)).to.deep.equal(afterUp);
    expectExit(await seeder("up", dir, tenant, "--diff"), 2);

    const other = newTenant();
    await importBundle(db().knex, fixtureBundle([{ key: "fixture.beta" }]), { tenant: other });
    const beforeConflict = await fingerprint(db().knex);
    const conflict = await seeder("plan", dir, other, "--json");
    expectExit(conflict, 1);
    const plan = onlyTenantOf<{ seeds: { outcome: string; workflows: { key: string; action: string }[] }[] }>(conflict);
    expect(plan.seeds.map((s) => s.outcome)).to.deep.equal(["conflict", "not-run", "not-run"]);
    expect(plan.seeds[0]?.workflows.find((w) => w.key === "fixture.beta")?.action).to.equal("conflict");
    expect(await fingerprint(db().knex)).to.deep.equal(beforeConflict);
  });

  it("plan shows an edited applied seed: what changed, and that up refuses (exit 1) unless --on-change", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await seeder("up", dir, tenant);
    await writeSeeds(dir, { [SECOND]: fixtureBundle([{ key: "fixture.gamma", description: "Gamma, edited." }]) });
    const refused = await seeder("plan", dir, tenant, "--diff");
    expectExit(refused, 1);
    // The plan on stdout, the warning up would print on stderr.
    expect(refused.stdout).to.include(`${seedName(SECOND)}  (edited after it was applied: up refuses to run`);
    expect(refused.stdout).to.match(/update\s+fixture\.gamma/);
    expect(refused.stdout).to.match(/\+\s.*Gamma, edited\./);
    expect(refused.stdout).to.not.include("SEED_CHECKSUM_MISMATCH");
    expect(refused.stderr).to.include("warning [SEED_CHECKSUM_MISMATCH]");
    expect(refused.stderr).to.not.include("fixture.gamma");
    const warned = await seeder("plan", dir, tenant, "--on-change", "warn");
    expectExit(warned, 0);
    expect(warned.stdout).to.include("edited after it was applied: left as it is");
  });

  it("ownership: a key no seed created is WORKFLOW_KEY_CONFLICT unless --on-conflict", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    const existing = await importBundle(db().knex, fixtureBundle([{ key: "fixture.alpha", description: "Mine." }]), {
      tenant,
    });
    const refused = await seeder("up", dir, tenant, "--json");
    expectExit(refused, 1);
    expect(errorOf(refused)).to.deep.include({
      code: "WORKFLOW_KEY_CONFLICT",
      details: { key: "fixture.alpha", existingWorkflowId: existing.createdWorkflows[0]?.workflowId, tenant },
    });
    expect(await readSeedRows(db().knex, tenant)).to.deep.equal([]);
    const updated = await seeder("up", dir, tenant, "--on-conflict", "update");
    expect(updated.code, updated.stderr).to.equal(0);
    expect((await readWorkflows(db().knex, tenant)).get("fixture.alpha")?.workflowId).to.equal(
      existing.createdWorkflows[0]?.workflowId,
    );
  });

  it("down reverts the latest seed; a workflow changed after seeding blocks it unless --force", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await seeder("up", dir, tenant);
    await db().knex.raw("update workflow_definitions set description = 'hand edit' where tenant = ? and key = ?", [
      tenant,
      "fixture.gamma",
    ]);
    const blocked = await seeder("down", dir, tenant, "--json");
    expectExit(blocked, 1);
    expect(errorOf(blocked)).to.deep.equal({
      ...errorOf(blocked),
      code: "SEED_REVERT_BLOCKED",
      details: { seed: seedName(SECOND), changedWorkflows: ["fixture.gamma"] },
    });
    expect((await readSeedRows(db().knex, tenant)).map((r) => r.name)).to.have.length(2);
    const forced = await seeder("down", dir, tenant, "--force");
    expect(forced.code, forced.stderr).to.equal(0);
    expect(forced.stdout).to.match(/reverted 1 seed\n[\s\S]*deleted\s+fixture\.gamma/);
    const rest = await seeder("down", dir, tenant, "--step", "1");
    expect(rest.code, rest.stderr).to.equal(0);
    expect((await readWorkflows(db().knex, tenant)).size).to.equal(0);
    expectExit(await seeder("status", dir, tenant, "--detailed-exitcode"), 2);
    const usage = await seeder("down", dir, tenant, "--step", "1", "--to", FIRST);
    expectExit(usage, 2);
  });

  it("baseline records seeds as applied without running them", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await importBundle(db().knex, BASIC_SEEDS[FIRST], { tenant });
    await importBundle(db().knex, BASIC_SEEDS[SECOND], { tenant });
    const workflowsBefore = await readWorkflows(db().knex, tenant);
    const result = await seeder("baseline", dir, tenant);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include("recorded 2 seeds as applied");
    expect(await readWorkflows(db().knex, tenant)).to.deep.equal(workflowsBefore);
    const status = await seeder("status", dir, tenant, "--detailed-exitcode");
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.include("[baseline]");
    expect((await seeder("up", dir, tenant)).stdout).to.include("nothing to do");
  });

  it("baseline refuses seeds whose workflows are missing or different (exit 1, SEED_BASELINE_MISMATCH) unless --force", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    await importBundle(db().knex, BASIC_SEEDS[FIRST], { tenant });
    const refused = await seeder("baseline", dir, tenant);
    expectExit(refused, 1);
    expect(refused.stderr).to.include("SEED_BASELINE_MISMATCH").and.include("missing fixture.gamma");
    const json = await seeder("baseline", dir, tenant, "--json");
    expectExit(json, 1);
    expect(errorOf(json)).to.deep.include({
      code: "SEED_BASELINE_MISMATCH",
      details: { tenant, seeds: [{ seed: seedName(SECOND), missingKeys: ["fixture.gamma"], differentKeys: [] }] },
    });
    expect(await readSeedRows(db().knex, tenant)).to.deep.equal([]);
    const forced = await seeder("baseline", dir, tenant, "--force");
    expectExit(forced, 0);
    expect(forced.stdout).to.include("recorded 2 seeds").and.not.include("missing fixture.gamma");
    expect(forced.stderr).to.include(
      `warning [SEED_BASELINE_MISMATCH] ${seedName(SECOND)}: recorded with --force, missing fixture.gamma`,
    );
  });

  it("new creates a seed with the next version prefix that passes validate and fmt --check", async () => {
    const dir = await makeSeedDir();
    const result = await runCli(["new", "Ticket Closed: say bye", "--dir", dir, "--json"]);
    expect(result.code, result.stderr).to.equal(0);
    const created = parseJsonOutput(result) as { name: string; file: string };
    expect(created.name).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.ticket-closed-say-bye$/);
    expect(created.name > seedName(SECOND)).to.equal(true);
    expect((await listFiles(dir)).at(-1)).to.equal(`${created.name}.bundle.json`);
    const validate = await runCli(["validate", created.file]);
    expect(validate.code, validate.stderr + validate.stdout).to.equal(0);
    const fmt = await runCli(["fmt", "--check", created.file]);
    expect(fmt.code, fmt.stderr + fmt.stdout).to.equal(0);
    const tenant = newTenant();
    const up = await seeder("up", dir, tenant, "--json");
    expect(up.code, up.stderr).to.equal(0);
    expect(onlyTenantOf<{ applied: { name: string }[] }>(up).applied.at(-1)?.name).to.equal(created.name);

    // For people: the created file on stdout, what to do next on stderr.
    const human = await runCli(["new", "second one", "--dir", dir]);
    expectExit(human, 0);
    const file = /^created (\S+)\n$/.exec(human.stdout)?.[1] as string;
    expect(file, human.stdout).to.match(/\.second-one\.bundle\.json$/);
    expect((await listFiles(dir)).at(-1)).to.equal(basename(file));
    expect(human.stderr).to.equal(`Edit it, then check it with: workflow-seeder validate ${file}\n`);
  });

  it("new keeps an accented letter as its base letter; a name with no ASCII letter or digit says so", async () => {
    const dir = await makeSeedDir();
    const accented = await runCli(["new", "Café Crème — Übersicht", "--dir", dir, "--json"]);
    expect(accented.code, accented.stderr).to.equal(0);
    expect((parseJsonOutput(accented) as { name: string }).name).to.match(/\.cafe-creme-ubersicht$/);

    const none = await runCli(["new", "日本語", "--dir", dir, "--json"]);
    const error = jsonErrorOf(none, "INVALID_ARGUMENT", 2);
    expect(error.details).to.include({ option: "name", received: "日本語" });
    expect(error.message).to.include("ASCII");
  });

  it("export --seed: status is clean in the source and pending in a fresh database, where up applies it", async () => {
    const dir = await makeSeedDir();
    const source = newTenant();
    await seeder("up", dir, source);
    await importBundle(db().knex, fixtureBundle([{ key: "live.one", published: true }]), { tenant: source });
    const exported = await runCli([
      "export",
      "--key",
      "live.one",
      "--seed",
      "live one",
      "--dir",
      dir,
      "--tenant",
      source,
      "--database-url",
      db().url as string,
      "--json",
    ]);
    expect(exported.code, exported.stderr).to.equal(0);
    const written = parseJsonOutput(exported) as { name: string; file: string; workflows: string[] };
    expect(written.workflows).to.deep.equal(["live.one"]);
    expect(written.name).to.match(/\.live-one$/);
    expect(await listFiles(dir)).to.include(`${written.name}.bundle.json`);
    const text = await readFile(written.file, "utf8");
    const fmt = await runCli(["fmt", "--check", written.file]);
    expect(fmt.code, fmt.stdout + fmt.stderr).to.equal(0);
    expect(JSON.parse(text).workflows).to.have.length(1);

    const sourceStatus = await seeder("status", dir, source, "--detailed-exitcode");
    expect(sourceStatus.code, sourceStatus.stderr).to.equal(0);

    const fresh = await createPostgresDatabase();
    try {
      const args = ["--dir", dir, "--tenant", source, "--database-url", fresh.url as string];
      const pending = await runCli(["status", ...args, "--detailed-exitcode", "--json"]);
      expect(pending.code, pending.stderr).to.equal(2);
      expect(onlyTenantOf<{ seeds: { state: string }[] }>(pending).seeds.map((s) => s.state)).to.deep.equal([
        "pending",
        "pending",
        "pending",
      ]);
      const up = await runCli(["up", ...args]);
      expect(up.code, up.stderr).to.equal(0);
      expect([...(await readWorkflows(fresh.knex, source)).keys()]).to.deep.equal([
        ...(await readWorkflows(db().knex, source)).keys(),
      ]);
      const clean = await runCli(["status", ...args, "--detailed-exitcode"]);
      expect(clean.code, clean.stderr).to.equal(0);
    } finally {
      await fresh.close();
    }
  });

  it("plan and up agree on a seed that ships a workflow as it already is: unchanged, nothing written, updated_at kept", async () => {
    const dir = await makeSeedDir();
    const tenant = newTenant();
    expectExit(await seeder("up", dir, tenant), 0);
    const updatedAt = async () =>
      (
        await db()
          .knex("workflow_definitions")
          .where({ tenant })
          .orderBy("key")
          .select("key", db().knex.raw("updated_at::text as updated_at"))
      ).map((r: { key: string; updated_at: string }) => `${r.key} ${r.updated_at}`);
    const before = await updatedAt();
    // The same alpha as the first seed (another exportedAt), and a real change to gamma.
    const again = { ...fixtureBundle([{ key: "fixture.alpha" }]), exportedAt: "2030-01-01T00:00:00.000Z" };
    const changed = fixtureBundle([{ key: "fixture.gamma", description: "Gamma, changed." }]);
    await writeSeeds(dir, {
      "2026-02-01T09.20.00.same-alpha.bundle.json": again,
      "2026-02-01T09.30.00.new-gamma.bundle.json": changed,
    });
    const plan = onlyTenantOf<{ seeds: { workflows: { key: string; action: string }[] }[] }>(
      await seeder("plan", dir, tenant, "--json"),
    );
    const planned = plan.seeds.flatMap((s) => s.workflows.map((w) => [w.key, w.action]));
    expect(planned).to.deep.equal([
      ["fixture.alpha", "unchanged"],
      ["fixture.gamma", "update"],
    ]);
    const up = onlyTenantOf<{ applied: { workflows: { key: string; action: string }[] }[] }>(
      await seeder("up", dir, tenant, "--json"),
    );
    const done = up.applied.flatMap((s) => s.workflows.map((w) => [w.key, w.action]));
    expect(done).to.deep.equal([
      ["fixture.alpha", "unchanged"],
      ["fixture.gamma", "updated"],
    ]);
    const after = await updatedAt();
    expect(after.find((r) => r.startsWith("fixture.alpha "))).to.equal(
      before.find((r) => r.startsWith("fixture.alpha ")),
    );
    expect(after.find((r) => r.startsWith("fixture.gamma "))).to.not.equal(
      before.find((r) => r.startsWith("fixture.gamma ")),
    );
    // The unchanged key is still the seed's: status is clean, and down reverts both seeds.
    expectExit(await seeder("status", dir, tenant, "--detailed-exitcode"), 0);
    expectExit(await seeder("down", dir, tenant, "--step", "2"), 0);
    expect((await readWorkflows(db().knex, tenant)).get("fixture.gamma")).to.not.equal(undefined);
  });

  it("export --seed --exported-at writes the given exportedAt into the seed, as export --out does", async () => {
    const dir = await makeSeedDir();
    const source = newTenant();
    await importBundle(db().knex, fixtureBundle([{ key: "pinned.one" }]), { tenant: source });
    const exportedAt = "2020-01-02T03:04:05.000Z";
    const exported = await runCli([
      "export",
      "--key",
      "pinned.one",
      "--seed",
      "pinned",
      "--exported-at",
      exportedAt,
      "--dir",
      dir,
      "--tenant",
      source,
      "--database-url",
      db().url as string,
      "--json",
    ]);
    expect(exported.code, exported.stderr).to.equal(0);
    const { file } = parseJsonOutput(exported) as { file: string };
    expect(JSON.parse(await readFile(file, "utf8")).exportedAt).to.equal(exportedAt);
    // The record's checksum is the file's: the seed is applied, not modified.
    const status = onlyTenantOf<{ seeds: { name: string; state: string }[] }>(
      await seeder("status", dir, source, "--json"),
    );
    expect(status.seeds.find((s) => file.endsWith(`${s.name}.bundle.json`))?.state).to.equal("applied");
  });

  it("tenants are tracked independently; --all-tenants and repeated --tenant act on several", async () => {
    // its own database: --all-tenants sees every tenant of it
    const own = await createPostgresDatabase();
    try {
      const dir = await makeSeedDir();
      const [a, b, c] = [newTenant(), newTenant(), newTenant()];
      const url = own.url as string;
      const run = (...args: string[]) => runCli([...args, "--dir", dir, "--database-url", url]);
      const applyA = await run("up", "--tenant", a);
      expect(applyA.code, applyA.stderr).to.equal(0);
      expectExit(await run("status", "--tenant", b, "--detailed-exitcode"), 2);
      expectExit(await run("status", "--tenant", a, "--detailed-exitcode"), 0);

      await writeSeeds(dir, { [LATER_SEED_FILE]: LATER_SEED });
      const both = await run("up", "--tenant", a, "--tenant", b, "--json");
      expect(both.code, both.stderr).to.equal(0);
      const results = (parseJsonOutput(both) as { tenants: { tenant: string; applied: { name: string }[] }[] }).tenants;
      expect(results.map((r) => [r.tenant, r.applied.length])).to.deep.equal([
        [a, 1],
        [b, 3],
      ]);

      // every tenant that has workflows or seed records: a, b, and c (hand-made workflows only)
      await importBundle(own.knex, fixtureBundle([{ key: "other.workflow" }]), { tenant: c });
      const all = await run("status", "--all-tenants", "--json");
      expect(all.code, all.stderr).to.equal(0);
      const statuses = (parseJsonOutput(all) as { tenants: { tenant: string; hasWork: boolean }[] }).tenants;
      expect(statuses.map((s) => [s.tenant, s.hasWork])).to.have.deep.members([
        [a, false],
        [b, false],
        [c, true],
      ]);
      expectExit(await run("status", "--all-tenants", "--detailed-exitcode"), 2);
      const upAll = await run("up", "--all-tenants");
      expect(upAll.code, upAll.stderr).to.equal(0);
      expect([...(await readWorkflows(own.knex, c)).keys()]).to.deep.equal([
        "fixture.alpha",
        "fixture.beta",
        "fixture.delta",
        "fixture.gamma",
        "other.workflow",
      ]);
      expectExit(await run("status", "--all-tenants", "--detailed-exitcode"), 0);
    } finally {
      await own.close();
    }
  });
});
