/**
 * Alga PSA's Workflow Runtime V2 tables in their plain-PostgreSQL shape, written by hand from
 * ../shared/reference/alga-workflow-runtime.md section 4: Alga's column lists, primary keys and
 * foreign keys, and WITHOUT the unique (tenant, key) that Alga lost on plain Postgres. Independent
 * of src/db/migrations.ts on purpose: the adoption test checks the tool against it.
 */
export const ALGA_PLAIN_POSTGRES_DDL = `
create table knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz);
insert into knex_migrations (name, batch, migration_time) values ('20251221175000_add_workflow_definition_metadata.cjs', 1, now());

create table workflow_definitions (
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
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  primary key (tenant, workflow_id)
);
create index workflow_definitions_tenant_key_index on workflow_definitions (tenant, key);

create table workflow_definition_versions (
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
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  primary key (tenant, version_id),
  constraint workflow_definition_versions_workflow_version_unique unique (tenant, workflow_id, version),
  foreign key (tenant, workflow_id) references workflow_definitions (tenant, workflow_id) on delete cascade
);

create table workflow_runs (
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
  started_at timestamptz default now(),
  completed_at timestamptz,
  updated_at timestamptz default now(),
  primary key (tenant, run_id),
  foreign key (tenant, workflow_id) references workflow_definitions (tenant, workflow_id) on delete cascade
);
create index workflow_runs_status_index on workflow_runs (tenant, status);

create table workflow_run_steps (
  tenant uuid not null,
  step_id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  step_path text not null,
  definition_step_id text,
  status text not null,
  attempt integer default 1,
  duration_ms integer,
  error_json jsonb,
  snapshot_id uuid,
  started_at timestamptz default now(),
  completed_at timestamptz,
  primary key (tenant, step_id),
  foreign key (tenant, run_id) references workflow_runs (tenant, run_id) on delete cascade
);

create table workflow_run_waits (
  tenant uuid not null,
  wait_id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  step_path text not null,
  wait_type text not null,
  key text,
  event_name text,
  timeout_at timestamptz,
  status text default 'WAITING',
  payload jsonb,
  created_at timestamptz default now(),
  resolved_at timestamptz,
  primary key (tenant, wait_id),
  foreign key (tenant, run_id) references workflow_runs (tenant, run_id) on delete cascade
);

create table workflow_action_invocations (
  tenant uuid not null,
  invocation_id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  step_path text not null,
  action_id text not null,
  action_version integer not null,
  idempotency_key text not null,
  status text not null,
  attempt integer default 1,
  lease_owner text,
  lease_expires_at timestamptz,
  input_json jsonb,
  output_json jsonb,
  error_message text,
  created_at timestamptz default now(),
  started_at timestamptz,
  completed_at timestamptz,
  primary key (tenant, invocation_id),
  unique (action_id, action_version, idempotency_key),
  foreign key (tenant, run_id) references workflow_runs (tenant, run_id) on delete cascade
);

create table workflow_run_snapshots (
  tenant uuid not null,
  snapshot_id uuid not null default gen_random_uuid(),
  run_id uuid not null,
  step_path text,
  envelope_json jsonb not null,
  size_bytes integer,
  created_at timestamptz default now(),
  primary key (tenant, snapshot_id),
  foreign key (tenant, run_id) references workflow_runs (tenant, run_id) on delete cascade
);

create table workflow_runtime_events (
  tenant uuid not null,
  event_id uuid not null default gen_random_uuid(),
  event_name text not null,
  correlation_key text,
  payload jsonb,
  created_at timestamptz default now(),
  processed_at timestamptz,
  primary key (tenant, event_id)
);
`;

/** The tables {@link ALGA_PLAIN_POSTGRES_DDL} creates. */
export const ALGA_PLAIN_POSTGRES_TABLES = [
  "knex_migrations",
  "workflow_definitions",
  "workflow_definition_versions",
  "workflow_runs",
  "workflow_run_steps",
  "workflow_run_waits",
  "workflow_action_invocations",
  "workflow_run_snapshots",
  "workflow_runtime_events",
] as const;
