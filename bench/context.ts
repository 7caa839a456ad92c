/**
 * What every scenario gets: the inputs (corpus, seeds), the server, the round counts, and a log
 * on stderr (stdout is reserved for the report).
 */
import type { Knex } from "knex";
import type { BenchBundle } from "./workload.js";

/** The tenant every scenario writes to. */
export const BENCH_TENANT = "00000000-0000-4000-8000-0000000be7c7";

/** The shared inputs and settings of a run. */
export interface BenchContext {
  /** The PostgreSQL server; each scenario creates (and drops) its own database on it. */
  serverUrl: string;
  /** The project directory (where dist/cli.js and node_modules are). */
  projectDir: string;
  /** A temporary directory owned by this run. */
  tmpDir: string;
  /** The corpus folder. */
  corpusDir: string;
  /** The valid corpus bundles, parsed. */
  corpus: BenchBundle[];
  /** Every corpus file's text, valid or not (for the offline validation scenario). */
  corpusTexts: { file: string; text: string }[];
  /** The project's own seeds. */
  seeds: BenchBundle[];
  /** Copies of the corpus for the import, export and memory scenarios. */
  scale: number;
  quick: boolean;
  /** Warm-up and measured rounds for a scenario whose full run uses `full` rounds. */
  rounds(full: number): { warmup: number; rounds: number };
  log(message: string): void;
}

/** Statistics of the statements a piece of code sends through a knex instance. */
export interface QueryStats {
  count: number;
  /** Sum of the time between sending each statement and receiving its answer. */
  sqlMs: number;
}

/**
 * Counts the statements `fn` sends through `knex` (transactions included) and the time spent
 * waiting for their answers.
 */
export async function collectQueryStats<T>(knex: Knex, fn: () => Promise<T>): Promise<{ stats: QueryStats; value: T }> {
  const started = new Map<string, number>();
  const stats: QueryStats = { count: 0, sqlMs: 0 };
  const onQuery = (q: { __knexQueryUid: string }) => {
    stats.count++;
    started.set(q.__knexQueryUid, performance.now());
  };
  const onDone = (_r: unknown, q: { __knexQueryUid: string }) => {
    const t = started.get(q.__knexQueryUid);
    if (t !== undefined) stats.sqlMs += performance.now() - t;
    started.delete(q.__knexQueryUid);
  };
  knex.on("query", onQuery);
  knex.on("query-response", onDone);
  knex.on("query-error", onDone);
  try {
    const value = await fn();
    return { stats, value };
  } finally {
    knex.removeListener("query", onQuery);
    knex.removeListener("query-response", onDone);
    knex.removeListener("query-error", onDone);
  }
}
