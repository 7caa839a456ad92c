/**
 * The floor: the same rows loaded with `COPY` in one transaction (`FROM STDIN` with pg-copy-streams
 * on a server). Nothing the server does per row can be skipped beyond this. Bench only.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Knex } from "knex";
import type { ClientBase } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { SeedRecord } from "../src/db/seed-store.js";
import type { VersionRow, WorkflowRow } from "../src/db/workflow-store.js";

const WORKFLOW_COPY_COLUMNS = [
  "workflow_id",
  "key",
  "name",
  "description",
  "payload_schema_ref",
  "payload_schema_mode",
  "pinned_payload_schema_ref",
  "trigger",
  "draft_definition",
  "draft_version",
  "status",
  "is_system",
  "is_visible",
  "is_paused",
  "concurrency_limit",
  "auto_pause_on_failure",
  "failure_rate_threshold",
  "failure_rate_min_runs",
  "retention_policy_override",
] as const satisfies readonly (keyof WorkflowRow)[];

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One field in COPY text format: `\N` for null, objects as JSON, the four specials escaped. */
export function formatCopyField(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : text;
}

function formatCopyLine(fields: readonly unknown[]): string {
  let line = "";
  for (let i = 0; i < fields.length; i++) line += (i === 0 ? "" : "\t") + formatCopyField(fields[i]);
  return `${line}\n`;
}

/** COPY text of `workflow_definitions` rows (tenant first). */
export function formatWorkflowCopyText(tenant: string, rows: readonly WorkflowRow[]): string[] {
  return rows.map((row) => formatCopyLine([tenant, ...WORKFLOW_COPY_COLUMNS.map((c) => row[c])]));
}

/** COPY text of `workflow_definition_versions` rows. */
export function formatVersionCopyText(tenant: string, rows: readonly VersionRow[]): string[] {
  return rows.map((v) => formatCopyLine([tenant, v.workflow_id, v.version, v.definition_json, v.payload_schema_json]));
}

/** COPY text of seed records. */
export function formatSeedCopyText(tenant: string, records: readonly SeedRecord[]): string[] {
  return records.map((r) =>
    formatCopyLine([
      tenant,
      r.name,
      r.checksum,
      r.checksumAlgorithm,
      r.appliedAt,
      r.toolVersion,
      r.baseline,
      r.workflows,
    ]),
  );
}

/** The head of each COPY statement, with the columns the text carries (the rest take their defaults). */
export const COPY_SQL = {
  workflows: `copy workflow_definitions (tenant, ${WORKFLOW_COPY_COLUMNS.map((c) => `"${c}"`).join(", ")})`,
  versions: "copy workflow_definition_versions (tenant, workflow_id, version, definition_json, payload_schema_json)",
  seeds:
    "copy workflow_seeder_seeds (tenant, name, checksum, checksum_algorithm, applied_at, tool_version, baseline, workflows)",
} as const;

/** Statements and COPYs inside one transaction. */
export interface CopyTransaction {
  exec(sql: string): Promise<void>;
  /** Loads lines of COPY text with `<copyHead> FROM ...`. */
  copy(copyHead: string, lines: readonly string[]): Promise<void>;
}

/** Where COPY goes: a server through pg, or PGlite directly. */
export interface CopyTarget {
  /** Runs `fn` in one transaction (rolled back when it throws). */
  inTransaction(fn: (tx: CopyTransaction) => Promise<void>): Promise<void>;
}

interface PoolClient {
  acquireConnection(): Promise<ClientBase>;
  releaseConnection(connection: ClientBase): Promise<void>;
}

function* chunkLines(lines: readonly string[]): Generator<string> {
  let chunk = "";
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= 65536) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** COPY FROM STDIN with pg-copy-streams on one `pg` connection, 64 KiB per write. */
export function createPgClientCopyTarget(client: ClientBase): CopyTarget {
  return {
    async inTransaction(fn) {
      await client.query("begin");
      try {
        await fn({
          exec: async (sql) => {
            await client.query(sql);
          },
          copy: async (head, lines) => {
            if (lines.length > 0)
              await pipeline(Readable.from(chunkLines(lines)), client.query(copyFrom(`${head} from stdin`)));
          },
        });
        await client.query("commit");
      } catch (error) {
        await client.query("rollback").catch(() => undefined);
        throw error;
      }
    },
  };
}

/** {@link createPgClientCopyTarget} on a raw connection of knex's pool. */
export function createPgCopyTarget(knex: Knex): CopyTarget {
  return {
    async inTransaction(fn) {
      const pool = knex.client as unknown as PoolClient;
      const client = await pool.acquireConnection();
      try {
        await createPgClientCopyTarget(client).inTransaction(fn);
      } finally {
        await pool.releaseConnection(client);
      }
    },
  };
}

/** The part of a PGlite instance the COPY floor uses. */
export interface PgliteLike {
  transaction<T>(fn: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
}

/** The part of a PGlite transaction the COPY floor uses. */
export interface PgliteTransactionLike {
  exec(sql: string): Promise<unknown>;
  query(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
}

/**
 * COPY on PGlite itself, `FROM '/dev/blob'`: pglite-socket runs each wire message on its own, so
 * COPY FROM STDIN's CopyData messages never reach the backend (it fails with "unexpected EOF").
 */
export function createPgliteCopyTarget(pglite: PgliteLike): CopyTarget {
  return {
    async inTransaction(fn) {
      await pglite.transaction(async (tx) => {
        await fn({
          exec: async (sql) => {
            await tx.exec(sql);
          },
          copy: async (head, lines) => {
            if (lines.length > 0)
              await tx.query(`${head} from '/dev/blob'`, [], { blob: new Blob([...chunkLines(lines)]) });
          },
        });
      });
    },
  };
}

/** Loads rows with COPY in one transaction: definitions, then versions. */
export async function loadByCopy(
  target: CopyTarget,
  tenant: string,
  rows: { workflows: readonly WorkflowRow[]; versions: readonly VersionRow[] },
): Promise<void> {
  await target.inTransaction(async (tx) => {
    await tx.copy(COPY_SQL.workflows, formatWorkflowCopyText(tenant, rows.workflows));
    await tx.copy(COPY_SQL.versions, formatVersionCopyText(tenant, rows.versions));
  });
}
