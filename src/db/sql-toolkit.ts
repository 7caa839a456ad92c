import type { Knex } from "knex";

/**
 * The one way this project reads rows and writes many rows. Reads are one `json_agg` document
 * (the driver parses it in one go: jsonb columns come back parsed, timestamps as ISO strings);
 * writes of N rows are one statement over a `jsonb_to_recordset` document, whatever N, driven by a
 * column table per relation. Every write filters on, or writes, the tenant. Table and column names
 * are the project's constants, never user input; values always travel as bindings.
 */

/** A PostgreSQL type a document field is read as (`jsonb_to_recordset` casts the JSON value to it). */
export type SqlType = "uuid" | "text" | "integer" | "boolean" | "numeric" | "jsonb" | "timestamptz";

/** One column of a relation: a column of the table, a field of its rows, and the type it is read as. */
export type Column<Row> = readonly [name: keyof Row & string, type: SqlType];

/**
 * A table as bulk writes see it: its name, the columns its rows carry (written as they are), and
 * the columns that identify a row within a tenant (what updates match on; never assigned).
 *
 * @example const RUNS: Relation<RunRow> = { table: "workflow_runs", key: ["run_id"], columns: [["run_id", "uuid"], ...] };
 */
export interface Relation<Row> {
  readonly table: string;
  readonly columns: readonly Column<Row>[];
  readonly key: readonly [keyof Row & string, ...(keyof Row & string)[]];
}

/** An SQL snippet and its `?` bindings, in order: `{ sql: "?::uuid", bindings: [actor] }`. */
export interface SqlFragment {
  readonly sql: string;
  readonly bindings?: readonly unknown[];
}

/**
 * A column written from an SQL expression rather than from the rows: it replaces the relation's
 * column of the same name, or adds one. The expression may read the document's record as `r`.
 */
export interface ComputedColumn extends SqlFragment {
  readonly column: string;
}

/** Options of {@link insertRows}. */
export interface InsertRowsOptions<Row> {
  /** Columns written from SQL expressions (audit columns, generated ids, values copied from a join). */
  computed?: readonly ComputedColumn[];
  /** Fields of the rows read from the document for `computed` or `join`, but not written. */
  inputs?: readonly Column<Row>[];
  /** Joined to the document: `left join workflow_definitions d on ...`. */
  join?: SqlFragment;
  /** `"do nothing"`: a row that conflicts with an existing one is skipped (another transaction won). */
  onConflict?: "do nothing";
}

/** Options of {@link updateRows}. */
export interface UpdateRowsOptions {
  /** Columns assigned from SQL expressions (`updated_at = now()`). */
  computed?: readonly ComputedColumn[];
}

/**
 * Reads the rows of a query as one JSON array, in one round trip (`[]` when there is none).
 *
 * @example const rows = await selectJson<{ key: string }>(knex, "select key from workflow_definitions where tenant = ?", [tenant]);
 */
export async function selectJson<T>(knex: Knex, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const result = await knex.raw(`select coalesce(json_agg(q), '[]'::json) as rows from (${sql}) q`, bindings as never);
  return result.rows[0].rows as T[];
}

/** The relation's columns qualified by a table alias, for a select list: `d."workflow_id", d."key", ...`. */
export function qualifiedColumns<Row>(relation: Relation<Row>, alias: string): string {
  return relation.columns.map(([name]) => `${alias}."${name}"`).join(", ");
}

/** `jsonb_to_recordset(?::jsonb) as r(...)` over the given columns. */
function recordset<Row>(columns: readonly Column<Row>[]): string {
  return `jsonb_to_recordset(?::jsonb) as r(${columns.map(([name, type]) => `"${name}" ${type}`).join(", ")})`;
}

/** The written columns: the relation's (or their computed replacement), then the other computed ones. */
function writtenColumns<Row>(relation: Relation<Row>, computed: readonly ComputedColumn[]): ComputedColumn[] {
  const byName = new Map(computed.map((c) => [c.column, c]));
  const names = new Set<string>(relation.columns.map(([name]) => name));
  return [
    ...relation.columns.map(([name]) => byName.get(name) ?? { column: name, sql: `r."${name}"` }),
    ...computed.filter((c) => !names.has(c.column)),
  ];
}

/**
 * Inserts rows for the tenant in one statement:
 * `insert into <table> (tenant, <columns>) select ?, r.<column>... from jsonb_to_recordset(?) as r(...)`.
 * Does nothing for no rows.
 */
export async function insertRows<Row>(
  trx: Knex.Transaction,
  tenant: string,
  relation: Relation<Row>,
  rows: readonly Row[],
  options: InsertRowsOptions<Row> = {},
): Promise<void> {
  if (rows.length === 0) return;
  const columns = writtenColumns(relation, options.computed ?? []);
  const statement = [
    `insert into ${relation.table} (tenant, ${columns.map((c) => `"${c.column}"`).join(", ")})`,
    `select ?::uuid, ${columns.map((c) => c.sql).join(", ")}`,
    `from ${recordset([...relation.columns, ...(options.inputs ?? [])])}`,
    options.join?.sql,
    options.onConflict === undefined ? undefined : `on conflict ${options.onConflict}`,
  ];
  await trx.raw(statement.filter((line) => line !== undefined).join("\n"), [
    tenant,
    ...columns.flatMap((c) => c.bindings ?? []),
    JSON.stringify(rows),
    ...(options.join?.bindings ?? []),
  ] as never);
}

/**
 * Overwrites rows of the tenant in one statement, matching them on the relation's key: every
 * other column is assigned from the rows. Does nothing for no rows.
 */
export async function updateRows<Row>(
  trx: Knex.Transaction,
  tenant: string,
  relation: Relation<Row>,
  rows: readonly Row[],
  options: UpdateRowsOptions = {},
): Promise<void> {
  if (rows.length === 0) return;
  const key = new Set<string>(relation.key);
  const columns = writtenColumns(relation, options.computed ?? []).filter((c) => !key.has(c.column));
  await trx.raw(
    `update ${relation.table} as t set ${columns.map((c) => `"${c.column}" = ${c.sql}`).join(", ")}
     from ${recordset(relation.columns)}
     where t.tenant = ? and ${relation.key.map((name) => `t."${name}" = r."${name}"`).join(" and ")}`,
    [...columns.flatMap((c) => c.bindings ?? []), JSON.stringify(rows), tenant] as never,
  );
}
