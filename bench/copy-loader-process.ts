/**
 * A child process of scenario 8, the reference of a whole-process import: what a minimal COPY
 * loader does with the same bundle file, as its own Node process: read and parse the file, build
 * the rows, load them with COPY in one transaction over `pg`. No validation, no knex, no CLI.
 * Usage: node dist/bench/copy-loader-process.js <bundle-file> <database-url> <tenant>
 */
import { readFile } from "node:fs/promises";
import pg from "pg";
import { createPgClientCopyTarget, loadByCopy } from "./copy-load.js";
import { buildReferenceRows, collectBundleWorkflows } from "./reference-rows.js";

const [file, databaseUrl, tenant] = process.argv.slice(2) as [string, string, string];
const bundle = JSON.parse(await readFile(file, "utf8"));
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
try {
  await loadByCopy(createPgClientCopyTarget(client), tenant, buildReferenceRows(collectBundleWorkflows([{ bundle }])));
} finally {
  await client.end();
}
