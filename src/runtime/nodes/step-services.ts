import type { InvocationRow } from "../../db/run-store.js";
import type { ActionRegistry } from "../action-registry.js";
import type { RunRecorder } from "../run-recorder.js";
import type { RunClock } from "../run-recording.js";
import { DEFAULT_MAX_CALL_DEPTH } from "./call-workflow.js";
import type { CallTarget, StepContext } from "./step-context.js";

/** What the interpreter reads while it runs (for its node handlers). */
export interface InterpreterStore {
  /** The recorded invocation of an idempotency key, if any. */
  findInvocation(actionId: string, version: number, idempotencyKey: string): Promise<InvocationRow | undefined>;
  /** A published version of a workflow of the tenant, or undefined. */
  loadCallTarget(workflowId: string, version: number): Promise<CallTarget | undefined>;
}

/** Options of {@link createStepServices}. */
export interface StepServicesOptions {
  tenant: string;
  actions: ActionRegistry;
  secrets: Readonly<Record<string, string>>;
  clock: RunClock;
  store: InterpreterStore;
  recorder: RunRecorder;
  generateId: () => string;
  /** Default {@link DEFAULT_MAX_CALL_DEPTH}. */
  maxCallDepth?: number;
}

/** The part of a {@link StepContext} that is the same for every step of every run of one interpreter. */
export type StepServices = Pick<
  StepContext,
  | "tenant"
  | "maxCallDepth"
  | "clock"
  | "record"
  | "generateId"
  | "secret"
  | "resolveAction"
  | "findInvocation"
  | "loadCallTarget"
>;

/** Builds the {@link StepServices} of an interpreter. */
export function createStepServices(options: StepServicesOptions): StepServices {
  const { secrets, store, recorder } = options;
  return {
    tenant: options.tenant,
    maxCallDepth: options.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH,
    clock: options.clock,
    record: recorder,
    generateId: options.generateId,
    secret: (name) => (Object.hasOwn(secrets, name) ? secrets[name] : undefined),
    resolveAction: (actionId, version) => options.actions.resolve(actionId, version),
    // This call's own rows first: an invocation made earlier in this call is not in the database yet.
    async findInvocation(actionId, version, key) {
      const recorded = recorder.findInvocation(actionId, version, key);
      if (recorded) return recorded;
      const stored = await store.findInvocation(actionId, version, key);
      return stored && recorder.adoptInvocation(stored);
    },
    loadCallTarget: (workflowId, version) => store.loadCallTarget(workflowId, version),
  };
}
