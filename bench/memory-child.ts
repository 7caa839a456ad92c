/**
 * A child process of scenario 7: imports the scaled corpus into a database and prints its peak
 * RSS. Usage: node dist/bench/memory-child.js <database-url> <corpus-dir> <seeds-dir> <scale> <tenant>
 */
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
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
} finally {
  await db.close();
}
