import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Knex } from "knex";
import { type DatabaseSource, fail, type IssueDetailsByCode, WorkflowSeederError } from "../errors.js";
import { EMBEDDED_WRITE_DOCUMENTS, type WriteDocumentConfig } from "./sql-toolkit.js";

/** Where the embedded database lives by default, relative to the project directory. */
export const DEFAULT_EMBEDDED_DATA_DIR = ".workflow-seeder/pglite";

/** How long a process waits for another one to release the embedded database. */
export const DEFAULT_EMBEDDED_LOCK_WAIT_MS = 120_000;

/**
 * knex's logger writes warnings with console.log, i.e. on stdout, with stack traces ("Acquire
 * connection error: Error: connect ECONNREFUSED ... at ..."): that would corrupt `--json` output
 * and show a stack for an expected failure. Every such failure also reaches the caller as an
 * error (mapped to DATABASE_UNAVAILABLE / DATABASE_ERROR), so the log lines are dropped.
 */
const QUIET_KNEX_LOG = {
  warn() {},
  error() {},
  deprecate() {},
  debug() {},
};

/** A PostgreSQL server reached with `pg`. */
export interface PostgresTarget {
  kind: "postgres";
  /** Connection string or `pg` connection object. */
  connection: string | Knex.PgConnectionConfig;
  /** Where the setting came from: `flag`, `env`, `knexfile` or `api`. */
  source: string;
}

/** The embedded PGlite database; `dataDir: null` is in memory (tests). */
export interface EmbeddedTarget {
  kind: "embedded";
  dataDir: string | null;
  source: string;
}

export type DatabaseTarget = PostgresTarget | EmbeddedTarget;

/** An open database: a knex instance and how to close everything it holds. */
export interface Database {
  readonly knex: Knex;
  readonly target: DatabaseTarget;
  /** Closes the pool (and, for the embedded database, the socket, PGlite and the lock). */
  close(): Promise<void>;
}

/** What {@link resolveDatabaseTarget} chooses from, in precedence order. */
export interface ResolveTargetOptions {
  /** `--database-url` */
  flagUrl?: string | undefined;
  /** `DATABASE_URL` */
  envUrl?: string | undefined;
  /** The selected knexfile environment, when a knexfile exists and has one. */
  knexfileEnvironment?: KnexfileEnvironment | undefined;
  /** Absolute path of the default embedded data directory. */
  defaultDataDir: string;
}

/** One environment of a knexfile: a `pg` connection, or the embedded database. */
export interface KnexfileEnvironment {
  client?: string;
  connection?: string | Knex.PgConnectionConfig | { dataDir?: string } | null;
}

/**
 * Chooses the database: `--database-url` > `DATABASE_URL` > the knexfile environment > the
 * embedded PGlite database in `defaultDataDir`.
 */
export function resolveDatabaseTarget(options: ResolveTargetOptions): DatabaseTarget {
  if (options.flagUrl) return { kind: "postgres", connection: options.flagUrl, source: "flag" };
  if (options.envUrl) return { kind: "postgres", connection: options.envUrl, source: "env" };
  const env = options.knexfileEnvironment;
  if (env?.connection) {
    if (env.client === "pglite") {
      const dataDir = (env.connection as { dataDir?: string }).dataDir;
      return { kind: "embedded", dataDir: dataDir ?? options.defaultDataDir, source: "knexfile" };
    }
    return { kind: "postgres", connection: env.connection as string | Knex.PgConnectionConfig, source: "knexfile" };
  }
  return { kind: "embedded", dataDir: options.defaultDataDir, source: "default" };
}

/** A printable description of a target, without passwords. */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  if (target.kind === "embedded")
    return target.dataDir === null ? "embedded PGlite (in memory)" : `embedded PGlite (${target.dataDir})`;
  if (typeof target.connection === "string") {
    try {
      const url = new URL(target.connection);
      if (url.password) url.password = "***";
      return url.toString();
    } catch {
      return "postgres (unparsable connection string)";
    }
  }
  const c = target.connection;
  return `postgres://${c.user ?? ""}@${c.host ?? "localhost"}:${c.port ?? 5432}/${c.database ?? ""}`;
}

/** The server version knex is told instead of asking for it (see {@link openDatabase}). */
const KNEX_PG_VERSION = "15.0";

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Pool size for a PostgreSQL server (the embedded database always has one connection). Default 4. */
  poolMax?: number;
  /** How long to wait for another process holding the embedded database. */
  embeddedLockWaitMs?: number;
  /** Called with progress notes (e.g. the first creation of the embedded database). */
  onNote?: (message: string) => void;
  /**
   * An in-memory embedded database (`dataDir: null`) starts as a copy of this image (from
   * {@link dumpEmbeddedDatabase}) instead of empty: tests use it to skip initdb and migrations.
   * Ignored for a data directory and for PostgreSQL. Default: none.
   */
  embeddedImage?: Blob;
}

/**
 * Opens a database. Both kinds are reached through knex with the `pg` driver: the embedded PGlite
 * database is served on a private Unix socket by `@electric-sql/pglite-socket`, so SQL, type
 * parsing and errors are the same as on a real server.
 */
export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<Database> {
  const { default: knexFactory } = await import("knex");
  if (target.kind === "postgres") {
    const knex = knexFactory({
      client: "pg",
      connection: target.connection,
      pool: { min: 0, max: options.poolMax ?? 4 },
      acquireConnectionTimeout: 30_000,
      // Given, knex skips its own `select version()` on every new connection: when that probe fails
      // (a statement_timeout of 1 ms, a server cancelling it) knex leaves the connection's socket open
      // and the process never exits. knex reads the version only to create json columns (>= 9.2),
      // which the migrations write in plain SQL.
      version: KNEX_PG_VERSION,
      log: QUIET_KNEX_LOG,
    });
    try {
      await knex.raw("select 1");
    } catch (error) {
      await knex.destroy();
      fail("DATABASE_UNAVAILABLE", unavailableDetails(target, error), error);
    }
    return { knex, target, close: () => knex.destroy() };
  }
  return openEmbeddedDatabase(target, knexFactory, options);
}

const DATABASE_SOURCES: ReadonlySet<string> = new Set<DatabaseSource>(["flag", "env", "knexfile", "default"]);

/** The details of `DATABASE_UNAVAILABLE` for a target that could not be opened: where, why, and where its settings came from. */
function unavailableDetails(target: DatabaseTarget, error: unknown): IssueDetailsByCode["DATABASE_UNAVAILABLE"] {
  return {
    target: describeDatabaseTarget(target),
    reason: describeConnectError(error),
    ...(DATABASE_SOURCES.has(target.source) ? { source: target.source as DatabaseSource } : {}),
  };
}

// Network errors that mean nothing answers at that address.
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOENT",
]);

function describeConnectError(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { code?: string; message?: string };
    if (e.code !== undefined && UNREACHABLE_CODES.has(e.code))
      return `the server is not reachable (${e.code === "ECONNREFUSED" ? "connection refused" : e.code})`;
    if (e.code === "3D000") return e.message ?? "database does not exist";
    if (e.code === "28P01" || e.code === "28000") return e.message ?? "authentication failed";
    if (e.message) return e.message;
  }
  return String(error);
}

async function openEmbeddedDatabase(
  target: EmbeddedTarget,
  knexFactory: (config: Knex.Config) => Knex,
  options: OpenDatabaseOptions,
): Promise<Database> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-socket"),
  ]);
  let releaseLock: (() => Promise<void>) | undefined;
  if (target.dataDir !== null) {
    await mkdir(target.dataDir, { recursive: true });
    releaseLock = await acquireDataDirLock(target.dataDir, options.embeddedLockWaitMs ?? DEFAULT_EMBEDDED_LOCK_WAIT_MS);
  }
  const socketDir = await mkdtemp(join(tmpdir(), "wfs-pglite-"));
  let pglite: InstanceType<typeof PGlite> | undefined;
  let server: InstanceType<typeof PGLiteSocketServer> | undefined;
  try {
    if (target.dataDir !== null && !(await isInitialized(target.dataDir)))
      options.onNote?.(`creating the embedded database in ${target.dataDir} (first run only, a few seconds)`);
    pglite =
      target.dataDir !== null
        ? await PGlite.create(target.dataDir)
        : await PGlite.create(options.embeddedImage ? { loadDataDir: options.embeddedImage } : {});
    // pg looks for "<host>/.s.PGSQL.<port>" when host is a directory.
    server = new PGLiteSocketServer({ db: pglite, path: join(socketDir, ".s.PGSQL.5432") });
    await server.start();
  } catch (error) {
    await pglite?.close().catch(() => undefined);
    await rm(socketDir, { recursive: true, force: true });
    await releaseLock?.();
    if (error instanceof WorkflowSeederError) throw error;
    fail("DATABASE_UNAVAILABLE", unavailableDetails(target, error), error);
  }
  const config: Knex.Config & WriteDocumentConfig = {
    client: "pg",
    connection: { host: socketDir, port: 5432, user: "postgres", database: "postgres" },
    // PGlite is one backend: a second pooled connection would interleave transactions.
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 600_000,
    version: KNEX_PG_VERSION,
    log: QUIET_KNEX_LOG,
    ...EMBEDDED_WRITE_DOCUMENTS,
  };
  const knex = knexFactory(config);
  let closed = false;
  const database: Database = {
    knex,
    target,
    async close() {
      if (closed) return;
      closed = true;
      await knex.destroy();
      await server?.stop();
      await pglite?.close();
      await rm(socketDir, { recursive: true, force: true });
      await releaseLock?.();
    },
  };
  embeddedInstances.set(database, pglite);
  return database;
}

/** The PGlite behind each open embedded database, for {@link dumpEmbeddedDatabase}. */
const embeddedInstances = new WeakMap<Database, { dumpDataDir(compression?: "none"): Promise<Blob | File> }>();

/**
 * An image of an open embedded database's data directory, to start others from
 * (`embeddedImage`). Throws for a PostgreSQL database.
 *
 * @example const image = await dumpEmbeddedDatabase(db); await openDatabase(target, { embeddedImage: image })
 */
export async function dumpEmbeddedDatabase(database: Database): Promise<Blob> {
  const pglite = embeddedInstances.get(database);
  if (!pglite) throw new Error("dumpEmbeddedDatabase: not an open embedded database");
  return pglite.dumpDataDir("none");
}

async function isInitialized(dataDir: string): Promise<boolean> {
  const { access } = await import("node:fs/promises");
  try {
    await access(join(dataDir, "PG_VERSION"));
    return true;
  } catch {
    return false;
  }
}

/**
 * PGlite cannot be shared between processes: an exclusive lock (proper-lockfile, refreshed while
 * held, considered stale after the holder stops refreshing it) serializes them.
 */
async function acquireDataDirLock(dataDir: string, waitMs: number): Promise<() => Promise<void>> {
  const lockfile = await import("proper-lockfile");
  const started = Date.now();
  for (;;) {
    try {
      const release = await lockfile.lock(dataDir, { stale: 15_000, update: 5_000, realpath: false });
      return release;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "ELOCKED") throw error;
      const waited = Date.now() - started;
      if (waited >= waitMs) fail("EMBEDDED_DATABASE_BUSY", { dataDir, waitedMs: waited });
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 150)));
    }
  }
}
