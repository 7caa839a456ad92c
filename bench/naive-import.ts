/**
 * The naive reference importer: per workflow, select by key, insert the definition, insert each
 * version, one statement (one round trip) at a time, all in one transaction. What a first
 * implementation usually looks like; the benchmark's upper reference. Never used by the product.
 */
import type { Knex } from "knex";
import type { WorkflowRow } from "../src/db/workflow-store.js";
import type { BundleWorkflow } from "../src/format/bundle-schema.js";
import { buildReferenceRows } from "./reference-rows.js";

const JSON_COLUMNS = new Set(["trigger", "draft_definition", "retention_policy_override"]);

/** Imports workflows one statement at a time; fails on an existing key. Returns the statement count. */
export async function importNaive(knex: Knex, tenant: string, workflows: readonly BundleWorkflow[]): Promise<number> {
  let statements = 0;
  await knex.transaction(async (trx) => {
    for (const workflow of workflows) {
      const existing = await trx.raw("select workflow_id from workflow_definitions where tenant = ? and key = ?", [
        tenant,
        workflow.key,
      ]);
      statements++;
      if (existing.rows.length > 0) throw new Error(`workflow key ${workflow.key} exists`);
      const { workflows: rows, versions } = buildReferenceRows([workflow]);
      const row = rows[0] as WorkflowRow;
      const columns = Object.keys(row) as (keyof WorkflowRow)[];
      await trx.raw(
        `insert into workflow_definitions (tenant, ${columns.map((c) => `"${c}"`).join(", ")})
         values (?, ${columns.map((c) => (JSON_COLUMNS.has(c) ? "?::jsonb" : "?")).join(", ")})`,
        [
          tenant,
          ...columns.map((c) => (JSON_COLUMNS.has(c) && row[c] !== null ? JSON.stringify(row[c]) : row[c])),
        ] as never,
      );
      statements++;
      for (const v of versions) {
        await trx.raw(
          `insert into workflow_definition_versions (tenant, workflow_id, version, definition_json, payload_schema_json)
           values (?, ?, ?, ?::jsonb, ?::jsonb)`,
          [
            tenant,
            v.workflow_id,
            v.version,
            JSON.stringify(v.definition_json),
            v.payload_schema_json === null ? null : JSON.stringify(v.payload_schema_json),
          ],
        );
        statements++;
      }
    }
  });
  return statements;
}
