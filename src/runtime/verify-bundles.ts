import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import type { Knex } from "knex";
import { DEFAULT_CATALOG, type RuntimeCatalog } from "../catalog/runtime-catalog.js";
import { selectDrafts } from "../db/publish-store.js";
import { assertTenant } from "../db/tenant.js";
import {
  type DefinitionProblem,
  fail,
  isWorkflowSeederError,
  renderIssueMessage,
  WorkflowSeederError,
} from "../errors.js";
import { parseJsonText } from "../format/parse-bundle.js";
import { collectCallReferences } from "../format/workflow-references.js";
import { type BundleSource, importBundles } from "../import/import-bundle.js";
import { listFolderJsonFiles, listJsonFiles, readTextFile } from "../import/read-files.js";
import { isSeedFolder, readSeedFolderSources } from "../import/seed-folder.js";
import type { ActionRegistry } from "./action-registry.js";
import { publishWorkflow } from "./publish-workflow.js";
import { type RunWorkflowResult, runWorkflow } from "./run-workflow.js";
import type { RuntimeError } from "./runtime-error.js";

/** Options of {@link verifyBundles}: the bundles as values (`bundles`) or as files and folders (`files`). */
export interface VerifyBundlesOptions {
  /** The tenant to import into, inside the rolled-back transaction. Default: a new random tenant. */
  tenant?: string;
  bundles?: readonly BundleSource[];
  /**
   * Bundle files, or folders. A folder that holds seed files (`<version>.<name>.bundle.json`) is
   * read as a seeds folder (see `seedDirs`); any other folder is searched for `.json` files.
   */
  files?: readonly string[];
  /**
   * Seeds folders, read as `up` would leave the tenant: every seed in name order, a later seed's
   * version of a key replacing the earlier one; a misnamed `.json` file is `INVALID_SEED_NAME`.
   */
  seedDirs?: readonly string[];
  /**
   * A folder with `<workflow key>.json` payload files; a workflow without one runs with `{}`. A
   * `.json` file in it that names no workflow being verified is `UNKNOWN_PAYLOAD_KEY` (a misnamed
   * payload would otherwise be silently unused); a missing folder is `FILE_NOT_FOUND`.
   */
  payloadDir?: string;
  catalog?: RuntimeCatalog;
  actions?: ActionRegistry;
  secrets?: Readonly<Record<string, string>>;
  now?: () => Date;
}

/** The verdict on one workflow. */
export interface VerifiedWorkflow {
  workflowKey: string;
  workflowId: string;
  /** The draft's publish: the new version, or the errors that block it. */
  publish: { ok: true; version: number; warnings: DefinitionProblem[] } | { ok: false; errors: DefinitionProblem[] };
  /**
   * The run of the latest published version: its status (SUCCEEDED, FAILED, WAITING); SKIPPED with
   * the reason (a paused workflow, no published version); REFUSED with the error that prevented the
   * run (counts as a failure).
   */
  run:
    | { status: string; runId: string; version: number; error: RuntimeError | null; payloadFile: string | null }
    | { status: "SKIPPED"; reason: string }
    | { status: "REFUSED"; code: string; message: string };
  /** Published, and the run did not fail. */
  ok: boolean;
  /** The first problem, for a one-line report. */
  firstError: string | null;
}

/** What {@link verifyBundles} found. */
export interface VerifyBundlesResult {
  ok: boolean;
  tenant: string;
  workflows: VerifiedWorkflow[];
}

async function readSources(options: VerifyBundlesOptions): Promise<BundleSource[]> {
  const sources: BundleSource[] = [...(options.bundles ?? [])];
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  for (const dir of options.seedDirs ?? []) sources.push(...(await readSeedFolderSources(dir, catalog)));
  for (const path of options.files ?? []) {
    if (await isSeedFolder(path)) {
      sources.push(...(await readSeedFolderSources(path, catalog)));
      continue;
    }
    const files = await listJsonFiles([path]);
    // Verifying nothing must not pass as "0 of 0 workflows verified".
    if (files.length === 0)
      fail("INVALID_ARGUMENT", {
        option: "files",
        received: path,
        expected: "a bundle file, or a folder holding .json bundles",
      });
    for (const file of files) {
      const parsed = parseJsonText(await readTextFile(file), { file });
      if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
      sources.push({ bundle: parsed.value, file });
    }
  }
  return sources;
}

/** The payload files of `payloadDir` by workflow key (`<key>.json`); empty without a folder. */
async function readPayloadFiles(payloadDir: string | undefined): Promise<Map<string, string>> {
  if (payloadDir === undefined) return new Map();
  const files = await listFolderJsonFiles(payloadDir);
  return new Map(files.map((file) => [basename(file).slice(0, -".json".length), file]));
}

/** Fails with `UNKNOWN_PAYLOAD_KEY` when a payload file names no workflow being verified. */
function assertPayloadKeysKnown(payloadDir: string, payloadFiles: Map<string, string>, keys: readonly string[]): void {
  const known = new Set(keys);
  const unknown = [...payloadFiles].filter(([key]) => !known.has(key));
  if (unknown.length > 0)
    fail("UNKNOWN_PAYLOAD_KEY", {
      payloadDir,
      files: unknown.map(([, file]) => file),
      unknownKeys: unknown.map(([key]) => key),
      knownKeys: [...known].sort(),
    });
}

async function readPayload(
  payloadFiles: Map<string, string>,
  key: string,
): Promise<{ payload: unknown; file: string | null }> {
  const file = payloadFiles.get(key);
  if (file === undefined) return { payload: {}, file: null };
  const text = await readTextFile(file);
  const parsed = parseJsonText(text, { file });
  if (!parsed.ok) throw new WorkflowSeederError(parsed.issues);
  return { payload: parsed.value, file };
}

/** Called workflows first, so a caller's publish finds its target's new version. */
function orderCalleesFirst(workflows: { workflowId: string; draft: unknown }[]): string[] {
  const byId = new Map(workflows.map((w) => [w.workflowId.toLowerCase(), w]));
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string) => {
    if (state.has(id)) return;
    state.set(id, "visiting");
    for (const ref of collectCallReferences(byId.get(id)?.draft)) {
      const target = ref.workflowId.toLowerCase();
      if (byId.has(target)) visit(target);
    }
    state.set(id, "done");
    order.push(byId.get(id)?.workflowId as string);
  };
  for (const id of byId.keys()) visit(id);
  return order;
}

/**
 * "Do my seeds still work": imports the bundles into a throw-away tenant inside a transaction,
 * publishes every workflow's draft (called workflows first), runs the latest published version of
 * every workflow with a sample payload (`<payloadDir>/<key>.json`, else `{}`) and the default
 * action handlers, reports per workflow, and rolls everything back. Bundles that do not import
 * throw their import error.
 *
 * @example const report = await verifyBundles(knex, { seedDirs: ["seeds/workflows"] }); report.ok
 */
export async function verifyBundles(db: Knex, options: VerifyBundlesOptions): Promise<VerifyBundlesResult> {
  const tenant = options.tenant ?? randomUUID();
  assertTenant(tenant);
  const sources = await readSources(options);
  const payloadFiles = await readPayloadFiles(options.payloadDir);
  const trx = await db.transaction();
  try {
    const imported = await importBundles(trx, sources, {
      tenant,
      ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
    });
    const drafts = await selectDrafts(trx, tenant);
    const keyById = new Map(imported.createdWorkflows.map((w) => [w.workflowId, w.key]));
    if (options.payloadDir !== undefined)
      assertPayloadKeysKnown(options.payloadDir, payloadFiles, [...keyById.values()]);
    const order = orderCalleesFirst(drafts.map((r) => ({ workflowId: r.workflow_id, draft: r.draft_definition })));
    const common = {
      tenant,
      ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
      ...(options.now === undefined ? {} : { now: options.now }),
    };
    const published = new Map<string, VerifiedWorkflow["publish"]>();
    for (const workflowId of order) {
      try {
        const result = await publishWorkflow(trx, { ...common, workflowId });
        published.set(workflowId, { ok: true, version: result.version, warnings: result.warnings });
      } catch (error) {
        if (!isWorkflowSeederError(error)) throw error;
        const errors: DefinitionProblem[] =
          error.issue.code === "PUBLISH_VALIDATION_FAILED"
            ? error.issue.details.errors
            : [{ code: error.code, path: "", stepPath: "root", message: renderIssueMessage(error.issue) }];
        published.set(workflowId, { ok: false, errors });
      }
    }
    const workflows: VerifiedWorkflow[] = [];
    for (const workflowId of order) {
      const workflowKey = keyById.get(workflowId) ?? workflowId;
      const publish = published.get(workflowId) as VerifiedWorkflow["publish"];
      const { payload, file } = await readPayload(payloadFiles, workflowKey);
      let run: VerifiedWorkflow["run"];
      try {
        const result: RunWorkflowResult = await runWorkflow(trx, {
          ...common,
          workflowId,
          payload,
          ...(options.actions === undefined ? {} : { actions: options.actions }),
          ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
        });
        run = {
          status: result.status,
          runId: result.runId,
          version: result.version,
          error: result.error ?? null,
          payloadFile: file,
        };
      } catch (error) {
        if (!isWorkflowSeederError(error)) throw error;
        run =
          error.code === "WORKFLOW_PAUSED" || error.code === "NO_PUBLISHED_VERSION"
            ? { status: "SKIPPED", reason: error.code }
            : { status: "REFUSED", code: error.code, message: error.message };
      }
      const runFailed = run.status === "FAILED" || run.status === "REFUSED";
      let firstError: string | null = null;
      if (!publish.ok) {
        const first = publish.errors[0];
        firstError = first
          ? `publish: [${first.code}] ${first.stepPath ?? "root"}: ${first.message}`
          : "publish failed";
      } else if ("code" in run) firstError = `run: [${run.code}] ${run.message}`;
      else if (run.status === "FAILED" && "error" in run && run.error)
        firstError = `run: ${run.error.category} at ${run.error.nodePath}: ${run.error.message}`;
      workflows.push({ workflowKey, workflowId, publish, run, ok: publish.ok && !runFailed, firstError });
    }
    workflows.sort((a, b) => (a.workflowKey < b.workflowKey ? -1 : a.workflowKey > b.workflowKey ? 1 : 0));
    return { ok: workflows.every((w) => w.ok), tenant, workflows };
  } finally {
    await trx.rollback();
  }
}
