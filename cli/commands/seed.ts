import { resolve } from "node:path";
import type { Knex } from "knex";
import type { SeederOptions, SeedProgress } from "../../src/seeder/seeder-options.js";
import {
  type CommandModule,
  EXIT_FAILURE,
  EXIT_OK,
  type GlobalArgs,
  invalidArgument,
  loadCatalog,
  plural,
  printJson,
  say,
  UsageError,
  wire,
  withDatabase,
} from "../context.js";

/** Exit code of `status --detailed-exitcode` when there is something to apply. */
const EXIT_PENDING = 2;

interface SeedArgs extends GlobalArgs {
  dir: string;
  allTenants?: boolean;
  onConflict?: string;
  actor?: string;
}

async function tenantsOf(args: SeedArgs, knex: Knex): Promise<string[]> {
  const { DEFAULT_DEV_TENANT, assertTenant } = await import("../../src/db/tenant.js");
  const given = ([] as string[]).concat((args.tenant as string | string[] | undefined) ?? []);
  for (const t of given) assertTenant(t);
  if (args.allTenants) {
    if (given.length > 0) return [...new Set(given)];
    const { selectSeededTenants } = await import("../../src/db/seed-store.js");
    const tenants = await selectSeededTenants(knex);
    return tenants.length > 0 ? tenants : [process.env.WORKFLOW_SEEDER_TENANT ?? DEFAULT_DEV_TENANT];
  }
  if (given.length > 0) return [...new Set(given)];
  const tenant = process.env.WORKFLOW_SEEDER_TENANT ?? DEFAULT_DEV_TENANT;
  assertTenant(tenant);
  return [tenant];
}

async function seederOptions(args: SeedArgs, tenant: string): Promise<SeederOptions> {
  const catalog = await loadCatalog(args);
  if (args.actor !== undefined) {
    const { isUuidString } = await import("../../src/format/portable-id.js");
    if (!isUuidString(args.actor)) throw invalidArgument("--actor", args.actor, "a UUID");
  }
  const lockTimeout = process.env.WORKFLOW_SEEDER_LOCK_TIMEOUT_MS;
  // Checked here: a non-number would reach the database as lock_timeout "NaNms" (DATABASE_ERROR).
  if (lockTimeout && !/^\d+$/.test(lockTimeout))
    throw invalidArgument("WORKFLOW_SEEDER_LOCK_TIMEOUT_MS", lockTimeout, "a whole number of milliseconds");
  const crashPause = process.env.WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS;
  return {
    dir: resolve(process.cwd(), args.dir),
    tenant,
    catalog,
    onConflict: (args.onConflict ?? "fail") as SeederOptions["onConflict"],
    actor: args.actor ?? null,
    ...(lockTimeout ? { lockTimeoutMs: Number(lockTimeout) } : {}),
    ...(process.stderr.isTTY ? { onProgress: showProgress } : {}),
    // Crash tests only: hold the transaction open between the import and the record.
    ...(crashPause
      ? {
          beforeRecord: async (seed: string) => {
            say(`paused before recording ${seed}`);
            await new Promise((r) => setTimeout(r, Number(crashPause)));
          },
        }
      : {}),
  };
}

function showProgress(event: SeedProgress): void {
  if (event.phase === "applying" || event.phase === "reapplying" || event.phase === "reverting")
    say(`  [${event.index + 1}/${event.total}] ${event.phase} ${event.seed}`);
}

// ---------------------------------------------------------------- up

interface UpArgs extends SeedArgs {
  to?: string;
  dryRun: boolean;
  onChange: string;
}

async function runUp(args: UpArgs): Promise<number> {
  if (args.dryRun) return runPlan(args);
  const { applySeeds } = await import("../../src/seeder/seed-runner.js");
  return withDatabase(args, async (db) => {
    const results = [];
    for (const tenant of await tenantsOf(args, db.knex)) {
      const options = await seederOptions(args, tenant);
      const result = await applySeeds(db.knex, {
        ...options,
        onChange: args.onChange as "fail" | "reapply" | "warn",
        ...(args.to === undefined ? {} : { to: args.to }),
      });
      results.push(result);
      if (!args.json) printUp(result, options.dir);
    }
    if (args.json) printJson(results.length === 1 ? results[0] : { tenants: results });
    return EXIT_OK;
  });
}

function printUp(result: import("../../src/seeder/seed-runner.js").ApplySeedsResult, dir: string): void {
  for (const w of result.warnings) say(`warning [${w.code}] ${w.message}`);
  const done = result.applied.length + result.reapplied.length;
  if (done === 0 && result.appliedConcurrently.length === 0) {
    say(`nothing to do: every seed in ${dir} is applied (tenant ${result.tenant})`);
    return;
  }
  const lines = [`tenant ${result.tenant}: applied ${plural(result.applied.length, "seed")}`];
  for (const seed of [...result.reapplied, ...result.applied]) {
    lines.push(`  ${seed.name}${result.reapplied.includes(seed) ? " (re-applied)" : ""}`);
    for (const w of seed.workflows) lines.push(`    ${w.action.padEnd(8)} ${w.key}`);
    for (const w of seed.warnings) lines.push(`    warning [${w.code}] ${w.message}`);
  }
  for (const name of result.appliedConcurrently) lines.push(`  ${name} (already applied by another process)`);
  say(lines.join("\n"));
}

// ---------------------------------------------------------------- status

interface StatusArgs extends SeedArgs {
  detailedExitcode: boolean;
}

async function runStatus(args: StatusArgs): Promise<number> {
  const { readSeedStatus } = await import("../../src/seeder/seed-status.js");
  return withDatabase(args, async (db) => {
    const results = [];
    for (const tenant of await tenantsOf(args, db.knex)) {
      const options = await seederOptions(args, tenant);
      results.push(await readSeedStatus(db.knex, options));
    }
    if (args.json)
      printJson(
        results.length === 1
          ? { ...results[0], warnings: results[0]?.warnings.map(wire) }
          : { tenants: results.map((r) => ({ ...r, warnings: r.warnings.map(wire) })) },
      );
    else
      for (const r of results) {
        const lines = [`tenant ${r.tenant}, seeds in ${r.dir}:`];
        if (r.seeds.length === 0) lines.push("  (no seeds)");
        for (const s of r.seeds) {
          let line = `  ${s.state.padEnd(8)} ${s.name}`;
          if (s.state === "modified")
            line += `  (file ${s.file}: recorded ${s.recordedChecksum}, now ${s.currentChecksum})`;
          if (s.state === "missing") line += "  (recorded, but the file is gone)";
          if (s.baseline) line += "  [baseline]";
          lines.push(line);
        }
        for (const w of r.warnings.map(wire)) lines.push(`warning [${w.code}] ${w.message}`);
        say(lines.join("\n"));
      }
    if (args.detailedExitcode && results.some((r) => r.hasWork)) return EXIT_PENDING;
    return EXIT_OK;
  });
}

// ---------------------------------------------------------------- plan

async function runPlan(args: UpArgs): Promise<number> {
  const { planSeeds } = await import("../../src/seeder/seed-plan.js");
  return withDatabase(args, async (db) => {
    const results = [];
    for (const tenant of await tenantsOf(args, db.knex)) {
      const options = await seederOptions(args, tenant);
      const plan = await planSeeds(db.knex, {
        ...options,
        onChange: args.onChange as "fail" | "reapply" | "warn",
        ...(args.to === undefined ? {} : { to: args.to }),
      });
      results.push(plan);
      if (!args.json) {
        const lines = [
          `tenant ${plan.tenant}: ${plan.seeds.length === 0 ? "nothing to do" : `${plural(plan.seeds.length, "seed")} to apply`}`,
        ];
        for (const seed of plan.seeds) {
          lines.push(
            `  ${seed.name}${seed.mode === "reapply" ? " (re-apply)" : ""}${seed.outcome === "ok" ? "" : `  [${seed.outcome}]`}`,
          );
          for (const w of seed.workflows) {
            lines.push(`    ${w.action.padEnd(9)} ${w.key}${w.existingWorkflowId ? ` (${w.existingWorkflowId})` : ""}`);
            if (w.diff)
              lines.push(
                ...w.diff
                  .trimEnd()
                  .split("\n")
                  .map((l) => `      ${l}`),
              );
          }
        }
        for (const w of plan.warnings) lines.push(`warning [${w.code}] ${w.message}`);
        say(lines.join("\n"));
      }
    }
    if (args.json) printJson(results.length === 1 ? results[0] : { tenants: results });
    return results.some((p) => p.seeds.some((s) => s.outcome === "conflict")) ? EXIT_FAILURE : EXIT_OK;
  });
}

// ---------------------------------------------------------------- down

interface DownArgs extends SeedArgs {
  to?: string;
  step?: number;
  force: boolean;
}

async function runDown(args: DownArgs): Promise<number> {
  if (args.to !== undefined && args.step !== undefined) throw new UsageError("give --to or --step, not both");
  if (args.step !== undefined && (!Number.isInteger(args.step) || args.step < 1))
    throw invalidArgument("--step", String(args.step), "a positive integer");
  const { revertSeeds } = await import("../../src/seeder/seed-revert.js");
  return withDatabase(args, async (db) => {
    const results = [];
    for (const tenant of await tenantsOf(args, db.knex)) {
      const options = await seederOptions(args, tenant);
      const result = await revertSeeds(db.knex, {
        ...options,
        force: args.force,
        ...(args.to === undefined ? {} : { to: args.to }),
        ...(args.step === undefined ? {} : { step: args.step }),
      });
      results.push(result);
      if (!args.json) {
        const lines = [`tenant ${result.tenant}: reverted ${plural(result.reverted.length, "seed")}`];
        for (const seed of result.reverted) {
          lines.push(`  ${seed.name}`);
          for (const w of seed.workflows) lines.push(`    ${w.action.padEnd(8)} ${w.key}`);
        }
        say(lines.join("\n"));
      }
    }
    if (args.json) printJson(results.length === 1 ? results[0] : { tenants: results });
    return EXIT_OK;
  });
}

// ---------------------------------------------------------------- baseline, new

interface BaselineArgs extends SeedArgs {
  to?: string;
}

async function runBaseline(args: BaselineArgs): Promise<number> {
  const { baselineSeeds } = await import("../../src/seeder/seed-baseline.js");
  return withDatabase(args, async (db) => {
    const results = [];
    for (const tenant of await tenantsOf(args, db.knex)) {
      const options = await seederOptions(args, tenant);
      const result = await baselineSeeds(db.knex, { ...options, ...(args.to === undefined ? {} : { to: args.to }) });
      results.push(result);
      if (!args.json) {
        const lines = [
          `tenant ${result.tenant}: recorded ${plural(result.recorded.length, "seed")} as applied (not run)`,
        ];
        for (const r of result.recorded)
          lines.push(`  ${r.name}${r.adopted.length ? `  (adopted ${r.adopted.join(", ")})` : ""}`);
        for (const w of result.warnings) lines.push(`warning [${w.code}] ${w.message}`);
        say(lines.join("\n"));
      }
    }
    if (args.json) printJson(results.length === 1 ? results[0] : { tenants: results });
    return EXIT_OK;
  });
}

interface NewArgs extends SeedArgs {
  name: string;
}

async function runNew(args: NewArgs): Promise<number> {
  const { createSeedFile } = await import("../../src/seeder/seed-baseline.js");
  const created = await createSeedFile({ dir: resolve(process.cwd(), args.dir), name: args.name });
  if (args.json) printJson(created);
  else say(`created ${created.file}\nEdit it, then check it with: workflow-seeder validate ${created.file}`);
  return EXIT_OK;
}

// ---------------------------------------------------------------- wiring

const dirOption = {
  type: "string",
  default: "seeds/workflows",
  describe: "Seeds folder",
} as const;

const tenantsOptions = {
  "all-tenants": {
    type: "boolean",
    default: false,
    describe: "Every tenant that has workflows or seed records (or every --tenant given)",
  },
} as const;

const conflictOption = {
  "on-conflict": {
    choices: ["fail", "replace", "update", "skip"],
    default: "fail",
    describe: "What to do with an existing key that no seed created",
  },
  actor: { type: "string", describe: "User UUID written to the audit columns" },
} as const;

const onChangeOption = {
  choices: ["fail", "reapply", "warn"],
  default: "fail",
  describe: "What to do when an applied seed's file changed",
} as const;

/** The seeder's commands: up, status, plan, down, baseline, new. */
export const seedCommands: CommandModule = (argv, run) =>
  argv
    .command(
      "up",
      "Apply pending seeds (npm run seed:workflows)",
      (y) =>
        y
          .option("dir", dirOption)
          .options(tenantsOptions)
          .options(conflictOption)
          .option("to", { type: "string", describe: "Stop after this seed (name, file name or version prefix)" })
          .option("dry-run", { type: "boolean", default: false, describe: "Show what would happen (same as plan)" })
          .option("on-change", onChangeOption),
      run(runUp),
    )
    .command(
      "status",
      "Show each seed as applied, pending, modified or missing",
      (y) =>
        y.option("dir", dirOption).options(tenantsOptions).option("detailed-exitcode", {
          type: "boolean",
          default: false,
          describe: "Exit 0 when nothing is to do, 2 when seeds are pending or modified, 1 on error",
        }),
      run(runStatus),
    )
    .command(
      "plan",
      "What up would do, workflow by workflow, with diffs; writes nothing",
      (y) =>
        y
          .option("dir", dirOption)
          .options(tenantsOptions)
          .options(conflictOption)
          .option("to", { type: "string", describe: "Stop after this seed" })
          .option("on-change", onChangeOption)
          .option("dry-run", { type: "boolean", default: true, hidden: true }),
      run(runPlan),
    )
    .command(
      "down",
      "Revert applied seeds (the latest one by default)",
      (y) =>
        y
          .option("dir", dirOption)
          .options(tenantsOptions)
          .option("to", { type: "string", describe: "Revert down to and including this seed" })
          .option("step", { type: "number", describe: "Revert this many seeds" })
          .option("force", { type: "boolean", default: false, describe: "Revert even workflows changed after seeding" })
          .option("actor", { type: "string", describe: "User UUID written to the audit columns" }),
      run(runDown),
    )
    .command(
      "baseline",
      "Record seeds as applied without running them (adopt an existing database)",
      (y) =>
        y
          .option("dir", dirOption)
          .options(tenantsOptions)
          .option("to", { type: "string", describe: "Stop after this seed" }),
      run(runBaseline),
    )
    .command(
      "new <name>",
      "Create a new seed file with the next version prefix",
      (y) => y.positional("name", { type: "string", demandOption: true }).option("dir", dirOption),
      run(runNew),
    );
