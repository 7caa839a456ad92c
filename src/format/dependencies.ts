import type { ActionDependency, BundleWorkflow, WorkflowDependencies } from "./bundle-schema.js";
import { isJsonObject } from "./json-value.js";
import { someStep } from "./step-walk.js";

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

/** Receives dependencies one at a time, repeats included, as {@link visitRequiredDependencies} finds them. */
export interface DependencyVisitor {
  action(actionId: string, version: number): void;
  nodeType(type: string): void;
  schemaRef(ref: string): void;
}

/**
 * Visits what one definition depends on (Alga's rules: schema refs and action ids trimmed, empty
 * names left out). Total on malformed input. Unlike Alga, an action version that is not an integer
 * >= 1 is left out too: the bundle schema could not carry it, and an export must stay valid.
 */
function visitDefinitionDependencies(definition: unknown, visitor: DependencyVisitor): void {
  if (!isJsonObject(definition)) return;
  const payloadSchemaRef = nameOf(definition.payloadSchemaRef);
  if (payloadSchemaRef) visitor.schemaRef(payloadSchemaRef);
  const trigger = definition.trigger;
  const sourceRef =
    isJsonObject(trigger) && trigger.type === "event" ? nameOf(trigger.sourcePayloadSchemaRef) : undefined;
  if (sourceRef) visitor.schemaRef(sourceRef);
  someStep(definition, (step) => {
    // Types are not trimmed (Alga does not): " state.set" is not the registered node type.
    const type = step.type;
    if (typeof type !== "string" || type === "") return false;
    if (!type.startsWith("control.")) visitor.nodeType(type);
    if (type === "action.call" && isJsonObject(step.config)) {
      const actionId = nameOf(step.config.actionId);
      const version = versionOf(step.config.version);
      if (actionId !== undefined && version !== undefined) visitor.action(actionId, version);
    }
    return false;
  });
}

/**
 * Visits what a workflow's definitions depend on: the draft, every published version (a version
 * equal to the draft repeats it: walking its steps costs less than comparing it) and the pinned
 * payload schema ref.
 */
function visitComputedDependencies(workflow: DependencySource, visitor: DependencyVisitor): void {
  visitDefinitionDependencies(workflow.draft.definition, visitor);
  for (const v of workflow.publishedVersions) visitDefinitionDependencies(v.definition, visitor);
  const pinned = nameOf(workflow.metadata.pinnedPayloadSchemaRef);
  if (pinned) visitor.schemaRef(pinned);
}

/** Collects what a visit finds into the summary's form: each list sorted and without duplicates. */
function collectVisited(visit: (visitor: DependencyVisitor) => void): WorkflowDependencies {
  const actions: ActionDependency[] = [];
  const nodeTypes = new Set<string>();
  const schemaRefs = new Set<string>();
  visit({
    action: (actionId, version) => actions.push({ actionId, version }),
    nodeType: (type) => nodeTypes.add(type),
    schemaRef: (ref) => schemaRefs.add(ref),
  });
  return {
    actions: normalizeActions(actions),
    nodeTypes: sortedUnique(nodeTypes),
    schemaRefs: sortedUnique(schemaRefs),
  };
}

/**
 * The dependency summary of a workflow, by Alga's rules: node types (every step type except
 * `control.*`), actions (`action.call` id and version) and schema refs (the definition's payload
 * schema ref, an event trigger's source schema ref, the workflow's pinned ref), over the draft and
 * every published version; each list sorted and without duplicates.
 */
export function collectDependencies(workflow: DependencySource): WorkflowDependencies {
  return collectVisited((visitor) => visitComputedDependencies(workflow, visitor));
}

/**
 * Visits what must be checked against a catalog, repeats included: the declared lists (without
 * `control.*` node types, which are not registrations), then what the definitions need, so an
 * under-declared bundle is caught. {@link collectRequiredDependencies} is the same, collected.
 */
export function visitRequiredDependencies(workflow: BundleWorkflow, visitor: DependencyVisitor): void {
  const declared = workflow.dependencies;
  for (const a of declared.actions) visitor.action(a.actionId, a.version);
  for (const t of declared.nodeTypes) if (!t.startsWith("control.")) visitor.nodeType(t);
  for (const r of declared.schemaRefs) visitor.schemaRef(r);
  visitComputedDependencies(workflow, visitor);
}

/**
 * What must be checked against a catalog: the union of the declared list (without `control.*`
 * entries, which are not registrations) and the list recomputed from the definitions, so an
 * under-declared bundle is caught.
 */
export function collectRequiredDependencies(workflow: BundleWorkflow): WorkflowDependencies {
  return collectVisited((visitor) => visitRequiredDependencies(workflow, visitor));
}
