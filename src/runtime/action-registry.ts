import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";

/** What an action handler is told about the call. */
export interface ActionCallContext {
  tenant: string;
  runId: string;
  workflowId: string;
  stepPath: string;
  actionId: string;
  version: number;
  /** The invocation's idempotency key (as recorded in `workflow_action_invocations`). */
  idempotencyKey: string;
  /** 1 for the first call of this key, then 2, 3, ... on retries and re-claims. */
  attempt: number;
}

/**
 * Implements one action: receives the resolved input and returns the output (any JSON value; a
 * promise is awaited). Throw to fail; an error with a string `category` (see
 * `createActionFailure`) keeps it, anything else is an `ActionError`.
 */
export type ActionHandler = (input: unknown, context: ActionCallContext) => unknown;

/** `actionId@version`, or the two parts. */
export type ActionRef = string | { actionId: string; version: number };

/**
 * The actions a run can call, by `actionId@version`. The one extension point of the runtime: a
 * test harness registers handlers for the actions it wants to observe or fail.
 */
export interface ActionRegistry {
  /** Registers (or replaces) the handler of an action. Returns the registry, for chaining. */
  register(action: ActionRef, handler: ActionHandler): ActionRegistry;
  /** The handler of an action, or undefined when none is registered. */
  resolve(actionId: string, version: number): ActionHandler | undefined;
  /** Every registered `actionId@version`, sorted. */
  list(): string[];
}

/** Options of {@link createActionRegistry}. */
export interface ActionRegistryOptions {
  /**
   * Every action of this catalog gets {@link defaultActionHandler}. Default: Alga's registrations
   * ({@link DEFAULT_CATALOG}). Pass `null` for an empty registry.
   */
  catalog?: RuntimeCatalog | null;
  /** Handlers to register on top, by `actionId@version`. */
  handlers?: Readonly<Record<string, ActionHandler>>;
}

/**
 * The default handler of every catalog action: no side effect, and the same empty result `{}` for
 * every call. The run records the call (input, output, idempotency key) in
 * `workflow_action_invocations`, so any catalog workflow can run and be inspected.
 */
export const defaultActionHandler: ActionHandler = () => ({});

const ACTION_REF = /^([^@\s]+)@([1-9]\d*)$/;

/** Parses `actionId@version`; throws a `TypeError` on any other string. */
export function parseActionRef(action: ActionRef): { actionId: string; version: number } {
  if (typeof action !== "string") return { actionId: action.actionId, version: action.version };
  const m = ACTION_REF.exec(action);
  if (!m) throw new TypeError(`expected "actionId@version", got ${JSON.stringify(action)}`);
  return { actionId: m[1] as string, version: Number(m[2]) };
}

/**
 * Creates an action registry: the default handler for every action of the catalog, then the
 * given handlers.
 *
 * @example
 * const actions = createActionRegistry().register("email.send@1", (input) => {
 *   sent.push(input);
 *   return { messageId: "m-1" };
 * });
 * await runWorkflow(knex, { tenant, key: "ticket-created-notify", payload, actions });
 */
export function createActionRegistry(options: ActionRegistryOptions = {}): ActionRegistry {
  const handlers = new Map<string, ActionHandler>();
  const catalog = options.catalog === undefined ? DEFAULT_CATALOG : options.catalog;
  for (const ref of catalog?.actions ?? []) handlers.set(ref, defaultActionHandler);
  const registry: ActionRegistry = {
    register(action, handler) {
      const { actionId, version } = parseActionRef(action);
      handlers.set(`${actionId}@${version}`, handler);
      return registry;
    },
    resolve(actionId, version) {
      return handlers.get(`${actionId}@${version}`);
    },
    list() {
      return [...handlers.keys()].sort();
    },
  };
  for (const [ref, handler] of Object.entries(options.handlers ?? {})) registry.register(ref, handler);
  return registry;
}
