/**
 * The statements the SQL toolkit builds, on a recording stand-in for a knex transaction: one
 * statement for N rows, none for none, the tenant on every statement, bindings in the order of
 * their placeholders. The integration tests run the same statements on PostgreSQL and PGlite.
 */
import { expect } from "chai";
import type { Knex } from "knex";
import {
  documentBoundOf,
  documentText,
  EMBEDDED_WRITE_DOCUMENTS,
  insertRows,
  jsonbAsTextOf,
  MAX_DOCUMENT_CHARS,
  qualifiedColumns,
  type Relation,
  selectJson,
  splitJsonDocuments,
  updateRows,
  type WriteDocumentConfig,
} from "../../../src/db/sql-toolkit.js";

interface ItemRow {
  item_id: string;
  label: string | null;
  payload: unknown;
  extra?: boolean;
}

const ITEMS: Relation<ItemRow> = {
  table: "items",
  key: ["item_id"],
  columns: [
    ["item_id", "uuid"],
    ["label", "text"],
    ["payload", "jsonb"],
  ],
};

interface RecordedStatement {
  sql: string;
  bindings: unknown[];
}

/** A document binding as its JSON text (it travels as `jsonb`'s binary format: version byte 1, then UTF-8). */
function decodeBinding(value: unknown): unknown {
  if (!Buffer.isBuffer(value)) return value;
  expect(value[0]).to.equal(1);
  return value.toString("utf8", 1);
}

function recordingTransaction(
  result: unknown = { rows: [{ rows: [] }] },
  failAt?: number,
  config: WriteDocumentConfig = {},
) {
  const statements: RecordedStatement[] = [];
  const trx = {
    client: { config },
    raw: async (sql: string, bindings: unknown[]) => {
      statements.push({ sql, bindings: bindings.map(decodeBinding) });
      if (statements.length === failAt) throw new Error(`statement ${failAt} failed`);
      return result;
    },
  } as unknown as Knex.Transaction;
  return { trx, statements };
}

/** Rows of about `chars` characters of JSON each. */
function bigRows(count: number, chars: number): ItemRow[] {
  return Array.from({ length: count }, (_, i) => ({
    item_id: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
    label: `row ${i}`,
    payload: { text: "x".repeat(chars) },
  }));
}

/** Rows as a document carries them: a `jsonb` field (`payload`) as a string of its JSON text, null as null. */
function documentRows(rows: readonly ItemRow[]): unknown[] {
  return rows.map((row) => ({ ...row, payload: row.payload === null ? null : JSON.stringify(row.payload) }));
}

const placeholders = (sql: string) => sql.match(/\?/g)?.length ?? 0;
const TENANT = "00000000-0000-0000-0000-0000000000aa";
const rows: ItemRow[] = [
  { item_id: "00000000-0000-0000-0000-000000000001", label: "a", payload: { n: 1 } },
  { item_id: "00000000-0000-0000-0000-000000000002", label: null, payload: [] },
  { item_id: "00000000-0000-0000-0000-000000000003", label: "c", payload: null },
];

describe("sql-toolkit", () => {
  it("writes nothing for no rows", async () => {
    const { trx, statements } = recordingTransaction();
    await insertRows(trx, TENANT, ITEMS, []);
    await updateRows(trx, TENANT, ITEMS, []);
    expect(statements).to.deep.equal([]);
  });

  it("inserts N rows in one statement over one jsonb_to_recordset document, with the tenant", async () => {
    const { trx, statements } = recordingTransaction();
    await insertRows(trx, TENANT, ITEMS, rows);
    expect(statements).to.have.length(1);
    const [statement] = statements as [RecordedStatement];
    expect(statement.sql).to.include('insert into items (tenant, "item_id", "label", "payload")');
    expect(statement.sql).to.include('select ?::uuid, r."item_id", r."label", r."payload"');
    // A jsonb field is read as text and cast back, in a subquery the rest of the statement reads as r.
    expect(statement.sql).to.include(
      '(select r."item_id", r."label", r."payload"::jsonb as "payload" from jsonb_to_recordset(?::jsonb) as r("item_id" uuid, "label" text, "payload" text)) as r',
    );
    expect(statement.bindings).to.deep.equal([TENANT, JSON.stringify(documentRows(rows))]);
    expect(placeholders(statement.sql)).to.equal(statement.bindings.length);
  });

  it("keeps jsonb columns as nested JSON where the config says so (the embedded database)", async () => {
    expect(jsonbAsTextOf(recordingTransaction().trx)).to.equal(true);
    const { trx, statements } = recordingTransaction(undefined, undefined, EMBEDDED_WRITE_DOCUMENTS);
    expect(jsonbAsTextOf(trx)).to.equal(false);
    await insertRows(trx, TENANT, ITEMS, rows);
    await updateRows(trx, TENANT, ITEMS, rows);
    const [insert, update] = statements as [RecordedStatement, RecordedStatement];
    for (const statement of [insert, update]) {
      expect(statement.sql).to.include(
        'from jsonb_to_recordset(?::jsonb) as r("item_id" uuid, "label" text, "payload" jsonb)',
      );
      expect(statement.sql).to.not.include("::jsonb as");
    }
    expect(insert.bindings).to.deep.equal([TENANT, JSON.stringify(rows)]);
    expect(update.bindings).to.deep.equal([JSON.stringify(rows), TENANT]);
  });

  it("orders the bindings of computed columns, the document and the join as their placeholders", async () => {
    const { trx, statements } = recordingTransaction();
    await insertRows(trx, TENANT, ITEMS, rows, {
      inputs: [["extra", "boolean"]],
      computed: [
        { column: "label", sql: "case when r.extra then o.label else r.label end" },
        { column: "created_by", sql: "?::uuid", bindings: ["actor"] },
        { column: "created_at", sql: "now()" },
      ],
      join: { sql: "left join others o on r.extra and o.tenant = ?::uuid", bindings: ["join-tenant"] },
      onConflict: "do nothing",
    });
    const [statement] = statements as [RecordedStatement];
    expect(statement.sql).to.include('(tenant, "item_id", "label", "payload", "created_by", "created_at")');
    expect(statement.sql).to.include(
      'select ?::uuid, r."item_id", case when r.extra then o.label else r.label end, r."payload", ?::uuid, now()',
    );
    expect(statement.sql).to.include('"extra" boolean)');
    expect(statement.sql).to.match(/left join others o on r\.extra and o\.tenant = \?::uuid\s+on conflict do nothing$/);
    expect(statement.bindings).to.deep.equal([TENANT, "actor", JSON.stringify(documentRows(rows)), "join-tenant"]);
    expect(placeholders(statement.sql)).to.equal(statement.bindings.length);
  });

  it("updates N rows in one statement matched on the tenant and the key, never assigning the key", async () => {
    const { trx, statements } = recordingTransaction();
    await updateRows(trx, TENANT, ITEMS, rows, {
      computed: [{ column: "updated_by", sql: "?::uuid", bindings: ["a"] }],
    });
    expect(statements).to.have.length(1);
    const [statement] = statements as [RecordedStatement];
    expect(statement.sql).to.include(
      'update items as t set "label" = r."label", "payload" = r."payload", "updated_by" = ?::uuid',
    );
    expect(statement.sql).to.not.include('"item_id" = r."item_id",');
    expect(statement.sql).to.match(/where t\.tenant = \? and t\."item_id" = r\."item_id"$/);
    expect(statement.bindings).to.deep.equal(["a", JSON.stringify(documentRows(rows)), TENANT]);
    expect(placeholders(statement.sql)).to.equal(statement.bindings.length);
  });

  it("splits rows into documents of at most MAX_DOCUMENT_CHARS, in order, a larger row alone", () => {
    const rows = [...bigRows(3, 100_000), ...bigRows(1, 300_000), ...bigRows(2, 10)];
    const documents = [...splitJsonDocuments(rows)];
    expect(documents.map((d) => d.rows)).to.deep.equal([2, 1, 1, 2]);
    expect(documents.flatMap((d) => JSON.parse(documentText(d)))).to.deep.equal(rows);
    for (const d of documents) if (d.rows > 1) expect(documentText(d).length).to.be.at.most(MAX_DOCUMENT_CHARS);
    expect([...splitJsonDocuments([])]).to.deep.equal([]);
    expect([...splitJsonDocuments([{ a: 1 }, { a: 2 }], 10)].map(documentText)).to.deep.equal([
      '[{"a":1}]',
      '[{"a":2}]',
    ]);
  });

  it("encodes each document as jsonb's binary input: version byte 1, then the array's UTF-8 bytes", () => {
    const texts = [{ s: "é😀\u2028" }, { s: "\ud800" }, "x"];
    const [document] = [...splitJsonDocuments(texts)];
    const utf8 = Buffer.from(JSON.stringify(texts), "utf8");
    expect(document?.jsonb).to.deep.equal(Buffer.concat([Buffer.from([1]), utf8]));
    expect(JSON.parse(documentText(document as never))).to.deep.equal(texts);
  });

  it("inserts and updates more rows than one document holds in one statement per document, in order", async () => {
    const rows = bigRows(5, 100_000);
    const { trx, statements } = recordingTransaction();
    await insertRows(trx, TENANT, ITEMS, rows, {
      computed: [{ column: "created_by", sql: "?::uuid", bindings: ["a"] }],
    });
    expect(statements).to.have.length(3);
    expect(new Set(statements.map((s) => s.sql)).size).to.equal(1);
    expect(statements.map((s) => s.bindings.slice(0, 2))).to.deep.equal([
      [TENANT, "a"],
      [TENANT, "a"],
      [TENANT, "a"],
    ]);
    expect(statements.flatMap((s) => JSON.parse(s.bindings[2] as string))).to.deep.equal(documentRows(rows));

    const updates = recordingTransaction();
    await updateRows(updates.trx, TENANT, ITEMS, rows);
    expect(updates.statements).to.have.length(3);
    expect(updates.statements.flatMap((s) => JSON.parse(s.bindings[0] as string))).to.deep.equal(documentRows(rows));
    expect(updates.statements.map((s) => s.bindings[1])).to.deep.equal([TENANT, TENANT, TENANT]);
  });

  it("takes the document bound from the knex config (the embedded database's is larger)", async () => {
    const rows = bigRows(5, 100_000);
    const bounded = recordingTransaction(undefined, undefined, { maxDocumentChars: 150_000 });
    await insertRows(bounded.trx, TENANT, ITEMS, rows);
    expect(bounded.statements).to.have.length(5);
    expect(documentBoundOf(bounded.trx)).to.equal(150_000);
    const embedded = recordingTransaction(undefined, undefined, EMBEDDED_WRITE_DOCUMENTS);
    await insertRows(embedded.trx, TENANT, ITEMS, rows);
    expect(embedded.statements).to.have.length(1);
    expect(documentBoundOf(recordingTransaction().trx)).to.equal(MAX_DOCUMENT_CHARS);
  });

  it("stops at the first failing document and throws its error", async () => {
    const { trx, statements } = recordingTransaction(undefined, 2);
    let thrown: unknown;
    await insertRows(trx, TENANT, ITEMS, bigRows(7, 100_000)).catch((error: unknown) => {
      thrown = error;
    });
    expect((thrown as Error).message).to.equal("statement 2 failed");
    expect(statements).to.have.length(2);
  });

  it("reads rows through one json_agg document", async () => {
    const { trx, statements } = recordingTransaction({ rows: [{ rows: [{ item_id: "x" }] }] });
    const read = await selectJson<{ item_id: string }>(
      trx,
      `select ${qualifiedColumns(ITEMS, "i")} from items i where i.tenant = ?`,
      [TENANT],
    );
    expect(read).to.deep.equal([{ item_id: "x" }]);
    expect(statements[0]?.sql).to.equal(
      `select coalesce(json_agg(q), '[]'::json) as rows from (select i."item_id", i."label", i."payload" from items i where i.tenant = ?) q`,
    );
  });
});
