/**
 * workflow-seeder's public API. Every export is named on its own line.
 */

export { parseCatalog } from "./catalog/catalog-file.js";
export type { CheckBundleResult } from "./catalog/check-bundle.js";
export { checkBundle, checkBundleText } from "./catalog/check-bundle.js";
export type { CatalogFile, RuntimeCatalog } from "./catalog/runtime-catalog.js";
export { DEFAULT_CATALOG, mergeCatalog } from "./catalog/runtime-catalog.js";
export type { Database, DatabaseTarget } from "./db/connection.js";
export { openDatabase, resolveDatabaseTarget } from "./db/connection.js";
export { migrateToLatest } from "./db/migrations.js";
export { DEFAULT_DEV_TENANT } from "./db/tenant.js";
export type {
  DatabaseSource,
  ErrorBody,
  Issue,
  IssueCode,
  IssueDetailsByCode,
  MessageVocabulary,
  ValidationResult,
} from "./errors.js";
export { CLI_VOCABULARY, isWorkflowSeederError, renderIssueMessage, WorkflowSeederError } from "./errors.js";
export type { ExportOptions } from "./export/export-bundle.js";
export { exportBundle } from "./export/export-bundle.js";
export { generateBundleJsonSchema } from "./format/bundle-json-schema.js";
export type { BundleWorkflow, WorkflowBundle, WorkflowMetadata } from "./format/bundle-schema.js";
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, WorkflowBundleSchema } from "./format/bundle-schema.js";
export { canonicalizeJson } from "./format/canonical-json.js";
export { hashCanonicalJson } from "./format/checksum.js";
export type { WorkflowDefinition } from "./format/definition-schema.js";
export { validateWorkflowDefinition, WorkflowDefinitionSchema } from "./format/definition-schema.js";
export { collectDependencies } from "./format/dependencies.js";
export { parseBundleText, validateBundle } from "./format/parse-bundle.js";
export { computePortableWorkflowId, PORTABLE_WORKFLOW_ID_NAMESPACE } from "./format/portable-id.js";
export type {
  ApiToken,
  HttpErrorBody,
  HttpIssueBody,
  RunningServer,
  ServerOptions,
  StartServerOptions,
} from "./http/index.js";
export {
  createServer,
  parseHttpErrorBody,
  parseTokenFileText,
  startServer,
  statusOfCode,
  TOKEN_COOKIE_NAME,
  toHttpErrorBody,
} from "./http/index.js";
export type { ConflictPolicy, ImportOptions, ImportResult } from "./import/import-bundle.js";
export { importBundle, importBundles } from "./import/import-bundle.js";
export { readCatalogFile } from "./import/read-catalog-file.js";
export type {
  ActionHandler,
  ActionRegistry,
  PublishWorkflowOptions,
  PublishWorkflowResult,
  ResumeRunOptions,
  RunWorkflowOptions,
  RunWorkflowResult,
  VerifyBundlesOptions,
  VerifyBundlesResult,
} from "./runtime/index.js";
export {
  createActionRegistry,
  evaluateExpression,
  publishWorkflow,
  resumeRun,
  runWorkflow,
  validateWorkflowForPublish,
  verifyBundles,
} from "./runtime/index.js";
export type { BaselineMismatch } from "./seeder/read-baseline-mismatches.js";
export type { BaselineSeedsOptions, BaselineSeedsResult } from "./seeder/seed-baseline.js";
export { baselineSeeds, createSeedFile, exportToSeed } from "./seeder/seed-baseline.js";
export type { PlannedSeed, PlannedWorkflowChange, PlanSeedsOptions, SeedPlanResult } from "./seeder/seed-plan.js";
export { planSeeds } from "./seeder/seed-plan.js";
export { revertSeeds } from "./seeder/seed-revert.js";
export type { ApplySeedsResult } from "./seeder/seed-runner.js";
export { applySeeds } from "./seeder/seed-runner.js";
export type { SeedStatusResult } from "./seeder/seed-status.js";
export { readSeedStatus } from "./seeder/seed-status.js";
export type { SeederOptions } from "./seeder/seeder-options.js";
export type { FixtureTransaction, WorkflowFixtures } from "./seeder/workflow-fixtures.js";
export {
  computeFixtureWorkflowId,
  loadWorkflowFixtures,
  openFixtureTransaction,
  resetWorkflowFixtures,
} from "./seeder/workflow-fixtures.js";
