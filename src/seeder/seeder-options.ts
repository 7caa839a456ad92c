import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { DEFAULT_SEED_LOCK_TIMEOUT_MS } from "../db/seed-store.js";
import { assertTenant } from "../db/tenant.js";
import type { ConflictPolicy } from "../import/import-bundle.js";

/** What `up` does when an applied seed's file changed. */
export type OnChangePolicy = "fail" | "reapply" | "warn";

/** The default: refuse to run (`SEED_CHECKSUM_MISMATCH`). */
export const DEFAULT_ON_CHANGE: OnChangePolicy = "fail";

/** A progress event of a long run (the CLI shows them on a terminal). */
export interface SeedProgress {
  tenant: string;
  seed: string;
  index: number;
  total: number;
  phase: "applying" | "applied" | "skipped" | "reapplying" | "reverting" | "reverted";
}

/** Options shared by the seeder's operations. */
export interface SeederOptions {
  /** The seeds folder (absolute or relative to the process's directory). */
  dir: string;
  /** The tenant to act on. */
  tenant: string;
  /** Runtime catalog for the seeds' dependency checks. Default: Alga's registrations. */
  catalog?: RuntimeCatalog;
  /** Policy for keys that exist but were not created by the seeder. Default "fail" (the import's default). */
  onConflict?: ConflictPolicy;
  /** Written to created_by / updated_by / published_by. Default null. */
  actor?: string | null;
  /** How long to wait for another seeder of the same tenant. Default 5 minutes. */
  lockTimeoutMs?: number;
  /** The clock (applied_at). Default: `new Date()`. */
  now?: () => Date;
  onProgress?: (event: SeedProgress) => void;
  /**
   * Test hook: runs after a seed's workflows are written and before its record, inside the same
   * transaction (crash tests kill the process here).
   */
  beforeRecord?: (seed: string) => Promise<void>;
}

/** Options of the operations that apply seeds (`up`, `plan`). */
export interface SeedRunOptions extends SeederOptions {
  /** Apply pending seeds up to and including this one (a seed name, file name or version prefix). */
  to?: string;
  /** What to do when an applied seed's file changed. Default {@link DEFAULT_ON_CHANGE}. */
  onChange?: OnChangePolicy;
}

type Defaulted = "catalog" | "actor" | "lockTimeoutMs" | "now";

/** Options with the seeder's defaults applied; `onConflict` stays optional (the import owns its default). */
export type ResolvedSeederOptions<T extends SeederDefaultsInput = SeederOptions> = Omit<T, Defaulted> &
  Required<Pick<SeederOptions, Defaulted>>;

/** What {@link resolveSeederOptions} accepts: any operation's options that name a tenant. */
export type SeederDefaultsInput = Partial<Pick<SeederOptions, Defaulted>> & { tenant: string };

/**
 * Checks the tenant and applies the defaults every seed operation shares, once, where an
 * operation starts: the catalog (Alga's registrations), the actor (null), the lock timeout
 * ({@link DEFAULT_SEED_LOCK_TIMEOUT_MS}) and the clock. Options given win.
 */
export function resolveSeederOptions<T extends SeederDefaultsInput>(options: T): ResolvedSeederOptions<T> {
  assertTenant(options.tenant);
  return {
    ...options,
    catalog: options.catalog ?? DEFAULT_CATALOG,
    actor: options.actor ?? null,
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_SEED_LOCK_TIMEOUT_MS,
    now: options.now ?? (() => new Date()),
  };
}
