/** The bench's command line, parsed without touching anything (pure). */
import { join, resolve } from "node:path";

/** The parsed command line of the bench. */
export interface BenchArgs {
  json: boolean;
  quick: boolean;
  scale: number;
  rounds: number | null;
  only: string[] | null;
  serverUrl: string;
  corpusDir: string;
  /**
   * Run a second copy of the bench (same options) at the same time and report both: the targets
   * under load (two CPU-bound benches on a 2-core machine put its load average near 2).
   */
  alongside: boolean;
}

/**
 * Parses the bench's arguments (pure). Defaults: scale 10 (1 with `--quick`), the local server, and
 * the corpus next to the project (`<projectDir>/../shared/corpus/alga`).
 */
export function parseBenchArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  projectDir: string,
): BenchArgs {
  const args: BenchArgs = {
    json: false,
    quick: false,
    scale: 10,
    rounds: null,
    only: null,
    serverUrl: env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    corpusDir: resolve(env.WORKFLOW_SEEDER_CORPUS ?? join(projectDir, "..", "shared", "corpus", "alga")),
    alongside: false,
  };
  let scaleGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--json") args.json = true;
    else if (arg === "--quick") args.quick = true;
    else if (arg === "--scale") {
      args.scale = Number(value());
      scaleGiven = true;
      if (args.scale !== 1 && args.scale !== 10) throw new Error("--scale must be 1 or 10");
    } else if (arg === "--rounds") {
      args.rounds = Number(value());
      if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error("--rounds must be a positive integer");
    } else if (arg === "--only") args.only = value().split(",");
    else if (arg === "--database-url") args.serverUrl = value();
    else if (arg === "--corpus") args.corpusDir = resolve(projectDir, value());
    else if (arg === "--alongside") args.alongside = true;
    else
      throw new Error(
        `unknown option ${arg} (known: --json --quick --scale 1|10 --rounds N --only ids --database-url --corpus --alongside)`,
      );
  }
  if (args.quick && !scaleGiven) args.scale = 1;
  return args;
}
