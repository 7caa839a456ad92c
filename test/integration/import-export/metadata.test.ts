import { expect } from "chai";
import { exportBundle } from "../../../src/export/export-bundle.js";
import { importBundle } from "../../../src/import/import-bundle.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { describeEachEngine } from "../../support/databases.js";
import { EXPORTED_AT, newTenant, versionRows, workflowRow } from "./helpers.js";

type Json = Record<string, unknown>;

/** Every metadata field away from its default. */
const FULL_METADATA: Json = {
  name: "Fully configured",
  description: 'Every field set — ünïcödé, quotes " and newlines\n',
  payloadSchemaRef: "payload.TicketCreated.v1",
  payloadSchemaMode: "inferred",
  pinnedPayloadSchemaRef: "payload.TicketUpdated.v1",
  trigger: { type: "event", eventName: "TICKET_CREATED", payloadMapping: { id: { $expr: "event.payload.id" } } },
  isSystem: true,
  isVisible: false,
  isPaused: true,
  concurrencyLimit: 7,
  autoPauseOnFailure: true,
  failureRateThreshold: 0.75,
  failureRateMinRuns: 25,
  retentionPolicyOverride: { days: 30, nested: { keep: [1, "two", null, true] } },
};

async function roundTrip(knex: import("knex").Knex, workflow: Json) {
  const tenant = newTenant();
  const key = workflow.key as string;
  await importBundle(knex, makeBundle({ workflows: [workflow] }), { tenant });
  const row = await workflowRow(knex, tenant, key);
  const exported = await exportBundle(knex, { tenant, keys: [key], exportedAt: EXPORTED_AT });
  return { tenant, row, exported: exported.workflows[0] as unknown as Json };
}

describeEachEngine("metadata and numerics through import and export", (db) => {
  it("restores every metadata field exactly, in the columns and in the export", async () => {
    const { row, exported } = await roundTrip(
      db().knex,
      makeWorkflow({ key: "meta.full", metadata: FULL_METADATA, draftVersion: 9 }),
    );
    expect({
      name: row.name,
      description: row.description,
      payload_schema_ref: row.payload_schema_ref,
      payload_schema_mode: row.payload_schema_mode,
      pinned_payload_schema_ref: row.pinned_payload_schema_ref,
      trigger: row.trigger,
      is_system: row.is_system,
      is_visible: row.is_visible,
      is_paused: row.is_paused,
      concurrency_limit: row.concurrency_limit,
      auto_pause_on_failure: row.auto_pause_on_failure,
      failure_rate_min_runs: row.failure_rate_min_runs,
      retention_policy_override: row.retention_policy_override,
      draft_version: row.draft_version,
    }).to.deep.equal({
      name: FULL_METADATA.name,
      description: FULL_METADATA.description,
      payload_schema_ref: FULL_METADATA.payloadSchemaRef,
      payload_schema_mode: "inferred",
      pinned_payload_schema_ref: FULL_METADATA.pinnedPayloadSchemaRef,
      trigger: FULL_METADATA.trigger,
      is_system: true,
      is_visible: false,
      is_paused: true,
      concurrency_limit: 7,
      auto_pause_on_failure: true,
      failure_rate_min_runs: 25,
      retention_policy_override: FULL_METADATA.retentionPolicyOverride,
      draft_version: 9,
    });
    expect(exported.metadata).to.deep.equal(FULL_METADATA);
    expect((exported.draft as Json).draftVersion).to.equal(9);
  });

  it("restores null metadata as null, not as the column defaults", async () => {
    const nulls: Json = {
      description: null,
      pinnedPayloadSchemaRef: null,
      trigger: null,
      concurrencyLimit: null,
      failureRateThreshold: null,
      failureRateMinRuns: null,
      retentionPolicyOverride: null,
    };
    const { row, exported } = await roundTrip(db().knex, makeWorkflow({ key: "meta.nulls", metadata: nulls }));
    expect([row.failure_rate_threshold, row.failure_rate_min_runs, row.concurrency_limit, row.trigger]).to.deep.equal([
      null,
      null,
      null,
      null,
    ]);
    expect(exported.metadata).to.deep.include(nulls);
  });

  for (const [threshold, stored, exportedValue] of [
    [0.75, "0.75", 0.75],
    [12.5, "12.50", 12.5],
    ["0.50", "0.50", 0.5],
    [" 3 ", "3.00", 3],
    [999.99, "999.99", 999.99],
    [-0.01, "-0.01", -0.01],
    [0, "0.00", 0],
  ] as const)
    it(`stores failureRateThreshold ${JSON.stringify(threshold)} exactly as numeric ${stored} and exports ${exportedValue}`, async () => {
      const { tenant, exported } = await roundTrip(
        db().knex,
        makeWorkflow({ key: "meta.threshold", metadata: { failureRateThreshold: threshold } }),
      );
      const text = await db().knex.raw(
        "select failure_rate_threshold::text as t from workflow_definitions where tenant = ? and key = 'meta.threshold'",
        [tenant],
      );
      expect(text.rows[0].t).to.equal(stored);
      expect((exported.metadata as Json).failureRateThreshold).to.equal(exportedValue);
    });

  for (const value of [0, 1, -5, 2147483647, -2147483648])
    it(`round-trips concurrencyLimit and failureRateMinRuns ${value}`, async () => {
      const { exported } = await roundTrip(
        db().knex,
        makeWorkflow({ key: "meta.ints", metadata: { concurrencyLimit: value, failureRateMinRuns: value } }),
      );
      expect(exported.metadata).to.deep.include({ concurrencyLimit: value, failureRateMinRuns: value });
    });

  it("maps a null payloadSchemaMode to Alga's column default 'pinned' (the column is NOT NULL)", async () => {
    const { row, exported } = await roundTrip(
      db().knex,
      makeWorkflow({ key: "meta.mode", metadata: { payloadSchemaMode: null } }),
    );
    expect(row.payload_schema_mode).to.equal("pinned");
    expect((exported.metadata as Json).payloadSchemaMode).to.equal("pinned");
  });

  it("keeps each published version's payloadSchemaJson and definition exactly", async () => {
    const w = makeWorkflow({ key: "meta.versions", published: 3 });
    const versions = w.publishedVersions as Json[];
    (versions[0] as Json).payloadSchemaJson = { type: "object", properties: { a: { type: "number", minimum: 0.5 } } };
    (versions[2] as Json).payloadSchemaJson = {
      $schema: "http://json-schema.org/draft-07/schema#",
      big: 1e21,
      neg: -0.0001,
    };
    (((versions[1] as Json).definition as Json).steps as Json[])[0] = {
      id: "state",
      type: "state.set",
      config: { state: "V2 – ✓" },
    };
    const { tenant, row, exported } = await roundTrip(db().knex, w);
    const rows = await versionRows(db().knex, tenant, row.workflow_id as string);
    expect(rows.map((r) => r.payload_schema_json)).to.deep.equal(versions.map((v) => v.payloadSchemaJson));
    const exportedVersions = exported.publishedVersions as Json[];
    expect(exportedVersions.map((v) => v.payloadSchemaJson)).to.deep.equal(versions.map((v) => v.payloadSchemaJson));
    expect(((exportedVersions[1] as Json).definition as Json).steps).to.deep.equal(
      ((versions[1] as Json).definition as Json).steps,
    );
  });
});
