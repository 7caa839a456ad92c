/**
 * Test databases: a fresh database on the real PostgreSQL server per test file, and an in-memory
 * PGlite database reached through the same knex + pg path the product uses. Both migrated.
 */
import { randomBytes } from "node:crypto";
import knexFactory, { type Knex } from "knex";
import { type Database, dumpEmbeddedDatabase, openDatabase } from "../../src/db/connection.js";
import { migrateToLatest } from "../../src/db/migrations.js";

/** The server the integration tests use (CI starts it; see .ci/run). */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A database for one test file, with a way to drop it. */
export interface TestDatabase extends Database {
  /** "postgres" or "pglite", for test titles. */
  engine: "postgres" | "pglite";
  /** A connection string (PostgreSQL only), for spawning CLI processes against it. */
  url: string | null;
}

function adminKnex(): Knex {
  return knexFactory({ client: "pg", connection: TEST_POSTGRES_URL, pool: { min: 0, max: 1 } });
}

/** Creates a fresh, migrated database on the PostgreSQL server; `close()` drops it. */
export async function createPostgresDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `wfs_test_${randomBytes(6).toString("hex")}`;
  const admin = adminKnex();
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  // The harness's own sessions ignore timeouts that a fault test sets on the database (`alter
  // database ... set statement_timeout`): a check made after the fault must not be cancelled by it.
  const connection = { connectionString: url.toString(), statement_timeout: 0, idle_in_transaction_session_timeout: 0 };
  const db = await openDatabase({ kind: "postgres", connection, source: "api" }, { poolMax: 10 });
  if (options.migrate !== false) await migrateToLatest(db.knex, { advisoryLock: true });
  return {
    ...db,
    engine: "postgres",
    url: url.toString(),
    async close() {
      await db.close();
      const drop = adminKnex();
      try {
        await drop.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await drop.destroy();
      }
    },
  };
}

/**
 * A migrated in-memory PGlite database's image, made once per process: every later migrated
 * database starts from a copy of it, which skips initdb and the migrations (seconds of CPU each).
 */
let migratedImage: Promise<Blob> | undefined;

function migratedPgliteImage(): Promise<Blob> {
  migratedImage ??= (async () => {
    const db = await openDatabase({ kind: "embedded", dataDir: null, source: "api" });
    try {
      await migrateToLatest(db.knex);
      return await dumpEmbeddedDatabase(db);
    } finally {
      await db.close();
    }
  })();
  return migratedImage;
}

/** Creates a migrated in-memory PGlite database (or an empty one with `migrate: false`). */
export async function createPgliteDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const target = { kind: "embedded", dataDir: null, source: "api" } as const;
  const db =
    options.migrate === false
      ? await openDatabase(target)
      : await openDatabase(target, { embeddedImage: await migratedPgliteImage() });
  return { ...db, engine: "pglite", url: null, close: db.close };
}

/** The engines every integration suite runs on. */
export const ENGINES = [
  { name: "postgres", create: createPostgresDatabase },
  { name: "pglite", create: createPgliteDatabase },
] as const;

/**
 * Declares a suite once per engine: `fn` gets a getter for the database, opened before the suite
 * and closed after it.
 */
export function describeEachEngine(title: string, fn: (db: () => TestDatabase) => void): void {
  for (const engine of ENGINES) {
    describe(`${title} [${engine.name}]`, () => {
      let db: TestDatabase | undefined;
      before(async function () {
        this.timeout(120_000);
        db = await engine.create();
      });
      after(async () => {
        await db?.close();
      });
      fn(() => {
        if (!db) throw new Error("database not open");
        return db;
      });
    });
  }
}

/** Row counts and a content hash of every workflow table of a tenant (or all tenants). */
export async function fingerprint(knex: Knex, tenant?: string): Promise<Record<string, string>> {
  const tables = [
    "workflow_definitions",
    "workflow_definition_versions",
    "workflow_runs",
    "workflow_run_steps",
    "workflow_run_waits",
    "workflow_action_invocations",
    "workflow_seeder_seeds",
  ];
  const result: Record<string, string> = {};
  for (const table of tables) {
    const where = tenant ? "where t.tenant = ?" : "";
    const r = await knex.raw(
      `select count(*)::int as n, coalesce(md5(string_agg(to_jsonb(t)::text, '|' order by to_jsonb(t)::text)), '') as h from ${table} t ${where}`,
      tenant ? [tenant] : [],
    );
    result[table] = `${r.rows[0].n}:${r.rows[0].h}`;
  }
  return result;
}
