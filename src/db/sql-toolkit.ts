import type { Knex } from "knex";

/**
 * The one way this project reads rows and writes many rows. Reads are one `json_agg` document
 * (the driver parses it in one go: jsonb columns come back parsed, timestamps as ISO strings);
 * writes of N rows are statements over `jsonb_to_recordset` documents of bounded size (one
 * statement per {@link MAX_DOCUMENT_CHARS} of rows, not one per row), driven by a column table
 * per relation. Every write filters on, or writes, the tenant. Table and column names are the
 * project's constants, never user input; values always travel as bindings.
 */

/**
 * A PostgreSQL type a document field is read as (`jsonb_to_recordset` casts the JSON value to it).
 * On a server a `jsonb` field travels as its JSON text, in a string, and is cast back (see
 * {@link rowEncoder} and {@link WriteDocumentConfig.jsonbAsText}).
 */
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

/**
 * The most JSON text one write statement carries (UTF-16 characters, ~256 KB for ASCII); more
 * rows go in further statements of the same transaction. `jsonb_to_recordset` materializes its
 * rows in a tuplestore that spills to a temporary file past `work_mem` (4 MB by default): one
 * 4 MB document of 1,970 workflows took 64 ms to expand with 3 MB of temp I/O, sixty-row
 * documents 0.1 ms each. A scale-10 import's inserts went from ~340 to ~210 ms.
 */
export const MAX_DOCUMENT_CHARS = 256 * 1024;

/**
 * The document bound of the embedded database (PGlite): large enough for any import to go in one
 * statement. PGlite runs in the client's thread, so nothing overlaps with its statements, and
 * each statement has a fixed cost there: a scale-10 import took 1.2-1.4x longer in 256 KB
 * documents than in one.
 */
export const EMBEDDED_MAX_DOCUMENT_CHARS = 512 * 1024 * 1024;

/**
 * The knex settings this project reads for its write documents (properties of the knex config;
 * `openDatabase` sets {@link EMBEDDED_WRITE_DOCUMENTS} for the embedded database).
 */
export interface WriteDocumentConfig {
  /** The document bound. Default {@link MAX_DOCUMENT_CHARS}. */
  maxDocumentChars?: number;
  /** Whether `jsonb` columns travel as strings of their JSON text (see {@link rowEncoder}). Default true. */
  jsonbAsText?: boolean;
}

/**
 * The embedded database's write documents: one per table, and `jsonb` columns as nested JSON. PGlite
 * (PostgreSQL compiled to WebAssembly, in the client's thread) parsed them as text more slowly than
 * it re-serialized them: a scale-10 import took 1.11x as long with them as text (20 rounds each).
 */
export const EMBEDDED_WRITE_DOCUMENTS = {
  maxDocumentChars: EMBEDDED_MAX_DOCUMENT_CHARS,
  jsonbAsText: false,
} as const satisfies WriteDocumentConfig;

function writeDocumentConfigOf(knex: Knex): WriteDocumentConfig {
  return (knex as { client?: { config?: WriteDocumentConfig } }).client?.config ?? {};
}

/** The document bound of the writes through `knex` (its config's `maxDocumentChars`). */
export function documentBoundOf(knex: Knex): number {
  return writeDocumentConfigOf(knex).maxDocumentChars ?? MAX_DOCUMENT_CHARS;
}

/** Whether the writes through `knex` send `jsonb` columns as text (its config's `jsonbAsText`). */
export function jsonbAsTextOf(knex: Knex): boolean {
  return writeDocumentConfigOf(knex).jsonbAsText ?? true;
}

/**
 * One document of {@link splitJsonDocuments}: a JSON array in `jsonb`'s binary input format (the
 * version byte 1, then the UTF-8 text), how many rows it holds, and whether it is the last.
 */
export interface JsonDocument {
  jsonb: Buffer;
  rows: number;
  last: boolean;
}

/** The JSON text of a {@link JsonDocument} (for tests and debugging). */
export function documentText(document: JsonDocument): string {
  return document.jsonb.toString("utf8", 1);
}

/**
 * Splits rows into JSON array documents of at most `maxChars` characters each (a single row
 * larger than that is a document of its own), lazily, so the caller can send one document while
 * the next is built (and `rows` may itself be lazy, a generator that builds each row when asked).
 * Every row is in exactly one document, in order.
 *
 * @example [...splitJsonDocuments([{ a: 1 }, { a: 2 }], 10)].map(documentText) // ['[{"a":1}]', '[{"a":2}]']
 */
export function* splitJsonDocuments(
  rows: Iterable<unknown>,
  maxChars = MAX_DOCUMENT_CHARS,
  encode: (row: unknown) => string = stringifyRow,
): Generator<JsonDocument> {
  let texts: string[] = [];
  let length = 2;
  for (const row of rows) {
    const text = encode(row);
    if (texts.length > 0 && length + text.length + 1 > maxChars) {
      yield { jsonb: encodeJsonbArray(texts), rows: texts.length, last: false };
      texts = [];
      length = 2;
    }
    texts.push(text);
    length += text.length + 1;
  }
  if (texts.length > 0) yield { jsonb: encodeJsonbArray(texts), rows: texts.length, last: true };
}

/**
 * `[` + the texts joined by commas + `]`, written as UTF-8 straight into one buffer after `jsonb`'s
 * binary format version byte. `pg` sends a buffer as a binary parameter, which the server reads
 * with `jsonb_recv` (the same parser as text input) for a `?::jsonb` parameter. Joining the texts
 * into one string first cost more than serializing them: 6.8 ms per MB of rows against 1 ms for
 * the buffer, and the driver then encoded the string to UTF-8 again.
 */
function encodeJsonbArray(texts: readonly string[]): Buffer {
  let size = 1 + 1 + texts.length; // version byte, "[", the commas and "]"
  for (const text of texts) size += Buffer.byteLength(text, "utf8");
  const bytes = Buffer.allocUnsafe(size);
  bytes[0] = JSONB_BINARY_VERSION;
  bytes[1] = 0x5b; // [
  let at = 2;
  for (const [index, text] of texts.entries()) {
    if (index > 0) bytes[at++] = 0x2c; // ,
    at += bytes.write(text, at, "utf8");
  }
  bytes[at] = 0x5d; // ]
  return bytes;
}

/** The first byte of `jsonb`'s binary send/receive format (the text follows it). */
const JSONB_BINARY_VERSION = 1;

/** A row's JSON text as it is (`undefined` as `null`). */
function stringifyRow(row: unknown): string {
  return JSON.stringify(row) ?? "null";
}

/**
 * Runs one statement per document in the transaction, in order, building each document while the
 * server runs the statement before it (`pg` takes one query at a time per connection). Stops at
 * the first failure and throws it.
 */
async function writePerDocument(
  trx: Knex.Transaction,
  rows: Iterable<unknown>,
  shape: DocumentShape,
  statement: (jsonb: Buffer) => { sql: string; bindings: readonly unknown[] },
): Promise<void> {
  let running: Promise<unknown> | undefined;
  for (const document of splitJsonDocuments(rows, documentBoundOf(trx), shape.encode)) {
    await running;
    const { sql, bindings } = statement(document.jsonb);
    running = Promise.resolve(trx.raw(sql, bindings as never));
    // A failure surfaces at the next await; until then it must not count as unhandled.
    running.catch(() => undefined);
    // knex sends the query a few promise jobs later: let it reach the socket before the next
    // document takes the thread, so the server runs it meanwhile.
    if (!document.last) await new Promise((resolve) => setImmediate(resolve));
  }
  await running;
}

/**
 * How the rows of a write travel: the `from` item that reads a document as `r`, and the encoding
 * of each row in the document. The two come from one setting ({@link jsonbAsTextOf}) so that they
 * always agree.
 */
interface DocumentShape {
  from: string;
  encode: (row: unknown) => string;
}

function documentShape<Row>(trx: Knex.Transaction, columns: readonly Column<Row>[]): DocumentShape {
  const jsonbAsText = jsonbAsTextOf(trx);
  return { from: recordset(columns, jsonbAsText), encode: rowEncoder(columns, jsonbAsText) };
}

/**
 * The rows of a document as `r`, one column per given column, typed: `(select ... from
 * jsonb_to_recordset(?::jsonb) as r(...)) as r`. With `jsonbAsText`, a `jsonb` column is read as
 * text and cast (see {@link rowEncoder}); the server flattens the subquery.
 */
function recordset<Row>(columns: readonly Column<Row>[], jsonbAsText: boolean): string {
  if (!jsonbAsText)
    return `jsonb_to_recordset(?::jsonb) as r(${columns.map(([name, type]) => `"${name}" ${type}`).join(", ")})`;
  const read = columns.map(([name, type]) => `"${name}" ${type === "jsonb" ? "text" : type}`).join(", ");
  const typed = columns
    .map(([name, type]) => (type === "jsonb" ? `r."${name}"::jsonb as "${name}"` : `r."${name}"`))
    .join(", ");
  return `(select ${typed} from jsonb_to_recordset(?::jsonb) as r(${read})) as r`;
}

/**
 * The JSON text of a row in a document: its `jsonb` fields as strings holding their JSON text
 * (`null` and absent fields stay so: SQL NULL). The server then parses each such value once, as
 * the column's input; as a nested JSON value it parsed it into the document's tree and then
 * serialized it again into the column. Same stored bytes; the first scale-10 import of a fresh
 * process (a CLI run) waited 350-388 ms for the server instead of 434-590 ms, later imports
 * about as long as before.
 */
function rowEncoder<Row>(columns: readonly Column<Row>[], jsonbAsText: boolean): (row: unknown) => string {
  const jsonb = jsonbAsText ? columns.filter(([, type]) => type === "jsonb").map(([name]) => name) : [];
  if (jsonb.length === 0) return stringifyRow;
  return (row) => {
    const fields = { ...(row as Record<string, unknown>) };
    for (const name of jsonb) {
      const value = fields[name];
      if (value !== null && value !== undefined) fields[name] = JSON.stringify(value);
    }
    return JSON.stringify(fields);
  };
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
 * Inserts rows for the tenant, one statement per document of at most {@link MAX_DOCUMENT_CHARS}:
 * `insert into <table> (tenant, <columns>) select ?, r.<column>... from jsonb_to_recordset(?) as r(...)`.
 * Does nothing for no rows. `rows` may be lazy: each row is built when its document is.
 */
export async function insertRows<Row>(
  trx: Knex.Transaction,
  tenant: string,
  relation: Relation<Row>,
  rows: Iterable<Row>,
  options: InsertRowsOptions<Row> = {},
): Promise<void> {
  const columns = writtenColumns(relation, options.computed ?? []);
  const shape = documentShape(trx, [...relation.columns, ...(options.inputs ?? [])]);
  const sql = [
    `insert into ${relation.table} (tenant, ${columns.map((c) => `"${c.column}"`).join(", ")})`,
    `select ?::uuid, ${columns.map((c) => c.sql).join(", ")}`,
    `from ${shape.from}`,
    options.join?.sql,
    options.onConflict === undefined ? undefined : `on conflict ${options.onConflict}`,
  ]
    .filter((line) => line !== undefined)
    .join("\n");
  const before = [tenant, ...columns.flatMap((c) => c.bindings ?? [])];
  const after = options.join?.bindings ?? [];
  await writePerDocument(trx, rows, shape, (document) => ({ sql, bindings: [...before, document, ...after] }));
}

/**
 * Overwrites rows of the tenant, one statement per document of at most {@link MAX_DOCUMENT_CHARS},
 * matching them on the relation's key: every other column is assigned from the rows. Does nothing
 * for no rows.
 */
export async function updateRows<Row>(
  trx: Knex.Transaction,
  tenant: string,
  relation: Relation<Row>,
  rows: Iterable<Row>,
  options: UpdateRowsOptions = {},
): Promise<void> {
  const key = new Set<string>(relation.key);
  const columns = writtenColumns(relation, options.computed ?? []).filter((c) => !key.has(c.column));
  const shape = documentShape(trx, relation.columns);
  const sql = `update ${relation.table} as t set ${columns.map((c) => `"${c.column}" = ${c.sql}`).join(", ")}
     from ${shape.from}
     where t.tenant = ? and ${relation.key.map((name) => `t."${name}" = r."${name}"`).join(" and ")}`;
  const before = columns.flatMap((c) => c.bindings ?? []);
  await writePerDocument(trx, rows, shape, (document) => ({ sql, bindings: [...before, document, tenant] }));
}
