import { fail } from "../errors.js";
import { isUuidString } from "../format/uuid-string.js";

/**
 * The tenant used when neither `--tenant` nor `WORKFLOW_SEEDER_TENANT` is given: a fixed
 * development tenant, so a fresh checkout seeds somewhere predictable.
 */
export const DEFAULT_DEV_TENANT = "00000000-0000-0000-0000-000000000001";

/** Throws `INVALID_TENANT` unless `tenant` is a UUID. */
export function assertTenant(tenant: string): void {
  if (!isUuidString(tenant)) fail("INVALID_TENANT", { received: tenant });
}
