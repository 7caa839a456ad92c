/** Snapshots of a database schema, for comparing it before and after a migration. */
import type { Knex } from "knex";

/** Every PK, UNIQUE and FK of the given tables, with its columns in key order. */
export async function keyConstraints(
  knex: Knex,
  tables: readonly string[],
): Promise<{ table: string; name: string; type: string; columns: string[] }[]> {
  const result = await knex.raw(
    `select c.conrelid::regclass::text as "table", c.conname as name, c.contype as type,
            array_agg(a.attname::text order by k.ord) as columns
     from pg_constraint c
     cross join lateral unnest(c.conkey) with ordinality as k(attnum, ord)
     join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
     where c.contype in ('p', 'u', 'f') and c.conrelid::regclass::text = any(?::text[])
     group by c.conrelid, c.conname, c.contype
     order by 1, 2`,
    [[...tables]],
  );
  return result.rows;
}

/** Columns, constraints and indexes of the given tables (every table of the schema by default). */
export async function describeSchema(knex: Knex, tables?: readonly string[]): Promise<unknown> {
  const filter = tables === undefined ? "" : "and %s = any(?::text[])";
  const bindings = tables === undefined ? [] : [[...tables]];
  const columns = await knex.raw(
    `select table_name, column_name, data_type, is_nullable, column_default, ordinal_position,
            numeric_precision, numeric_scale
     from information_schema.columns where table_schema = current_schema() ${filter.replace("%s", "table_name")}
     order by table_name, ordinal_position`,
    bindings,
  );
  const constraints = await knex.raw(
    `select conrelid::regclass::text as t, conname, contype, pg_get_constraintdef(oid) as def
     from pg_constraint where connamespace = current_schema()::regnamespace ${filter.replace("%s", "conrelid::regclass::text")}
     order by 1, 2`,
    bindings,
  );
  const indexes = await knex.raw(
    `select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema() ${filter.replace("%s", "tablename")}
     order by 1, 2`,
    bindings,
  );
  const triggers = await knex.raw(
    `select event_object_table, trigger_name from information_schema.triggers
     where trigger_schema = current_schema() ${filter.replace("%s", "event_object_table")} order by 1, 2`,
    bindings,
  );
  return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows, triggers: triggers.rows };
}

/** The names of the tables of the current schema. */
export async function listTables(knex: Knex): Promise<string[]> {
  const result = await knex.raw(
    "select table_name from information_schema.tables where table_schema = current_schema() order by 1",
  );
  return result.rows.map((r: { table_name: string }) => r.table_name);
}
