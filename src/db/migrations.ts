import type { Knex } from "knex";

/** knex's bookkeeping table for this tool's migrations (never Alga's `knex_migrations`). */
export const MIGRATIONS_TABLE = "workflow_seeder_migrations";

/** The table where the seeder records applied seeds per tenant. */
export const SEEDS_TABLE = "workflow_seeder_seeds";

/** Advisory lock class id shared by all of this tool's advisory locks ("wfsd"). */
export const ADVISORY_LOCK_CLASS = 0x77667364;

/** Advisory lock object id that serializes migrations across processes. */
const MIGRATION_LOCK_ID = 1;

/**
 * Alga PSA's Workflow Runtime V2 tables, with every primary key, unique constraint and foreign
 * key leading with `tenant` (Citus-ready). `IF NOT EXISTS`: a table that Alga's own migrations
 * created is adopted as it is, never altered or dropped.
 */
const ALGA_TABLES: readonly { name: string; sql: string; indexes?: readonly string[] }[] = [
  {
    name: "workflow_definitions",
    sql: `create table if not exists workflow_definitions (
      tenant uuid not null,
      workflow_id uuid not null default gen_random_uuid(),
      key text,
      name text not null,
      description text,
      payload_schema_ref text not null,
      payload_schema_mode text not null default 'pinned',
      pinned_payload_schema_ref text,
      payload_schema_provenance text,
      trigger jsonb,
      draft_definition jsonb not null,
      draft_version integer not null default 1,
      status text not null default 'draft',
      is_system boolean default false,
      is_visible boolean default true,
      is_paused boolean default false,
      concurrency_limit integer,
      auto_pause_on_failure boolean default false,
      failure_rate_threshold numeric(5,2) default 0.5,
      failure_rate_min_runs integer default 10,
      retention_policy_override jsonb,
      validation_status text,
      validation_errors jsonb,
      validation_warnings jsonb,
      validated_at timestamptz,
      validation_context_json jsonb,
      validation_payload_schema_hash text,
      created_by uuid,
      updated_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint workflow_definitions_pkey primary key (tenant, workflow_id),
      constraint workflow_definitions_tenant_key_unique unique (tenant, key)
    )`,
  },
  {
    name: "workflow_definition_versions",
    sql: `create table if not exists workflow_definition_versions (
      tenant uuid not null,
      version_id uuid not null default gen_random_uuid(),
      workflow_id uuid not null,
      version integer not null,
      definition_json jsonb not null,
      payload_schema_json jsonb,
      published_by uuid,
      published_at timestamptz default now(),
      validation_status text,
      validation_errors jsonb,
      validation_warnings jsonb,
      validated_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint workflow_definition_versions_pkey primary key (tenant, version_id),
      constraint workflow_definition_versions_tenant_workflow_version_unique unique (tenant, workflow_id, version),
      constraint workflow_definition_versions_workflow_fk foreign key (tenant, workflow_id)
        references workflow_definitions (tenant, workflow_id) on delete cascade
    )`,
  },
  {
    name: "workflow_runs",
    sql: `create table if not exists workflow_runs (
      tenant uuid not null,
      run_id uuid not null default gen_random_uuid(),
      workflow_id uuid not null,
      workflow_version integer not null,
      status text not null,
      node_path text,
      input_json jsonb,
      resume_event_payload jsonb,
      resume_event_name text,
      resume_error jsonb,
      error_json jsonb,
      lease_owner text,
      lease_expires_at timestamptz,
      parent_run_id uuid,
      root_run_id uuid,
      definition_hash text,
      started_at timestamptz not null default now(),
      completed_at timestamptz,
      updated_at timestamptz not null default now(),
      constraint workflow_runs_pkey primary key (tenant, run_id),
      constraint workflow_runs_workflow_fk foreign key (tenant, workflow_id)
        references workflow_definitions (tenant, workflow_id) on delete cascade
    )`,
    indexes: [
      "create index if not exists workflow_runs_tenant_workflow_status_idx on workflow_runs (tenant, workflow_id, status)",
    ],
  },
  {
    name: "workflow_run_steps",
    sql: `create table if not exists workflow_run_steps (
      tenant uuid not null,
      step_id uuid not null default gen_random_uuid(),
      run_id uuid not null,
      step_path text not null,
      definition_step_id text,
      status text not null,
      attempt integer not null default 1,
      duration_ms integer,
      error_json jsonb,
      snapshot_id uuid,
      started_at timestamptz not null default now(),
      completed_at timestamptz,
      constraint workflow_run_steps_pkey primary key (tenant, step_id),
      constraint workflow_run_steps_run_fk foreign key (tenant, run_id)
        references workflow_runs (tenant, run_id) on delete cascade
    )`,
  },
  {
    name: "workflow_run_waits",
    sql: `create table if not exists workflow_run_waits (
      tenant uuid not null,
      wait_id uuid not null default gen_random_uuid(),
      run_id uuid not null,
      step_path text not null,
      wait_type text not null,
      key text,
      event_name text,
      timeout_at timestamptz,
      status text not null default 'WAITING',
      payload jsonb,
      created_at timestamptz not null default now(),
      resolved_at timestamptz,
      constraint workflow_run_waits_pkey primary key (tenant, wait_id),
      constraint workflow_run_waits_run_fk foreign key (tenant, run_id)
        references workflow_runs (tenant, run_id) on delete cascade
    )`,
    indexes: [
      "create index if not exists workflow_run_waits_tenant_run_status_idx on workflow_run_waits (tenant, run_id, status)",
    ],
  },
  {
    name: "workflow_action_invocations",
    sql: `create table if not exists workflow_action_invocations (
      tenant uuid not null,
      invocation_id uuid not null default gen_random_uuid(),
      run_id uuid not null,
      step_path text not null,
      action_id text not null,
      action_version integer not null,
      idempotency_key text not null,
      status text not null,
      attempt integer not null default 1,
      lease_owner text,
      lease_expires_at timestamptz,
      input_json jsonb,
      output_json jsonb,
      error_message text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      completed_at timestamptz,
      constraint workflow_action_invocations_pkey primary key (tenant, invocation_id),
      constraint workflow_action_invocations_idempotency_unique unique (tenant, action_id, action_version, idempotency_key),
      constraint workflow_action_invocations_run_fk foreign key (tenant, run_id)
        references workflow_runs (tenant, run_id) on delete cascade
    )`,
  },
  {
    name: "workflow_run_snapshots",
    sql: `create table if not exists workflow_run_snapshots (
      tenant uuid not null,
      snapshot_id uuid not null default gen_random_uuid(),
      run_id uuid not null,
      step_path text,
      envelope_json jsonb not null,
      size_bytes integer,
      created_at timestamptz not null default now(),
      constraint workflow_run_snapshots_pkey primary key (tenant, snapshot_id),
      constraint workflow_run_snapshots_run_fk foreign key (tenant, run_id)
        references workflow_runs (tenant, run_id) on delete cascade
    )`,
  },
  {
    name: "workflow_runtime_events",
    sql: `create table if not exists workflow_runtime_events (
      tenant uuid not null,
      event_id uuid not null default gen_random_uuid(),
      event_name text not null,
      correlation_key text,
      payload jsonb,
      created_at timestamptz not null default now(),
      processed_at timestamptz,
      constraint workflow_runtime_events_pkey primary key (tenant, event_id)
    )`,
  },
];

/** The tool's own seed records: one row per tenant and applied seed. */
const SEEDS_TABLE_SQL = `create table if not exists ${SEEDS_TABLE} (
  tenant uuid not null,
  name text not null,
  checksum text not null,
  checksum_algorithm text not null,
  applied_at timestamptz not null default now(),
  tool_version text not null,
  baseline boolean not null default false,
  workflows jsonb not null default '[]'::jsonb,
  constraint ${SEEDS_TABLE}_pkey primary key (tenant, name)
)`;

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const MIGRATIONS: readonly Migration[] = [
  {
    name: "0001_alga_workflow_runtime_v2_tables",
    async up(knex) {
      // A table Alga's migrations already created is adopted untouched: not even an index is
      // added to it (building one locks a production table), only missing tables are created.
      const existing = await knex.raw(
        "select name from unnest(?::text[]) as name where to_regclass(name) is not null",
        [ALGA_TABLES.map((t) => t.name)],
      );
      const adopted = new Set(existing.rows.map((r: { name: string }) => r.name));
      for (const table of ALGA_TABLES) {
        if (adopted.has(table.name)) continue;
        await knex.raw(table.sql);
        for (const index of table.indexes ?? []) await knex.raw(index);
      }
    },
    // Never drop Alga's tables: they may hold an instance's real workflows.
    async down() {},
  },
  {
    name: "0002_workflow_seeder_tables",
    async up(knex) {
      await knex.raw(SEEDS_TABLE_SQL);
    },
    async down(knex) {
      await knex.raw(`drop table if exists ${SEEDS_TABLE}`);
    },
  },
  {
    // The hash of a seed file's bytes lets `up` skip parsing unchanged files; the canonical
    // checksum stays the judge when the bytes differ.
    name: "0003_workflow_seeder_seed_file_hash",
    async up(knex) {
      await knex.raw(`alter table ${SEEDS_TABLE} add column if not exists file_sha256 text`);
    },
    async down(knex) {
      await knex.raw(`alter table ${SEEDS_TABLE} drop column if exists file_sha256`);
    },
  },
  {
    // The order in which seeds were applied, which `down` reverts from the end: a seed merged
    // from a branch with an older prefix is applied after newer-named ones, so names cannot tell.
    // Existing rows are numbered by applied_at, then name; new rows take the next number.
    name: "0004_workflow_seeder_seed_applied_order",
    async up(knex) {
      await knex.raw(
        `alter table ${SEEDS_TABLE} add column if not exists applied_order bigint generated by default as identity`,
      );
      await knex.raw(
        `update ${SEEDS_TABLE} as s set applied_order = o.n
         from (select tenant, name, row_number() over (order by applied_at, name) as n from ${SEEDS_TABLE}) as o
         where s.tenant = o.tenant and s.name = o.name`,
      );
      await knex.raw(
        `select setval(pg_get_serial_sequence(?, 'applied_order'), coalesce((select max(applied_order) from ${SEEDS_TABLE}), 0) + 1, false)`,
        [SEEDS_TABLE],
      );
    },
    async down(knex) {
      await knex.raw(`alter table ${SEEDS_TABLE} drop column if exists applied_order`);
    },
  },
];

/** The names of all migrations, in order. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((m) => m.name);

/** The names of Alga's tables this tool creates when they are missing. */
export const ALGA_TABLE_NAMES: readonly string[] = ALGA_TABLES.map((t) => t.name);

const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

/** Options of {@link migrateToLatest}. */
export interface MigrateOptions {
  /**
   * Serialize concurrent migrators with a session advisory lock (PostgreSQL server). The embedded
   * database has one connection and a process-level lock already, so it skips this.
   */
  advisoryLock?: boolean;
}

/** The result of {@link migrateToLatest}: the migrations this call ran. */
export interface MigrateResult {
  applied: string[];
}

/**
 * Brings the schema up to date (creates missing Alga tables and this tool's tables). Safe to run
 * from several processes at once. Fast when nothing is pending: one query.
 */
export async function migrateToLatest(knex: Knex, options: MigrateOptions = {}): Promise<MigrateResult> {
  if (await isUpToDate(knex)) return { applied: [] };
  const config = { tableName: MIGRATIONS_TABLE, migrationSource, disableMigrationsListValidation: true };
  if (!options.advisoryLock) {
    const [, names] = (await knex.migrate.latest(config)) as [number, string[]];
    return { applied: names };
  }
  // Hold the lock on one dedicated connection while knex migrates on others; knex's own lock
  // table fails fast instead of waiting, which breaks N concurrent first runs.
  const connection = await knex.client.acquireConnection();
  try {
    await connection.query("select pg_advisory_lock($1, $2)", [ADVISORY_LOCK_CLASS, MIGRATION_LOCK_ID]);
    try {
      const [, names] = (await knex.migrate.latest(config)) as [number, string[]];
      return { applied: names };
    } finally {
      await connection.query("select pg_advisory_unlock($1, $2)", [ADVISORY_LOCK_CLASS, MIGRATION_LOCK_ID]);
    }
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

async function isUpToDate(knex: Knex): Promise<boolean> {
  const result = await knex
    .raw(
      `select case when to_regclass(?) is null then null
       else (select coalesce(array_agg(name order by name), '{}') from ${MIGRATIONS_TABLE}) end as names`,
      [MIGRATIONS_TABLE],
    )
    .catch(() => null);
  const names = result?.rows?.[0]?.names as string[] | null | undefined;
  return Array.isArray(names) && MIGRATION_NAMES.every((n) => names.includes(n));
}
