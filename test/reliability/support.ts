/**
 * Helpers of the reliability suite: generated bundles (the suite's defaults for
 * ../support/bundles.ts), peak memory of a CLI process, and reads of what the database holds.
 */

import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Knex } from "knex";
import { ADVISORY_LOCK_CLASS } from "../../src/db/migrations.js";
import { lockWorkflowKeys } from "../../src/db/workflow-store.js";
import type { BundleWorkflow, WorkflowBundle } from "../../src/format/bundle-schema.js";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import { bundleOf, templateWorkflow } from "../support/bundles.js";
import { type CliOptions, type CliResult, runCli, sessionName } from "../support/cli.js";

/** The preload that prints a child's peak RSS on exit (see rss-probe.ts). */
export const RSS_PROBE_PATH = resolve(process.cwd(), "dist", "test", "reliability", "rss-probe.js");

/** A fixed `exportedAt`, so generated bundles are byte-stable. */
export const GENERATED_EXPORTED_AT = "2026-01-26T00:00:00.000Z";

/** A fresh tenant id. */
export function newTenant(): string {
  return randomUUID();
}

/** What a generated workflow looks like. */
export interface GeneratedWorkflowSpec {
  key: string;
  description?: string;
  /** Extra characters carried in the definitions (to make big bundles). Default 0. */
  padding?: number;
  /** Published versions 1..n. Default 1. */
  versions?: number;
}

/** A workflow valid under the default catalog, published `versions` times. */
export function generateWorkflow(spec: GeneratedWorkflowSpec): BundleWorkflow {
  return templateWorkflow({
    key: spec.key,
    description: spec.description ?? `Generated workflow ${spec.key}.`,
    publishedVersions: spec.versions ?? 1,
    padding: spec.padding ?? 0,
  });
}

/** A bundle of the given workflows. */
export function generateBundle(specs: readonly GeneratedWorkflowSpec[]): WorkflowBundle {
  return bundleOf(specs.map(generateWorkflow), GENERATED_EXPORTED_AT);
}

/** `count` workflows keyed `<prefix>-00000`, `<prefix>-00001`, ... */
export function generateKeys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, "0")}`);
}

const tempDirs: string[] = [];

/** A fresh temp directory, removed by {@link removeTempDirs}. */
export async function makeTempDir(prefix = "wfs-rel-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory made by {@link makeTempDir}. */
export async function removeTempDirs(): Promise<void> {
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Writes a bundle (canonical JSON) to `dir/file` and returns its path. */
export async function writeBundleFile(dir: string, file: string, bundle: WorkflowBundle): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, canonicalizeJson(bundle));
  return path;
}

/** Runs the CLI with the RSS probe; returns its exit and peak resident set size in bytes. */
export async function runCliMeasured(
  args: readonly string[],
  options: Omit<CliOptions, "nodeArgs"> = {},
): Promise<CliResult & { peakRssBytes: number; elapsedMs: number }> {
  const started = Date.now();
  const exit = await runCli(args, { ...options, nodeArgs: ["--import", RSS_PROBE_PATH] });
  const m = /wfs-peak-rss-kb=(\d+)/.exec(exit.stderr);
  if (!m) throw new Error(`the RSS probe printed nothing:\n${exit.stderr}`);
  return { ...exit, peakRssBytes: Number(m[1]) * 1024, elapsedMs: Date.now() - started };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns true; throws after `timeoutMs`, a guard against
 * a hang (not a verdict on speed), generous enough for a loaded machine.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 120_000, intervalMs = 10 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Server process ids of the sessions with this `application_name`. */
export async function backendPids(knex: Knex, appName: string): Promise<number[]> {
  const r = await knex.raw(
    "select pid from pg_stat_activity where application_name = ? and datname = current_database()",
    [sessionName(appName)],
  );
  return r.rows.map((row: { pid: number }) => row.pid);
}

/**
 * Sessions of `appName` that hold one of this tool's transaction-level advisory locks other than
 * the migration lock: they are inside an import's or a seed's transaction.
 */
export async function pidsInsideWriteTransaction(knex: Knex, appName: string): Promise<number[]> {
  const r = await knex.raw(
    `select distinct a.pid from pg_stat_activity a join pg_locks l on l.pid = a.pid
     where a.application_name = ? and a.datname = current_database() and l.locktype = 'advisory' and l.granted
       and l.classid = ?::bigint::oid and not (l.objid = 1 and l.objsubid = 2)`,
    [sessionName(appName), ADVISORY_LOCK_CLASS],
  );
  return r.rows.map((row: { pid: number }) => row.pid);
}

/** A lock a test holds to stop an import at a known point, whatever the machine's speed. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Holds `workflow_definition_versions` locked in share mode, which an insert into it waits for: an
 * import blocked there has written its workflow rows and waits inside its transaction.
 */
export async function holdVersionsTable(knex: Knex): Promise<HeldLock> {
  const trx = await knex.transaction();
  await trx.raw("lock table workflow_definition_versions in share mode");
  return { release: () => trx.rollback().then(() => undefined) };
}

/** Holds the key lock of `key` in `tenant`: an import of that key waits for it inside its transaction. */
export async function holdKeyLock(knex: Knex, tenant: string, key: string): Promise<HeldLock> {
  const trx = await knex.transaction();
  await lockWorkflowKeys(trx, tenant, [key]);
  return { release: () => trx.rollback().then(() => undefined) };
}

/**
 * Waits until a session of `appName` waits for a lock: on `workflow_definition_versions`
 * ({@link holdVersionsTable}) or an advisory lock ({@link holdKeyLock}). Returns its process id.
 */
export async function waitForLockWaiter(knex: Knex, appName: string, on: "versions" | "advisory"): Promise<number> {
  const lock =
    on === "versions"
      ? "l.locktype = 'relation' and l.relation = 'workflow_definition_versions'::regclass"
      : "l.locktype = 'advisory'";
  let pids: number[] = [];
  await waitUntil(`${appName} to wait for the ${on} lock`, async () => {
    const r = await knex.raw(
      `select l.pid from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where ${lock} and not l.granted and a.application_name = ?`,
      [sessionName(appName)],
    );
    pids = r.rows.map((row: { pid: number }) => row.pid);
    return pids.length > 0;
  });
  return pids[0] as number;
}

/** Waits until no session of `appName` is left (the server notices a killed client on its own). */
export async function waitForBackendsGone(knex: Knex, appName: string, timeoutMs = 120_000): Promise<void> {
  await waitUntil(`the sessions of ${appName} to end`, async () => (await backendPids(knex, appName)).length === 0, {
    timeoutMs,
    intervalMs: 20,
  });
}

/** Advisory locks held or awaited in the current database, by anyone. */
export async function countAdvisoryLocks(knex: Knex): Promise<number> {
  const r = await knex.raw(
    `select count(*)::int as n from pg_locks l
     where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())`,
  );
  return r.rows[0].n;
}

/** Sessions of the current database left idle inside a transaction. */
export async function countIdleInTransaction(knex: Knex): Promise<number> {
  const r = await knex.raw(
    `select count(*)::int as n from pg_stat_activity
     where datname = current_database() and state like 'idle in transaction%' and pid <> pg_backend_pid()`,
  );
  return r.rows[0].n;
}

/** One workflow row of a tenant, as the assertions compare it. */
export interface StoredWorkflow {
  key: string;
  workflowId: string;
  description: string | null;
  versions: number;
}

/** The tenant's workflows by key. */
export async function readTenantWorkflows(knex: Knex, tenant: string): Promise<Map<string, StoredWorkflow>> {
  const r = await knex.raw(
    `select d.key, d.workflow_id::text as "workflowId", d.description,
       (select count(*)::int from workflow_definition_versions v
        where v.tenant = d.tenant and v.workflow_id = d.workflow_id) as versions
     from workflow_definitions d where d.tenant = ? order by d.key`,
    [tenant],
  );
  return new Map((r.rows as StoredWorkflow[]).map((row) => [row.key, row]));
}

/** Workflow and version counts of a tenant. */
export async function countTenantRows(knex: Knex, tenant: string): Promise<{ workflows: number; versions: number }> {
  const r = await knex.raw(
    `select (select count(*)::int from workflow_definitions where tenant = ?) as workflows,
            (select count(*)::int from workflow_definition_versions where tenant = ?) as versions`,
    [tenant, tenant],
  );
  return r.rows[0];
}

/** One seed record of a tenant. */
export interface StoredSeedRecord {
  name: string;
  workflows: { key: string; workflowId: string; action: string }[];
}

/** The tenant's seed records in name order. */
export async function readSeedRecords(knex: Knex, tenant: string): Promise<StoredSeedRecord[]> {
  const r = await knex.raw("select name, workflows from workflow_seeder_seeds where tenant = ? order by name", [
    tenant,
  ]);
  return r.rows;
}

/** Removes every row of a tenant (workflows, versions by cascade, seed records). */
export async function deleteTenant(knex: Knex, tenant: string): Promise<void> {
  await knex.raw("delete from workflow_definitions where tenant = ?", [tenant]);
  await knex.raw("delete from workflow_seeder_seeds where tenant = ?", [tenant]);
}

/** True when each of the tool's tables still exists. */
export async function toolTablesExist(knex: Knex): Promise<boolean> {
  const r = await knex.raw(
    `select bool_and(to_regclass(t) is not null) as ok from unnest(array[
       'workflow_definitions', 'workflow_definition_versions', 'workflow_runs', 'workflow_seeder_seeds',
       'workflow_seeder_migrations']) as t`,
  );
  return r.rows[0].ok === true;
}

/** The advisory locks of the current database with their holders, for failure messages. */
export async function describeAdvisoryLocks(knex: Knex): Promise<string> {
  const r = await knex.raw(
    `select l.pid, l.granted, l.classid::text, l.objid::text, l.objsubid, a.application_name, a.state, left(a.query, 60) as query
     from pg_locks l left join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())`,
  );
  return JSON.stringify(r.rows);
}

/** Row counts of the tool's tables across all tenants (cheap, unlike a fingerprint of a big database). */
export async function countAllRows(knex: Knex): Promise<Record<string, number>> {
  const r = await knex.raw(
    `select (select count(*)::int from workflow_definitions) as workflows,
            (select count(*)::int from workflow_definition_versions) as versions,
            (select count(*)::int from workflow_seeder_seeds) as seeds`,
  );
  return r.rows[0];
}

const WRITABLE_TABLES = [
  "workflow_definitions",
  "workflow_definition_versions",
  "workflow_runs",
  "workflow_run_steps",
  "workflow_run_waits",
  "workflow_action_invocations",
  "workflow_seeder_seeds",
] as const;

/** A point in a database's write history: a fresh transaction id and every table's row count. */
export interface WriteMark {
  xid: string;
  counts: Record<string, number>;
}

/**
 * Marks the database's write history. With {@link writesSince}, proves "nothing written" without
 * hashing every row (a fingerprint of a database holding 5 MB strings is slow): a written row has
 * a newer xmin, a deleted one changes a count.
 */
export async function markWrites(knex: Knex): Promise<WriteMark> {
  const r = await knex.raw(
    `select (txid_current() % 4294967296)::text as xid, ${WRITABLE_TABLES.map((t) => `(select count(*)::int from ${t}) as "${t}"`).join(", ")}`,
  );
  const { xid, ...counts } = r.rows[0];
  return { xid, counts };
}

/** What changed since the mark: tables whose count changed or that hold rows written after it. */
export async function writesSince(knex: Knex, mark: WriteMark): Promise<string[]> {
  const r = await knex.raw(
    `select ${WRITABLE_TABLES.map(
      (t) =>
        `(select count(*)::int from ${t}) as "${t}", (select count(*)::int from ${t} where xmin::text::bigint > ?::bigint) as "${t}:newer"`,
    ).join(", ")}`,
    WRITABLE_TABLES.map(() => mark.xid),
  );
  const row = r.rows[0] as Record<string, number>;
  const changed: string[] = [];
  for (const t of WRITABLE_TABLES) {
    if (row[t] !== mark.counts[t]) changed.push(`${t}: ${mark.counts[t]} -> ${row[t]} rows`);
    if ((row[`${t}:newer`] ?? 0) > 0) changed.push(`${t}: ${row[`${t}:newer`]} rows written`);
  }
  return changed;
}
