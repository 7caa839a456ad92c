import type { ActionDependency, BundleWorkflow, WorkflowDependencies } from "./bundle-schema.js";
import { isJsonEqual } from "./json-equal.js";
import { isJsonObject } from "./json-value.js";
import { walkSteps } from "./step-walk.js";

/** What the dependency summary is computed from: any workflow-shaped value (draft may be invalid). */
export interface DependencySource {
  metadata: { pinnedPayloadSchemaRef?: string | null };
  draft: { definition: unknown };
  publishedVersions: readonly { definition: unknown }[];
}

/** `actionId@version`, the form used in messages and `MISSING_DEPENDENCIES` details. */
export function formatActionRef(action: ActionDependency): string {
  return `${action.actionId}@${action.version}`;
}

/** Sorts actions by id then version and removes duplicates. */
export function normalizeActions(actions: Iterable<ActionDependency>): ActionDependency[] {
  const byRef = new Map<string, ActionDependency>();
  for (const a of actions) byRef.set(formatActionRef(a), { actionId: a.actionId, version: a.version });
  return [...byRef.values()].sort((a, b) =>
    a.actionId < b.actionId ? -1 : a.actionId > b.actionId ? 1 : a.version - b.version,
  );
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** A trimmed, non-empty name, or `undefined`. */
function nameOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const name = value.trim();
  return name === "" ? undefined : name;
}

/** An action version as Alga reads it (a number or a numeric string), kept when a bundle can carry it. */
function versionOf(value: unknown): number | undefined {
  if (typeof value !== "number" && typeof value !== "string") return undefined;
  const version = Number(value);
  return Number.isInteger(version) && version >= 1 ? version : undefined;
}

/**
 * Adds what one definition depends on to the given sets (Alga's rules: schema refs and action ids
 * trimmed, empty names left out). Total on malformed input. Unlike Alga, an action version that is not an integer >= 1
 * is left out too: the bundle schema could not carry it, and an export must stay valid.
 */
function addDefinitionDependencies(
  definition: unknown,
  actions: ActionDependency[],
  nodeTypes: Set<string>,
  schemaRefs: Set<string>,
): void {
  if (!isJsonObject(definition)) return;
  const payloadSchemaRef = nameOf(definition.payloadSchemaRef);
  if (payloadSchemaRef) schemaRefs.add(payloadSchemaRef);
  const trigger = definition.trigger;
  const sourceRef =
    isJsonObject(trigger) && trigger.type === "event" ? nameOf(trigger.sourcePayloadSchemaRef) : undefined;
  if (sourceRef) schemaRefs.add(sourceRef);
  for (const { step } of walkSteps(definition)) {
    // Types are not trimmed (Alga does not): " state.set" is not the registered node type.
    const type = step.type;
    if (typeof type !== "string" || type === "") continue;
    if (!type.startsWith("control.")) nodeTypes.add(type);
    if (type === "action.call" && isJsonObject(step.config)) {
      const actionId = nameOf(step.config.actionId);
      const version = versionOf(step.config.version);
      if (actionId !== undefined && version !== undefined) actions.push({ actionId, version });
    }
  }
}

/**
 * The dependency summary of a workflow, by Alga's rules: node types (every step type except
 * `control.*`), actions (`action.call` id and version) and schema refs (the definition's payload
 * schema ref, an event trigger's source schema ref, the workflow's pinned ref), over the draft and
 * every published version; each list sorted and without duplicates.
 */
export function collectDependencies(workflow: DependencySource): WorkflowDependencies {
  const actions: ActionDependency[] = [];
  const nodeTypes = new Set<string>();
  const schemaRefs = new Set<string>();
  const draft = workflow.draft.definition;
  addDefinitionDependencies(draft, actions, nodeTypes, schemaRefs);
  // A version equal to the draft adds nothing (most real versions are).
  for (const v of workflow.publishedVersions)
    if (!isJsonEqual(v.definition, draft)) addDefinitionDependencies(v.definition, actions, nodeTypes, schemaRefs);
  const pinned = nameOf(workflow.metadata.pinnedPayloadSchemaRef);
  if (pinned) schemaRefs.add(pinned);
  return {
    actions: normalizeActions(actions),
    nodeTypes: sortedUnique(nodeTypes),
    schemaRefs: sortedUnique(schemaRefs),
  };
}

/**
 * What must be checked against a catalog: the union of the declared list (without `control.*`
 * entries, which are not registrations) and the list recomputed from the definitions, so an
 * under-declared bundle is caught.
 */
export function collectRequiredDependencies(workflow: BundleWorkflow): WorkflowDependencies {
  const computed = collectDependencies(workflow);
  const declared = workflow.dependencies;
  return {
    actions: normalizeActions([...declared.actions, ...computed.actions]),
    nodeTypes: sortedUnique([...declared.nodeTypes.filter((t) => !t.startsWith("control.")), ...computed.nodeTypes]),
    schemaRefs: sortedUnique([...declared.schemaRefs, ...computed.schemaRefs]),
  };
}
