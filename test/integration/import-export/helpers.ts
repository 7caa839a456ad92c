/** Shared helpers of the import/export integration tests. */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Knex } from "knex";
import { type IssueCode, type IssueOf, isWorkflowSeederError, type WorkflowSeederError } from "../../../src/errors.js";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";
import { collectDependencies } from "../../../src/format/dependencies.js";
import { computePortableWorkflowId } from "../../../src/format/portable-id.js";

/** A fresh tenant, so tests sharing one database never see each other's rows. */
export function newTenant(): string {
  return randomUUID();
}

/** The pinned `exportedAt` of byte-stable exports. */
export const EXPORTED_AT = "2026-03-01T12:00:00.000Z";

/** Awaits a promise that must reject with a WorkflowSeederError of `code`; returns the error. */
export async function expectFailure<C extends IssueCode>(
  promise: Promise<unknown>,
  code: C,
): Promise<WorkflowSeederError & { issue: IssueOf<C> }> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) expect.fail(`expected ${code}, but it succeeded`);
  if (!isWorkflowSeederError(error)) throw error;
  expect(error.code, error.message).to.equal(code);
  return error as WorkflowSeederError & { issue: IssueOf<C> };
}

/** One workflow row of a tenant, by key (all columns). */
export async function workflowRow(knex: Knex, tenant: string, key: string): Promise<Record<string, unknown>> {
  const result = await knex.raw(
    "select *, workflow_id::text as workflow_id from workflow_definitions where tenant = ? and key = ?",
    [tenant, key],
  );
  expect(result.rows, `rows with key ${key}`).to.have.length(1);
  return result.rows[0];
}

/** The published versions of a workflow, ascending. */
export async function versionRows(knex: Knex, tenant: string, workflowId: string): Promise<Record<string, unknown>[]> {
  const result = await knex.raw(
    "select * from workflow_definition_versions where tenant = ? and workflow_id = ? order by version",
    [tenant, workflowId],
  );
  return result.rows;
}

/** How many workflows a tenant has. */
export async function countWorkflows(knex: Knex, tenant: string): Promise<number> {
  const result = await knex.raw("select count(*)::int as n from workflow_definitions where tenant = ?", [tenant]);
  return result.rows[0].n;
}

/** Inserts a run of a workflow (to see what deleting or keeping the workflow does to it). */
export async function insertRun(knex: Knex, tenant: string, workflowId: string): Promise<string> {
  const result = await knex.raw(
    `insert into workflow_runs (tenant, workflow_id, workflow_version, status)
     values (?, ?, 1, 'SUCCEEDED') returning run_id::text as run_id`,
    [tenant, workflowId],
  );
  return result.rows[0].run_id;
}

type Json = Record<string, unknown>;

function rewriteTargets(steps: unknown, map: (target: string) => string | undefined): unknown {
  if (!Array.isArray(steps)) return steps;
  return steps.map((step) => {
    if (typeof step !== "object" || step === null) return step;
    const next: Json = { ...(step as Json) };
    if (next.type === "control.callWorkflow" && typeof next.workflowId === "string")
      next.workflowId = map(next.workflowId) ?? next.workflowId;
    for (const branch of ["then", "else", "body", "try", "catch"])
      if (Array.isArray(next[branch])) next[branch] = rewriteTargets(next[branch], map);
    return next;
  });
}

/**
 * What an export of `bundle` must equal, computed independently of the exporter: workflows sorted
 * by key, versions ascending, `definition.id` = the portable id of the key, every callWorkflow
 * target that names a bundle workflow (by its definition id or portable id) = that workflow's
 * portable id, dependency lists recomputed, numeric thresholds as numbers, a null payload schema
 * mode as the column default 'pinned', and `exportedAt` replaced.
 */
export function normalizeBundle(bundle: Json, exportedAt: string): Json {
  const workflows = structuredClone(bundle.workflows) as Json[];
  const portableByTarget = new Map<string, string>();
  for (const w of workflows) {
    const portable = computePortableWorkflowId(w.key as string);
    portableByTarget.set(portable, portable);
    const draft = w.draft as Json;
    for (const d of [draft.definition, ...(w.publishedVersions as Json[]).map((v) => v.definition)])
      portableByTarget.set((d as Json).id as string, portable);
  }
  const normalizeDefinition = (definition: Json, key: string): Json => ({
    ...definition,
    id: computePortableWorkflowId(key),
    steps: rewriteTargets(definition.steps, (t) => portableByTarget.get(t)),
  });
  const normalized = workflows
    .map((w) => {
      const key = w.key as string;
      const metadata = { ...(w.metadata as Json) };
      if (typeof metadata.failureRateThreshold === "string")
        metadata.failureRateThreshold = Number(metadata.failureRateThreshold);
      metadata.payloadSchemaMode ??= "pinned";
      const draft = w.draft as Json;
      const result: Json = {
        key,
        metadata,
        draft: { ...draft, definition: normalizeDefinition(draft.definition as Json, key) },
        publishedVersions: [...(w.publishedVersions as Json[])]
          .sort((a, b) => (a.version as number) - (b.version as number))
          .map((v) => ({ ...v, definition: normalizeDefinition(v.definition as Json, key) })),
      };
      result.dependencies = collectDependencies(result as never);
      return result;
    })
    .sort((a, b) => ((a.key as string) < (b.key as string) ? -1 : 1));
  return { ...bundle, exportedAt, workflows: normalized };
}

/** Canonical text, for byte comparisons with readable diffs. */
export function canonical(value: unknown): string {
  return canonicalizeJson(value);
}
