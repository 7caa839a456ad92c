import type { Knex } from "knex";
import { fail } from "../errors.js";
import { isUuidString } from "../format/uuid-string.js";
import { selectJson } from "./sql-toolkit.js";

/**
 * The tenant used when neither `--tenant` nor `WORKFLOW_SEEDER_TENANT` is given: a fixed
 * development tenant, so a fresh checkout seeds somewhere predictable. On a database with Alga's
 * `tenants` table, {@link resolveDefaultTenant} decides instead.
 */
export const DEFAULT_DEV_TENANT = "00000000-0000-0000-0000-000000000001";

/** Throws `INVALID_TENANT` unless `tenant` is a UUID. */
export function assertTenant(tenant: string): void {
  if (!isUuidString(tenant)) fail("INVALID_TENANT", { received: tenant });
}

/** One row of Alga's `tenants` table: its id and, when the table has one, its company name. */
export interface TenantListing {
  tenant: string;
  name: string | null;
}

/**
 * The tenants of Alga's `tenants` table (`tenant uuid` primary key, `company_name`), or null when
 * the database has no such table (the tool's own databases) or its rows have no `tenant` column.
 * Read as JSON so a column Alga's table lacks reads as null instead of failing.
 */
export async function selectAlgaTenants(knex: Knex): Promise<TenantListing[] | null> {
  const table = await knex.raw("select to_regclass('tenants') is not null as present");
  if (!table.rows[0]?.present) return null;
  const rows = await selectJson<{ tenant: string | null; name: string | null }>(
    knex,
    `select to_jsonb(t)->>'tenant' as tenant, to_jsonb(t)->>'company_name' as name from tenants t order by 1`,
    [],
  );
  if (rows.some((r) => r.tenant === null || !isUuidString(r.tenant))) return null;
  return rows as TenantListing[];
}

/**
 * The tenant a command uses when none is named: `fallback` (default {@link DEFAULT_DEV_TENANT})
 * unless the database has Alga's `tenants` table without it; then the only tenant there is, or
 * `INVALID_TENANT` listing the tenants (details `tenants`), so that nothing is written into a
 * tenant that does not exist.
 */
export async function resolveDefaultTenant(knex: Knex, fallback: string = DEFAULT_DEV_TENANT): Promise<string> {
  const tenants = await selectAlgaTenants(knex);
  if (tenants === null) return fallback;
  if (tenants.some((t) => t.tenant.toLowerCase() === fallback.toLowerCase())) return fallback;
  const [only, ...others] = tenants;
  if (only !== undefined && others.length === 0) return only.tenant;
  fail("INVALID_TENANT", { received: fallback, tenants });
}
