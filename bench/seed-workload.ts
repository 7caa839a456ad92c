/** The seeds folder of scenarios 3 and 4: the project's seeds plus corpus bundles, 330 workflows in all. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext } from "./context.js";
import { buildWorkload, countWorkload, takeWorkflows, writeSeedsDir } from "./workload.js";

/** How many workflows the seeds folder holds (issue 7: "330 workflows in seeds"). */
export const SEED_WORKFLOWS = 330;

/**
 * Writes (once per run) a seeds folder with {@link SEED_WORKFLOWS} workflows: the project's own
 * seeds, then one seed per corpus bundle (copies 1 and 2 as needed), as a project accumulates them.
 */
export async function writeBenchSeedsDir(
  ctx: BenchContext,
): Promise<{ dir: string; seeds: number; workflows: number }> {
  const dir = join(ctx.tmpDir, `seeds-${SEED_WORKFLOWS}`);
  const own = countWorkload(ctx.seeds).workflows;
  const corpus = takeWorkflows(buildWorkload(ctx.corpus, [], { scale: 2 }).bundles, SEED_WORKFLOWS - own);
  if (!existsSync(dir)) await writeSeedsDir(dir, ctx.seeds, corpus.bundles);
  return { dir, seeds: ctx.seeds.length + corpus.bundles.length, workflows: own + corpus.workflows };
}
