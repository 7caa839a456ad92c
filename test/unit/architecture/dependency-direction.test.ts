/**
 * The architecture of ../shared/HOUSE_STYLE.md, checked on the source: the dependency direction
 * `errors ← format ← catalog ← db ← import/export ← seeder, runtime ← http ← cli`, no import
 * cycles, a pure `format`, no environment reads, printing or exiting below the CLI, and the
 * naming rules that a pattern can check. Imports are found by ./import-graph.ts.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { expect } from "chai";
import { collectImports, findImportCycles, listTsFiles, stripComments } from "./import-graph.js";

const ROOT = process.cwd();
const SRC = join(ROOT, "src");
const CLI_DIR = join(ROOT, "cli");
const CLI_ENTRY = join(ROOT, "cli.ts");

/**
 * The layer of each part of src/, and of the CLI (cli.ts and cli/): a module may import only from
 * lower layers or its own part.
 */
const LAYERS: Readonly<Record<string, number>> = {
  errors: 0,
  version: 0,
  format: 1,
  catalog: 2,
  db: 3,
  import: 4,
  export: 4,
  seeder: 5,
  runtime: 5,
  http: 6,
  index: 7,
  cli: 8,
};

/** Packages the pure core must never reach (I/O, drivers, the process). */
const IMPURE_PACKAGES = [
  "knex",
  "pg",
  "fs",
  "fs/promises",
  "node:fs",
  "node:fs/promises",
  "process",
  "node:process",
  "child_process",
  "node:child_process",
  "net",
  "node:net",
  "http",
  "node:http",
  "os",
  "node:os",
  "@electric-sql/pglite",
  "@electric-sql/pglite-socket",
  "proper-lockfile",
];

/** Reads of the environment, working directory, argv or exit, and the process object taken as a value. */
const PROCESS_READS = [
  /\bprocess\.env\b/,
  /\bprocess\.cwd\s*\(/,
  /\bprocess\.argv\b/,
  /\bprocess\.exit\b/,
  /\bprocess\s*\[/,
  /[=(,:]\s*process\b(?!\s*\.)/,
];

/** Output to the terminal, which only the CLI writes (the server writes its log to a stream it is given). */
const TERMINAL_WRITES = [/\bconsole\.\w+\s*\(/, /\bprocess\.std(?:out|err)\b/];

/** Ending the process or choosing its exit code: cli.ts alone does it, once, in its top-level catch. */
const EXIT_CODE_WRITES = [/\bprocess\.exit\b/, /\bprocess\.exitCode\b/];

/** The part a file belongs to: `cli` for cli.ts and cli/; in src/ its first folder, or its name for a top-level file. */
function partOf(file: string): string | undefined {
  if (file === CLI_ENTRY || file.startsWith(CLI_DIR + sep)) return "cli";
  if (!file.startsWith(SRC + sep)) return undefined;
  const [first, second] = relative(SRC, file).split(sep);
  return second === undefined ? (first as string).replace(/\.ts$/, "") : (first as string);
}

interface ImportEdge {
  from: string;
  specifier: string;
  /** The imported file, for a relative specifier. */
  target?: string;
}

function collectEdges(files: readonly string[]): ImportEdge[] {
  return files.flatMap((file) =>
    collectImports(readFileSync(file, "utf8")).map((specifier) =>
      specifier.startsWith(".")
        ? { from: file, specifier, target: resolve(dirname(file), specifier).replace(/\.js$/, ".ts") }
        : { from: file, specifier },
    ),
  );
}

/**
 * The relative imports against the dependency direction: to a higher layer, or out of src/ and
 * the CLI (src/ never reaches cli/ or a file at the root; cli/ never reaches tests or tools).
 */
function findLayerViolations(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter((e): e is Required<ImportEdge> => e.target !== undefined)
    .filter((e) => {
      const from = partOf(e.from);
      const to = partOf(e.target);
      if (from === undefined || to === undefined) return true;
      if (from === to) return false;
      return (LAYERS[to] as number) >= (LAYERS[from] as number);
    })
    .map((e) => `${show(e.from)} imports ${e.specifier} (${partOf(e.from)} → ${partOf(e.target) ?? show(e.target)})`);
}

/** The import graph of the given files: each file → the files it imports by a relative path. */
function importGraphOf(files: readonly string[], edges: readonly ImportEdge[]): Map<string, string[]> {
  const graph = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (e.target !== undefined) graph.get(e.from)?.push(e.target);
  return graph;
}

function matchesOf(files: readonly string[], patterns: readonly RegExp[]): string[] {
  return files.flatMap((f) => {
    const code = stripComments(readFileSync(f, "utf8"));
    return patterns.filter((p) => p.test(code)).map((p) => `${show(f)} uses ${p.source}`);
  });
}

const show = (file: string) => relative(ROOT, file);

describe("architecture (HOUSE_STYLE.md)", () => {
  const files = listTsFiles(SRC);
  const cliFiles = [CLI_ENTRY, ...listTsFiles(CLI_DIR)];
  const edges = collectEdges(files);
  const cliEdges = collectEdges(cliFiles);

  it("finds the source and its imports (the check cannot pass vacuously)", () => {
    expect(files.length).to.be.greaterThan(20);
    expect(edges.filter((e) => e.target).length).to.be.greaterThan(50);
    expect(edges.some((e) => e.specifier === "knex")).to.equal(true);
    expect(cliFiles.length).to.be.greaterThan(5);
    expect(cliEdges.filter((e) => e.target?.startsWith(SRC + sep)).length).to.be.greaterThan(20);
  });

  it("places every file of src/ in a known layer", () => {
    const unknown = [...new Set(files.map(partOf))].filter((part) => part === undefined || LAYERS[part] === undefined);
    expect(unknown, "add the new part of src/ to LAYERS (and to HOUSE_STYLE.md)").to.deep.equal([]);
  });

  it("imports only along the dependency direction errors ← format ← catalog ← db ← import/export ← seeder, runtime ← http ← cli", () => {
    const violations = findLayerViolations([...edges, ...cliEdges]);
    expect(violations).to.deep.equal([]);
  });

  it("has no import cycles in src/ and the CLI (static, type-only and dynamic imports alike)", () => {
    const all = [...files, ...cliFiles];
    const cycles = findImportCycles(importGraphOf(all, [...edges, ...cliEdges]));
    expect(cycles.map((cycle) => cycle.map(show).join(" → "))).to.deep.equal([]);
  });

  it("keeps errors.ts a leaf", () => {
    const imports = edges.filter((e) => partOf(e.from) === "errors").map((e) => e.specifier);
    expect(imports).to.deep.equal([]);
  });

  it("keeps format pure: no knex, pg, fs, process or other I/O", () => {
    const violations = edges
      .filter((e) => partOf(e.from) === "format" && IMPURE_PACKAGES.includes(e.specifier))
      .map((e) => `${show(e.from)} imports ${e.specifier}`);
    expect(violations).to.deep.equal([]);
  });

  it("keeps format free of the process, the clock and randomness", () => {
    const violations = files
      .filter((f) => partOf(f) === "format")
      .flatMap((f) => {
        const code = stripComments(readFileSync(f, "utf8"));
        return [/\bprocess\./, /\bDate\.now\(/, /\bnew Date\(\s*\)/, /\bMath\.random\(/, /\brandomUUID\(/]
          .filter((p) => p.test(code))
          .map((p) => `${show(f)} uses ${p.source}`);
      });
    expect(violations).to.deep.equal([]);
  });

  it("keeps database drivers out of catalog", () => {
    const violations = edges
      .filter((e) => partOf(e.from) === "catalog" && ["knex", "pg", "@electric-sql/pglite"].includes(e.specifier))
      .map((e) => `${show(e.from)} imports ${e.specifier}`);
    expect(violations).to.deep.equal([]);
  });

  it("never reads process.env, process.cwd() or process.argv, nor exits, below the CLI", () => {
    const violations = matchesOf(files, PROCESS_READS);
    expect(violations).to.deep.equal([]);
  });

  it("never prints below the CLI (no console, no process.stdout or stderr in src/)", () => {
    expect(matchesOf(files, TERMINAL_WRITES)).to.deep.equal([]);
  });

  it("sets the exit code in cli.ts only", () => {
    const others = [...files, ...cliFiles.filter((f) => f !== CLI_ENTRY)];
    expect(matchesOf(others, EXIT_CODE_WRITES)).to.deep.equal([]);
    expect(matchesOf([CLI_ENTRY], EXIT_CODE_WRITES)).to.have.length.greaterThan(0);
  });

  it("names every file of src/ and the CLI in kebab-case", () => {
    const misnamed = [...files, ...cliFiles].filter((f) => !/^[a-z0-9]+(?:-[a-z0-9]+)*\.ts$/.test(basename(f)));
    expect(misnamed.map(show)).to.deep.equal([]);
  });

  it("has no banner comments in src/ and the CLI", () => {
    const banners = [...files, ...cliFiles].flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .flatMap((line, i) => (/^\s*\/\/.*[-=*#]{8,}/.test(line) ? [`${show(f)}:${i + 1}`] : [])),
    );
    expect(banners).to.deep.equal([]);
  });

  it("names every public export of src/index.ts (no export *)", () => {
    const code = stripComments(readFileSync(join(SRC, "index.ts"), "utf8"));
    expect(code).to.not.match(/export\s+\*/);
  });

  describe("the checks fail on a violation", () => {
    const at = (...parts: string[]) => join(ROOT, ...parts);

    it("finds every cycle of a small graph, a self-import included, and none in a diamond", () => {
      const graph = new Map([
        ["a", ["b"]],
        ["b", ["c", "outside"]],
        ["c", ["a"]],
        ["d", ["d", "a"]],
        ["e", ["f"]],
        ["f", ["e"]],
      ]);
      expect(findImportCycles(graph)).to.deep.equal([["a", "b", "c"], ["d"], ["e", "f"]]);
      const diamond = new Map([
        ["top", ["left", "right"]],
        ["left", ["bottom"]],
        ["right", ["bottom"]],
        ["bottom", []],
      ]);
      expect(findImportCycles(diamond)).to.deep.equal([]);
    });

    it("finds the cycle of two CLI modules that import each other", () => {
      const local = at("cli", "commands", "local.ts");
      const remote = at("cli", "commands", "remote.ts");
      const cycleEdges = [
        { from: local, specifier: "./remote.js", target: remote },
        { from: remote, specifier: "./local.js", target: local },
      ];
      expect(findImportCycles(importGraphOf([local, remote], cycleEdges))).to.deep.equal([[local, remote]]);
    });

    it("flags src/ importing the CLI, a lower layer importing a higher one, and the CLI importing a test", () => {
      const violations = findLayerViolations([
        { from: at("src", "db", "tenant.ts"), specifier: "../../cli/context.js", target: at("cli", "context.ts") },
        { from: at("src", "http", "index.ts"), specifier: "../../cli.js", target: CLI_ENTRY },
        { from: at("src", "format", "x.ts"), specifier: "../db/y.js", target: at("src", "db", "y.ts") },
        { from: at("cli", "context.ts"), specifier: "../test/support/cli.js", target: at("test", "support", "cli.ts") },
        { from: at("cli", "context.ts"), specifier: "../src/db/tenant.js", target: at("src", "db", "tenant.ts") },
        { from: at("src", "http", "a.ts"), specifier: "./b.js", target: at("src", "http", "b.ts") },
      ]);
      expect(violations).to.have.length(4);
      expect(violations[0]).to.include("src/db/tenant.ts").and.include("db → cli");
      expect(violations[3]).to.include("cli/context.ts").and.include("test/support/cli.ts");
    });

    it("sees printing, exit codes and a banner", () => {
      const code = 'console.log("x");\nprocess.stderr.write("y");\nprocess.exitCode = 1;';
      expect(TERMINAL_WRITES.every((p) => p.test(code))).to.equal(true);
      expect(EXIT_CODE_WRITES.some((p) => p.test(code))).to.equal(true);
      expect(
        /^\s*\/\/.*[-=*#]{8,}/.test("// ---------------------------------------------------------------- up"),
      ).to.equal(true);
    });
  });

  describe("the import scanner", () => {
    it("finds static, type-only, multi-line, re-exported, side-effect and dynamic imports", () => {
      const source = [
        'import { a } from "./a.js";',
        'import type { B } from "../b.js";',
        "import {\n  c,\n  d,\n} from './c.js';",
        'export { e } from "./e.js";',
        'export * from "./f.js";',
        'import "./g.js";',
        'const h = await import("./h.js");',
        'import x, { y } from "knex";',
      ].join("\n");
      expect(collectImports(source)).to.have.members([
        "./a.js",
        "../b.js",
        "./c.js",
        "./e.js",
        "./f.js",
        "./g.js",
        "./h.js",
        "knex",
      ]);
    });

    it("sees the process object taken as a value", () => {
      const asValue = PROCESS_READS.at(-1) as RegExp;
      expect(asValue.test("const { env } = process;")).to.equal(true);
      expect(asValue.test("read(process)")).to.equal(true);
      expect(asValue.test("used by another workflow-seeder process (waited")).to.equal(false);
    });

    it("ignores imports and process reads inside comments, not URLs in strings", () => {
      const source =
        '// import { a } from "./a.js";\n/* import("./b.js") process.env.X */\nconst u = "postgres://h/db";';
      expect(collectImports(source)).to.deep.equal([]);
      expect(stripComments(source)).to.include("postgres://h/db").and.not.include("process.env");
    });
  });
});
