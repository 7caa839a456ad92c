/** `workflow-seeder list`: the workflows of a tenant, their versions, status and owning seed. */
import type { WorkflowListEntry } from "../../src/db/workflow-list.js";
import {
  type CommandModule,
  EXIT_OK,
  type GlobalArgs,
  plural,
  printJson,
  printResult,
  resolveTenant,
  tenantOf,
  withDatabase,
} from "../context.js";

/** "1-3,5": ascending version numbers with runs collapsed; "-" for none. */
export function formatVersions(versions: readonly number[]): string {
  if (versions.length === 0) return "-";
  const runs: string[] = [];
  let start = versions[0] as number;
  let end = start;
  for (const v of versions.slice(1)) {
    if (v === end + 1) end = v;
    else {
      runs.push(start === end ? `${start}` : `${start}-${end}`);
      start = v;
      end = v;
    }
  }
  runs.push(start === end ? `${start}` : `${start}-${end}`);
  return runs.join(",");
}

/** The human table: one row per workflow, columns padded to their widest cell. */
function formatTable(workflows: readonly WorkflowListEntry[]): string {
  const header = ["KEY", "WORKFLOW ID", "STATUS", "DRAFT", "PUBLISHED", "SEED"];
  const rows = workflows.map((w) => [
    w.key ?? "(no key)",
    w.workflowId,
    w.paused ? `${w.status}, paused` : w.status,
    `${w.draftVersion}`,
    formatVersions(w.publishedVersions),
    w.seed ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [header, ...rows]
    .map((cells) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function runList(args: GlobalArgs): Promise<number> {
  await tenantOf(args);
  const { selectWorkflowList } = await import("../../src/db/workflow-list.js");
  const { tenant, workflows } = await withDatabase(args, async (db) => {
    const tenant = await resolveTenant(args, db.knex);
    return { tenant, workflows: await selectWorkflowList(db.knex, tenant) };
  });
  if (args.json) printJson({ tenant, workflows });
  else if (workflows.length === 0) printResult(`no workflows in tenant ${tenant}`);
  else {
    const seeded = workflows.filter((w) => w.seed !== null).length;
    printResult(
      `${formatTable(workflows)}\n\n${plural(workflows.length, "workflow")} in tenant ${tenant}, ${seeded} owned by a seed`,
    );
  }
  return EXIT_OK;
}

/** `workflow-seeder list` */
export const listCommand: CommandModule = (argv, run) =>
  argv.command(
    "list",
    "List the workflows of a tenant: key, id, status, draft and published versions, owning seed",
    (y) => y,
    run(runList),
  );
