/**
 * Throw-away databases for the benchmark: a fresh database on the PostgreSQL server (dropped on
 * close), or an in-memory PGlite database, both migrated and reached through knex + pg.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import knexFactory, { type Knex } from "knex";
import { openDatabase } from "../src/db/connection.js";
import { migrateToLatest } from "../src/db/migrations.js";
import { EMBEDDED_WRITE_DOCUMENTS, type WriteDocumentConfig } from "../src/db/sql-toolkit.js";
import { type CopyTarget, createPgCopyTarget, createPgliteCopyTarget } from "./copy-load.js";

/** A database the benchmark owns. */
export interface BenchDatabase {
  engine: "postgres" | "pglite";
  knex: Knex;
  /** The connection string (PostgreSQL only). */
  url: string | null;
  /** Where the COPY floor loads rows. */
  copyTarget: CopyTarget;
  close(): Promise<void>;
}

async function withAdmin<T>(serverUrl: string, fn: (admin: Knex) => Promise<T>): Promise<T> {
  const admin = knexFactory({ client: "pg", connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    return await fn(admin);
  } finally {
    await admin.destroy();
  }
}

/** Creates an empty database on the server (not migrated); returns its url and how to drop it. */
export async function createEmptyPostgresDatabase(
  serverUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `wfs_bench_${randomBytes(6).toString("hex")}`;
  await withAdmin(serverUrl, (admin) => admin.raw(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(serverUrl, (admin) => admin.raw(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

/** A fresh, migrated database on the PostgreSQL server at `serverUrl`. */
export async function createBenchPostgres(serverUrl: string): Promise<BenchDatabase> {
  const empty = await createEmptyPostgresDatabase(serverUrl);
  const db = await openDatabase({ kind: "postgres", connection: empty.url, source: "api" }, { poolMax: 4 });
  await migrateToLatest(db.knex, { advisoryLock: true });
  return {
    engine: "postgres",
    knex: db.knex,
    url: empty.url,
    copyTarget: createPgCopyTarget(db.knex),
    async close() {
      await db.close();
      await empty.drop();
    },
  };
}

/**
 * A migrated in-memory PGlite database reached by knex + pg over pglite-socket, exactly as
 * `openDatabase({ kind: "embedded", dataDir: null })` builds it, but keeping the PGlite handle for
 * the COPY floor (which cannot go through the socket).
 */
export async function createBenchPglite(): Promise<BenchDatabase> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-socket"),
  ]);
  const socketDir = await mkdtemp(join(tmpdir(), "wfs-bench-pglite-"));
  const pglite = await PGlite.create();
  const server = new PGLiteSocketServer({ db: pglite, path: join(socketDir, ".s.PGSQL.5432") });
  await server.start();
  const config: Knex.Config & WriteDocumentConfig = {
    client: "pg",
    connection: { host: socketDir, port: 5432, user: "postgres", database: "postgres" },
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 600_000,
    // As openDatabase configures the embedded database.
    ...EMBEDDED_WRITE_DOCUMENTS,
  };
  const knex = knexFactory(config);
  await migrateToLatest(knex);
  return {
    engine: "pglite",
    knex,
    url: null,
    copyTarget: createPgliteCopyTarget(pglite),
    async close() {
      await knex.destroy();
      await server.stop();
      await pglite.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

/** Empties every workflow table (all tenants), outside any timing. */
export async function truncateWorkflowTables(knex: Knex): Promise<void> {
  await knex.raw("truncate workflow_definitions, workflow_definition_versions, workflow_seeder_seeds cascade");
}

/** Row counts of the two definition tables. */
export async function countWorkflowRows(knex: Knex): Promise<{ workflows: number; versions: number }> {
  const r = await knex.raw(
    "select (select count(*)::int from workflow_definitions) as workflows, (select count(*)::int from workflow_definition_versions) as versions",
  );
  return r.rows[0];
}
