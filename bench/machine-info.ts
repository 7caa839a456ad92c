/** The machine a run happened on, from /proc, Node and the database servers. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import knexFactory from "knex";
import type { MachineInfo } from "./report.js";

async function readProc(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return "";
  }
}

/** Reads CPU model, core count, memory and load from /proc, and the Node, PostgreSQL and PGlite versions. */
export async function readMachineInfo(serverUrl: string, loadAtStart: number): Promise<MachineInfo> {
  const cpuinfo = await readProc("/proc/cpuinfo");
  const meminfo = await readProc("/proc/meminfo");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const memKb = Number(/^MemTotal:\s*(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const knex = knexFactory({ client: "pg", connection: serverUrl, pool: { min: 0, max: 1 } });
  let postgres = "unknown";
  try {
    postgres = (await knex.raw("select version() as v")).rows[0].v.split(" on ")[0];
  } finally {
    await knex.destroy();
  }
  let pglite = "unknown";
  try {
    // The package does not export its package.json: find it from its entry point.
    const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
    const manifest = join(entry.slice(0, entry.lastIndexOf("/@electric-sql/pglite/") + 21), "package.json");
    pglite = (JSON.parse(await readFile(manifest, "utf8")) as { version: string }).version;
  } catch {
    // Reported as unknown.
  }
  return {
    cpu: model.trim(),
    cores: cpus().length,
    memoryGiB: Math.round((memKb / 1024 / 1024) * 10) / 10,
    node: process.version,
    postgres,
    pglite,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
}
