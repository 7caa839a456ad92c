/**
 * The public API of the reference runtime: publish, run, resume, verify, the action registry and
 * the expression engine. The project's `src/index.ts` re-exports these names.
 */
export type {
  ActionCallContext,
  ActionHandler,
  ActionRef,
  ActionRegistry,
  ActionRegistryOptions,
} from "./action-registry.js";
export { createActionRegistry, defaultActionHandler } from "./action-registry.js";
export type { EvaluateExpressionOptions, ExpressionContext } from "./expression-engine.js";
export {
  ALLOWED_EXPRESSION_FUNCTIONS,
  evaluateExpression,
  MAX_EXPRESSION_RESULT_CHARS,
  normalizeExpressionSource,
  validateExpressionSource,
} from "./expression-engine.js";
export type { PublishValidationOptions, PublishValidationResult } from "./publish-validation.js";
export { validateWorkflowForPublish } from "./publish-validation.js";
export type { PublishWorkflowOptions, PublishWorkflowResult } from "./publish-workflow.js";
export { publishWorkflow } from "./publish-workflow.js";
export type {
  ResumeRunOptions,
  RunExecutionOptions,
  RunInvocationSummary,
  RunStepSummary,
  RunWorkflowOptions,
  RunWorkflowResult,
} from "./run-workflow.js";
export { resumeRun, runWorkflow } from "./run-workflow.js";
export type { CategorizedError, RuntimeError, RuntimeErrorCategory } from "./runtime-error.js";
export { createActionFailure } from "./runtime-error.js";
export type { VerifiedWorkflow, VerifyBundlesOptions, VerifyBundlesResult } from "./verify-bundles.js";
export { verifyBundles } from "./verify-bundles.js";
