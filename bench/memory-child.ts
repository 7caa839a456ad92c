/**
 * A child process of scenario 7: imports the scaled corpus into a database and prints its peak
 * RSS. Usage: node dist/bench/memory-child.js <database-url> <corpus-dir> <seeds-dir> <scale> <tenant>
 */
import { readFileSync } from "node:fs";
import { openDatabase } from "../src/db/connection.js";
import { importBundles } from "../src/import/import-bundle.js";
import { buildWorkload, isBenchCorpusFile, readBundleFiles } from "./workload.js";

const [databaseUrl, corpusDir, seedsDir, scale, tenant] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
/**
 * Peak RSS of this process image: VmHWM, not `resourceUsage().maxRSS`, which on Linux keeps the
 * high-water mark of the parent that forked this process (it survives exec).
 */
function readPeakRssBytes(): number {
  const kb = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return kb === undefined ? process.resourceUsage().maxRSS * 1024 : Number(kb) * 1024;
}

const rssAfterLoadBytes = process.memoryUsage().rss;
const db = await openDatabase({ kind: "postgres", connection: databaseUrl, source: "api" });
try {
  const corpus = await readBundleFiles(corpusDir, isBenchCorpusFile);
  const seeds = await readBundleFiles(seedsDir, (f) => f.endsWith(".bundle.json"));
  const workload = buildWorkload(corpus, seeds, { scale: Number(scale) });
  // Keep only what the importer needs: the texts are not part of its input.
  for (const c of corpus) c.text = "";
  const result = await importBundles(db.knex, workload.bundles, { tenant });
  process.stdout.write(
    `${JSON.stringify({
      workflows: result.createdWorkflows.length,
      rssAfterLoadBytes,
      maxRssBytes: readPeakRssBytes(),
    })}\n`,
  );
} finally {
  await db.close();
}
