import { resolve } from "node:path";
import type { Knex } from "knex";
import type { SeederOptions, SeedProgress } from "../../src/seeder/seeder-options.js";
import {
  type CommandModule,
  DEFAULT_SEEDS_DIR,
  EXIT_FAILURE,
  EXIT_OK,
  type GlobalArgs,
  importOptionsOf,
  invalidArgument,
  loadCatalog,
  plural,
  printJson,
  printResult,
  resolveTenant,
  say,
  sayWarning,
  UsageError,
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

/**
 * The tenants a seed command works on: every `--tenant` given; else, with `--all-tenants`, every
 * tenant that has seed records or workflows (the default tenant when there is none); else the
 * default tenant (see {@link resolveTenant}).
 */
async function tenantsOf(args: SeedArgs, knex: Knex): Promise<string[]> {
  const { assertTenant } = await import("../../src/db/tenant.js");
  const given = ([] as string[]).concat((args.tenant as string | string[] | undefined) ?? []);
  for (const t of given) assertTenant(t);
  if (given.length > 0) return [...new Set(given)];
  if (args.allTenants) {
    const { selectSeededTenants } = await import("../../src/db/seed-store.js");
    const tenants = await selectSeededTenants(knex);
    if (tenants.length > 0) return tenants;
  }
  return [await resolveTenant({ ...args, tenant: undefined }, knex)];
}

/** The options of a seed command that do not depend on the tenant, resolved once. */
async function seederOptions(args: SeedArgs): Promise<Omit<SeederOptions, "tenant">> {
  const catalog = await loadCatalog(args);
  // Not `args` itself: `down --force` is not the import's --force.
  const { onConflict, actor } = await importOptionsOf({ onConflict: args.onConflict, actor: args.actor });
  const lockTimeout = process.env.WORKFLOW_SEEDER_LOCK_TIMEOUT_MS;
  // Checked here: a non-number would reach the database as lock_timeout "NaNms" (DATABASE_ERROR).
  if (lockTimeout && !/^\d+$/.test(lockTimeout))
    throw invalidArgument("WORKFLOW_SEEDER_LOCK_TIMEOUT_MS", lockTimeout, "a whole number of milliseconds");
  const crashPause = process.env.WORKFLOW_SEEDER_TEST_PAUSE_BEFORE_RECORD_MS;
  // With it, only that seed pauses: a test can hold one seed open as long as it needs, while the
  // others pass at once, instead of racing a pause every seed takes.
  const pauseSeed = process.env.WORKFLOW_SEEDER_TEST_PAUSE_SEED;
  return {
    dir: resolve(process.cwd(), args.dir),
    catalog,
    onConflict,
    actor,
    ...(lockTimeout ? { lockTimeoutMs: Number(lockTimeout) } : {}),
    ...(process.stderr.isTTY ? { onProgress: showProgress } : {}),
    // Crash tests only: hold the transaction open between the import and the record.
    ...(crashPause
      ? {
          beforeRecord: async (seed: string) => {
            if (pauseSeed && seed !== pauseSeed) return;
            // SIGUSR2 ends the pause early: a test releases the seed once it has done its part,
            // so no step of it races the pause's length. Listening before saying so.
            await new Promise<void>((resolve) => {
              const timer = setTimeout(release, Number(crashPause));
              function release() {
                clearTimeout(timer);
                process.off("SIGUSR2", release);
                resolve();
              }
              process.on("SIGUSR2", release);
              say(`paused before recording ${seed}`);
            });
          },
        }
      : {}),
  };
}

function showProgress(event: SeedProgress): void {
  if (event.phase === "applying" || event.phase === "reapplying" || event.phase === "reverting")
    say(`  [${event.index + 1}/${event.total}] ${event.phase} ${event.seed}`);
}

/** How {@link forEachTenant} reports: each result for humans as it comes, all of them as one JSON document. */
interface TenantReport<R> {
  /** Prints one tenant's result (not in `--json` mode): the result on stdout, its warnings on stderr. */
  human?: (result: R, options: SeederOptions) => void;
  /** The JSON form of one result. Default: the result itself. */
  json?: (result: R) => unknown;
}

/**
 * Runs `apply` for each tenant of the command (see {@link tenantsOf}) in one database session,
 * with the options resolved once. With `--json` it prints one document, `{tenants: [...]}` with
 * one result per tenant, whatever their number. Returns the results in tenant order.
 */
async function forEachTenant<R>(
  args: SeedArgs,
  apply: (knex: Knex, options: SeederOptions) => Promise<R>,
  report: TenantReport<R> = {},
): Promise<R[]> {
  return withDatabase(args, async (db) => {
    const tenants = await tenantsOf(args, db.knex);
    const shared = await seederOptions(args);
    const results: R[] = [];
    for (const tenant of tenants) {
      const options = { ...shared, tenant };
      const result = await apply(db.knex, options);
      results.push(result);
      if (!args.json) report.human?.(result, options);
    }
    // One shape whatever the number of tenants, so a script reads `tenants[0]` for one tenant too.
    if (args.json) printJson({ tenants: results.map(report.json ?? ((r) => r)) });
    return results;
  });
}

/** `{to}` when `--to` was given, else nothing (the seeder's default: every seed). */
function toOption(args: { to?: string }): { to?: string } {
  return args.to === undefined ? {} : { to: args.to };
}

interface UpArgs extends SeedArgs {
  to?: string;
  dryRun: boolean;
  onChange: string;
  diff: boolean;
}

async function runUp(args: UpArgs): Promise<number> {
  if (args.dryRun) return runPlan(args);
  if (args.diff) throw new UsageError("--diff shows a plan: give it with --dry-run");
  const { applySeeds } = await import("../../src/seeder/seed-runner.js");
  await forEachTenant(
    args,
    (knex, options) => applySeeds(knex, { ...options, onChange: args.onChange as OnChange, ...toOption(args) }),
    { human: (result, options) => printUp(result, options.dir) },
  );
  return EXIT_OK;
}

type OnChange = "fail" | "reapply" | "warn";

/** What up did, on stdout; then its warnings, each seed's naming the seed, on stderr. */
function printUp(result: import("../../src/seeder/seed-runner.js").ApplySeedsResult, dir: string): void {
  const done = result.applied.length + result.reapplied.length;
  if (done === 0 && result.appliedConcurrently.length === 0)
    printResult(`nothing to do: every seed in ${dir} is applied (tenant ${result.tenant})`);
  else {
    const lines = [`tenant ${result.tenant}: applied ${plural(result.applied.length, "seed")}`];
    for (const seed of [...result.reapplied, ...result.applied]) {
      lines.push(`  ${seed.name}${result.reapplied.includes(seed) ? " (re-applied)" : ""}`);
      for (const w of seed.workflows) lines.push(`    ${w.action.padEnd(8)} ${w.key}`);
    }
    for (const name of result.appliedConcurrently) lines.push(`  ${name} (already applied by another process)`);
    printResult(lines.join("\n"));
  }
  for (const w of result.warnings) sayWarning(w);
  for (const seed of [...result.reapplied, ...result.applied]) for (const w of seed.warnings) sayWarning(w, seed.name);
}

interface StatusArgs extends SeedArgs {
  detailedExitcode: boolean;
}

async function runStatus(args: StatusArgs): Promise<number> {
  const { readSeedStatus } = await import("../../src/seeder/seed-status.js");
  const results = await forEachTenant(args, readSeedStatus);
  // Printed once every tenant is read: a failure on a later tenant prints no partial status.
  if (!args.json)
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
      printResult(lines.join("\n"));
    }
  if (args.detailedExitcode && results.some((r) => r.hasWork)) return EXIT_PENDING;
  return EXIT_OK;
}

async function runPlan(args: UpArgs): Promise<number> {
  const { planSeeds } = await import("../../src/seeder/seed-plan.js");
  const results = await forEachTenant(
    args,
    (knex, options) =>
      planSeeds(knex, { ...options, onChange: args.onChange as OnChange, ...toOption(args), diff: args.diff }),
    { human: printPlan },
  );
  return results.some((p) => p.wouldFail) ? EXIT_FAILURE : EXIT_OK;
}

/** Why a seed of the plan is listed, after its name. */
function planNote(seed: import("../../src/seeder/seed-plan.js").PlannedSeed): string {
  const notes: string[] = [];
  if (seed.mode === "reapply") notes.push("edited after it was applied: re-applied");
  if (seed.mode === "changed")
    notes.push(
      seed.outcome === "refused"
        ? "edited after it was applied: up refuses to run, see the warning"
        : "edited after it was applied: left as it is",
    );
  else if (seed.outcome === "conflict") notes.push("up stops here: a key exists that no seed created");
  else if (seed.outcome === "not-run") notes.push("not run: up stops before it");
  return notes.length === 0 ? "" : `  (${notes.join("; ")})`;
}

/**
 * The plan for humans, on stdout: each seed, then one line per workflow (what up would do to it),
 * with its diff under `--diff`. Then, on stderr, the warnings up would print.
 */
function printPlan(plan: import("../../src/seeder/seed-plan.js").SeedPlanResult): void {
  const toApply = plan.seeds.filter((s) => s.mode !== "changed").length;
  const lines = [
    `tenant ${plan.tenant}: ${toApply === 0 ? "nothing to apply" : `${plural(toApply, "seed")} to apply`}`,
  ];
  for (const seed of plan.seeds) {
    lines.push(`  ${seed.name}${planNote(seed)}`);
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
  printResult(lines.join("\n"));
  for (const seed of plan.seeds) for (const w of seed.warnings) sayWarning(w, seed.name);
  for (const w of plan.warnings) sayWarning(w);
}

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
  await forEachTenant(
    args,
    (knex, options) =>
      revertSeeds(knex, {
        ...options,
        force: args.force,
        ...toOption(args),
        ...(args.step === undefined ? {} : { step: args.step }),
      }),
    {
      human: (result) => {
        const lines = [`tenant ${result.tenant}: reverted ${plural(result.reverted.length, "seed")}`];
        for (const seed of result.reverted) {
          lines.push(`  ${seed.name}`);
          for (const w of seed.workflows) lines.push(`    ${w.action.padEnd(8)} ${w.key}`);
        }
        printResult(lines.join("\n"));
      },
    },
  );
  return EXIT_OK;
}

interface BaselineArgs extends SeedArgs {
  to?: string;
  force: boolean;
}

async function runBaseline(args: BaselineArgs): Promise<number> {
  const { baselineSeeds } = await import("../../src/seeder/seed-baseline.js");
  await forEachTenant(
    args,
    (knex, options) => baselineSeeds(knex, { ...options, ...toOption(args), force: args.force }),
    {
      human: (result) => {
        const lines = [
          `tenant ${result.tenant}: recorded ${plural(result.recorded.length, "seed")} as applied (not run)`,
        ];
        for (const r of result.recorded)
          lines.push(`  ${r.name}${r.adopted.length ? `  (adopted ${r.adopted.join(", ")})` : ""}`);
        printResult(lines.join("\n"));
        const code = "SEED_BASELINE_MISMATCH";
        for (const m of result.mismatches) {
          if (m.missingKeys.length)
            sayWarning({ code, message: `recorded with --force, missing ${m.missingKeys.join(", ")}` }, m.seed);
          if (m.differentKeys.length)
            sayWarning({ code, message: `recorded with --force, different ${m.differentKeys.join(", ")}` }, m.seed);
        }
      },
    },
  );
  return EXIT_OK;
}

interface NewArgs extends SeedArgs {
  name: string;
}

async function runNew(args: NewArgs): Promise<number> {
  const { createSeedFile } = await import("../../src/seeder/seed-baseline.js");
  const created = await createSeedFile({ dir: resolve(process.cwd(), args.dir), name: args.name });
  if (args.json) printJson(created);
  else {
    printResult(`created ${created.file}`);
    say(`Edit it, then check it with: workflow-seeder validate ${created.file}`);
  }
  return EXIT_OK;
}

const dirOption = {
  type: "string",
  default: DEFAULT_SEEDS_DIR,
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

const diffOption = {
  type: "boolean",
  default: false,
  describe: "Plan: show the content diff of every workflow that changes (default: one line per workflow)",
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
          .option("diff", diffOption)
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
      "What up would do, one line per workflow (with --diff, the content diffs); writes nothing",
      (y) =>
        y
          .option("dir", dirOption)
          .options(tenantsOptions)
          .options(conflictOption)
          .option("to", { type: "string", describe: "Stop after this seed" })
          .option("on-change", onChangeOption)
          .option("diff", diffOption)
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
          .option("to", { type: "string", describe: "Stop after this seed" })
          .option("force", {
            type: "boolean",
            default: false,
            describe: "Record the seeds even when their workflows are missing from the tenant or differ",
          }),
      run(runBaseline),
    )
    .command(
      "new <name>",
      "Create a new seed file with the next version prefix",
      (y) => y.positional("name", { type: "string", demandOption: true }).option("dir", dirOption),
      run(runNew),
    );
