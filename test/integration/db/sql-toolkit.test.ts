/**
 * The SQL toolkit's writes on the real engines: a `jsonb` column stores the same value whether it
 * travels as nested JSON (the embedded database's setting) or as a string of its JSON text (a
 * server's), for the values that tell the two apart (SQL NULL against the JSON string "null",
 * scalars, quotes, backslashes, astral characters, line separators, nested nulls), through
 * inserts and updates of more rows than one document holds.
 */
import { expect } from "chai";
import type { Knex } from "knex";
import {
  documentBoundOf,
  insertRows,
  jsonbAsTextOf,
  type Relation,
  updateRows,
  type WriteDocumentConfig,
} from "../../../src/db/sql-toolkit.js";
import { describeEachEngine } from "../../support/databases.js";

interface ProbeRow {
  item_id: string;
  label: string | null;
  payload?: unknown;
}

const PROBES: Relation<ProbeRow> = {
  table: "toolkit_probe",
  key: ["item_id"],
  columns: [
    ["item_id", "uuid"],
    ["label", "text"],
    ["payload", "jsonb"],
  ],
};

const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** Values that travel differently as nested JSON and as text; `undefined` is an absent field. */
const PAYLOADS: unknown[] = [
  { n: 1, s: 'quote " back \\ slash é😀 \u2028 \t end' },
  [],
  null,
  "null",
  "",
  12.5,
  -0,
  true,
  undefined,
  { nested: { deep: [1, { x: null }, "two"] } },
];

/** Enough rows of ~2 KB that a server's writes take several documents. */
const BULK = 300;

function buildRows(tag: string): ProbeRow[] {
  const rows: ProbeRow[] = PAYLOADS.map((payload, i) => ({ item_id: id(i), label: `${tag} ${i}`, payload }));
  for (let i = 0; i < BULK; i++)
    rows.push({ item_id: id(1000 + i), label: null, payload: { i, text: `${tag}:${"x".repeat(2000)}` } });
  return rows;
}

/** Runs `fn` with the knex's `jsonbAsText` setting forced, then puts the setting back. */
async function withJsonbAsText<T>(knex: Knex, value: boolean, fn: () => Promise<T>): Promise<T> {
  const config = (knex as unknown as { client: { config: WriteDocumentConfig } }).client.config;
  const before = config.jsonbAsText;
  config.jsonbAsText = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete config.jsonbAsText;
    else config.jsonbAsText = before;
  }
}

interface Stored {
  item_id: string;
  label: string | null;
  is_null: boolean;
  payload_text: string | null;
}

async function readStored(knex: Knex, tenant: string): Promise<Stored[]> {
  const r = await knex.raw(
    `select item_id::text as item_id, label, payload is null as is_null, payload::text as payload_text
     from toolkit_probe where tenant = ? order by item_id`,
    [tenant],
  );
  return r.rows;
}

/** What PostgreSQL stores for a row, computed from the value alone (jsonb normalizes spacing). */
async function expectedText(knex: Knex, payload: unknown): Promise<string | null> {
  if (payload === null || payload === undefined) return null;
  const r = await knex.raw("select (?::jsonb)::text as t", [JSON.stringify(payload)]);
  return r.rows[0].t;
}

describeEachEngine("sql-toolkit writes jsonb columns", (db) => {
  before(async () => {
    await db().knex.raw(
      `create table toolkit_probe (tenant uuid not null, item_id uuid not null, label text, payload jsonb,
       primary key (tenant, item_id))`,
    );
  });

  for (const asText of [true, false]) {
    it(`stores every value as it is, with jsonb ${asText ? "as text" : "nested"}, through inserts and updates`, async () => {
      const knex = db().knex;
      const tenant = asText ? id(900_001) : id(900_002);
      const rows = buildRows("insert");
      let documents = 0;
      const count = (q: { sql: string }) => {
        if (q.sql.startsWith("insert into toolkit_probe")) documents++;
      };
      knex.on("query", count);
      try {
        await withJsonbAsText(knex, asText, () =>
          knex.transaction(async (trx) => {
            expect(jsonbAsTextOf(trx)).to.equal(asText);
            await insertRows(trx, tenant, PROBES, rows);
          }),
        );
      } finally {
        knex.removeListener("query", count);
      }
      // A server's bound makes the ~600 KB of rows several statements; the embedded database's, one.
      if (db().engine === "postgres") expect(documentBoundOf(knex)).to.be.below(600_000);
      if (db().engine === "postgres") expect(documents).to.be.greaterThan(1);
      else expect(documents).to.equal(1);

      const stored = await readStored(knex, tenant);
      expect(stored).to.have.length(rows.length);
      const byId = new Map(stored.map((s) => [s.item_id, s]));
      for (const row of rows) {
        const s = byId.get(row.item_id) as Stored;
        expect(s.label).to.equal(row.label);
        expect(s.is_null, JSON.stringify(row.payload)).to.equal(row.payload === null || row.payload === undefined);
        expect(s.payload_text).to.equal(await expectedText(knex, row.payload));
      }
      // The JSON string "null" is a jsonb string, not SQL NULL, not the JSON null.
      expect(byId.get(id(3))?.payload_text).to.equal('"null"');

      // Updates: every payload moves one row down, labels change.
      const updated = rows.map((row, i) => ({
        ...row,
        label: `update ${i}`,
        payload: rows[(i + 1) % rows.length]?.payload,
      }));
      await withJsonbAsText(knex, asText, () => knex.transaction((trx) => updateRows(trx, tenant, PROBES, updated)));
      const after = new Map((await readStored(knex, tenant)).map((s) => [s.item_id, s]));
      for (const row of updated) {
        const s = after.get(row.item_id) as Stored;
        expect(s.label).to.equal(row.label);
        expect(s.payload_text).to.equal(await expectedText(knex, row.payload));
      }
    });
  }

  it("stores the same bytes either way", async () => {
    const knex = db().knex;
    const text = await readStored(knex, id(900_001));
    const nested = await readStored(knex, id(900_002));
    expect(text.length).to.be.greaterThan(BULK);
    expect(text).to.deep.equal(nested);
  });
});
