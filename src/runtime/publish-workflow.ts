import type { Knex } from "knex";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { rethrowAsDatabaseError } from "../db/database-errors.js";
import {
  selectMaxVersion,
  selectPublishedVersionNumbers,
  selectWorkflowForUpdate,
  type WorkflowHead,
  type WorkflowLocator,
  writePublishedVersion,
} from "../db/publish-store.js";
import { assertTenant } from "../db/tenant.js";
import { selectAllWorkflowIds } from "../db/workflow-store.js";
import { type DefinitionProblem, fail } from "../errors.js";
import { isJsonObject } from "../format/json-value.js";
import { computePortableWorkflowId } from "../format/portable-id.js";
import { collectCallReferences, rewriteWorkflowReferences } from "../format/workflow-references.js";
import { validateWorkflowForPublish } from "./publish-validation.js";

/** Options of {@link publishWorkflow}: the workflow by `key` or `workflowId`. */
export interface PublishWorkflowOptions {
  tenant: string;
  key?: string;
  workflowId?: string;
  /** Written to `published_by` / `updated_by`. Default null. */
  actor?: string | null;
  /** The catalog node types, actions and schema refs are checked against. Default: Alga's ({@link DEFAULT_CATALOG}). */
  catalog?: RuntimeCatalog;
  /** The clock (schedule triggers must be in the future). Default: the system clock. */
  now?: () => Date;
}

/** What {@link publishWorkflow} did. */
export interface PublishWorkflowResult {
  workflowKey: string | null;
  workflowId: string;
  /** The new published version. */
  version: number;
  /** Problems that do not block publishing (recorded in the validation columns too). */
  warnings: DefinitionProblem[];
}

/** Throws `WORKFLOW_NOT_FOUND` (or `INVALID_ARGUMENT` when neither key nor id is given). */
export function requireWorkflow(
  head: WorkflowHead | undefined,
  tenant: string,
  locator: WorkflowLocator,
): WorkflowHead {
  if (head) return head;
  fail("WORKFLOW_NOT_FOUND", {
    workflowIds: locator.workflowId === undefined ? [] : [locator.workflowId],
    keys: locator.key === undefined ? [] : [locator.key],
    tenant,
  });
}

/** Checks that exactly one of key / workflowId is given. */
export function assertLocator(locator: WorkflowLocator): void {
  if ((locator.key === undefined) === (locator.workflowId === undefined))
    fail("INVALID_ARGUMENT", {
      option: "key / workflowId",
      received: JSON.stringify(locator),
      expected: "exactly one of a workflow key or a workflow id",
    });
}

/**
 * The draft with each `control.callWorkflow` target that is not a workflow id of the tenant but the
 * portable id of one of its keys (a caller imported before the workflow it calls, which import
 * leaves unresolved with a warning) rewritten to that workflow's id, as an import would have
 * done; and the published versions of every target.
 */
async function resolveCallTargets(
  trx: Knex.Transaction,
  tenant: string,
  definition: unknown,
): Promise<{ draft: unknown; calledWorkflowVersions: Map<string, number[]> }> {
  const targetsOf = (d: unknown) => [...new Set(collectCallReferences(d).map((r) => r.workflowId.toLowerCase()))];
  const targets = targetsOf(definition);
  const versions = await selectPublishedVersionNumbers(trx, tenant, targets);
  if (targets.every((t) => versions.has(t))) return { draft: definition, calledWorkflowVersions: versions };
  const byPortableId = new Map<string, string>();
  for (const row of await selectAllWorkflowIds(trx, tenant))
    if (row.key !== null) byPortableId.set(computePortableWorkflowId(row.key), row.workflow_id);
  const draft = rewriteWorkflowReferences(definition, {
    mapTarget: (r) => {
      const id = r.workflowId.toLowerCase();
      return versions.has(id) ? undefined : byPortableId.get(id);
    },
  });
  if (draft === definition) return { draft, calledWorkflowVersions: versions };
  return { draft, calledWorkflowVersions: await selectPublishedVersionNumbers(trx, tenant, targetsOf(draft)) };
}

/**
 * Publishes a workflow's draft, as Alga does: resolves call targets given as portable ids of the
 * tenant's keys ({@link resolveCallTargets}), validates it ({@link validateWorkflowForPublish});
 * any error throws `PUBLISH_VALIDATION_FAILED` with every `{code, stepPath, message}` and writes
 * nothing. Otherwise, in one transaction: a new `workflow_definition_versions` row with the next
 * version (the larger of the draft version and the highest published version + 1, and the
 * definition's `id` and `version` set to match), the workflow `published`, its `draft_version` and
 * draft advanced, and the validation columns filled. Concurrent publishers of one workflow are
 * serialized by a row lock.
 *
 * @example const { version } = await publishWorkflow(knex, { tenant, key: "fixture.ticket-created-hello" })
 */
export async function publishWorkflow(db: Knex, options: PublishWorkflowOptions): Promise<PublishWorkflowResult> {
  assertTenant(options.tenant);
  const locator: WorkflowLocator = { key: options.key, workflowId: options.workflowId };
  assertLocator(locator);
  const tenant = options.tenant;
  try {
    return await db.transaction(async (trx) => {
      const head = requireWorkflow(await selectWorkflowForUpdate(trx, tenant, locator), tenant, locator);
      const version = Math.max(head.draft_version, (await selectMaxVersion(trx, tenant, head.workflow_id)) + 1);
      const { draft, calledWorkflowVersions } = await resolveCallTargets(trx, tenant, head.draft_definition);
      const catalog = options.catalog ?? DEFAULT_CATALOG;
      const { errors, warnings } = validateWorkflowForPublish(draft, {
        catalog,
        calledWorkflowVersions,
        self: { workflowId: head.workflow_id, version },
        now: options.now?.() ?? new Date(),
      });
      if (errors.length > 0)
        fail("PUBLISH_VALIDATION_FAILED", { workflowKey: head.key, workflowId: head.workflow_id, errors });
      const definition = draft as Record<string, unknown>;
      const trigger = isJsonObject(definition.trigger) ? definition.trigger : null;
      const source =
        trigger?.type === "event" && typeof trigger.sourcePayloadSchemaRef === "string"
          ? trigger.sourcePayloadSchemaRef
          : null;
      await writePublishedVersion(trx, tenant, {
        workflowId: head.workflow_id,
        version,
        definition: { ...definition, id: head.workflow_id, version },
        draftDefinition: { ...definition, id: head.workflow_id, version: version + 1 },
        name: String(definition.name),
        description: typeof definition.description === "string" ? definition.description : null,
        trigger,
        payloadSchemaRef: String(definition.payloadSchemaRef),
        validationStatus: warnings.length > 0 ? "warning" : "valid",
        validationWarnings: warnings,
        validationContext: {
          payloadSchemaRef: definition.payloadSchemaRef,
          payloadSchemaHash: null,
          triggerSourceSchemaRef: source,
          triggerSchemaRefStatus:
            trigger?.type !== "event"
              ? null
              : source === null
                ? "missing"
                : catalog.schemaRefs.has(source)
                  ? "known"
                  : "unknown",
        },
        actor: options.actor ?? null,
      });
      return { workflowKey: head.key, workflowId: head.workflow_id, version, warnings };
    });
  } catch (error) {
    rethrowAsDatabaseError(error, options.key === undefined ? [] : [options.key]);
  }
}
