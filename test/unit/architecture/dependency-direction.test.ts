/**
 * The architecture of ../shared/HOUSE_STYLE.md, checked on the source: the dependency direction
 * `errors ← format ← catalog ← db ← import/export ← seeder, runtime ← http ← cli`, a pure
 * `format`, and no environment reads below the CLI. Imports are found with regular expressions
 * (static, type-only, re-exports and dynamic imports alike), on the source with comments removed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { expect } from "chai";

const ROOT = process.cwd();
const SRC = join(ROOT, "src");

/** The layer of each part of src/: a module may import only from lower layers or its own folder. */
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

function listTsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTsFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Source without comments; string contents are kept (a "://" in a URL is not a comment). */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every module specifier a TypeScript source imports or re-exports, statically or dynamically. */
function collectImports(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const patterns = [
    /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?[^'"`;]*?\sfrom\s*["']([^"']+)["']/g,
    /(?:^|[\s;])import\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/** The part of src/ a file belongs to: its first folder, or its file name for a top-level file. */
function partOf(file: string): string {
  const [first, second] = relative(SRC, file).split(sep);
  return second === undefined ? (first as string).replace(/\.ts$/, "") : (first as string);
}

interface ImportEdge {
  from: string;
  specifier: string;
  /** The imported file, for a relative specifier. */
  target?: string;
}

function collectEdges(): ImportEdge[] {
  return listTsFiles(SRC).flatMap((file) =>
    collectImports(readFileSync(file, "utf8")).map((specifier) =>
      specifier.startsWith(".")
        ? { from: file, specifier, target: resolve(dirname(file), specifier).replace(/\.js$/, ".ts") }
        : { from: file, specifier },
    ),
  );
}

const show = (file: string) => relative(ROOT, file);

describe("architecture (HOUSE_STYLE.md)", () => {
  const files = listTsFiles(SRC);
  const edges = collectEdges();

  it("finds the source and its imports (the check cannot pass vacuously)", () => {
    expect(files.length).to.be.greaterThan(20);
    expect(edges.filter((e) => e.target).length).to.be.greaterThan(50);
    expect(edges.some((e) => e.specifier === "knex")).to.equal(true);
  });

  it("places every file of src/ in a known layer", () => {
    const unknown = [...new Set(files.map(partOf))].filter((part) => LAYERS[part] === undefined);
    expect(unknown, "add the new part of src/ to LAYERS (and to HOUSE_STYLE.md)").to.deep.equal([]);
  });

  it("imports only along the dependency direction errors ← format ← catalog ← db ← import/export ← seeder, runtime ← http", () => {
    const violations = edges
      .filter((e): e is Required<ImportEdge> => e.target !== undefined)
      .filter((e) => {
        if (!e.target.startsWith(SRC + sep)) return true; // nothing under src/ imports the CLI or root files
        const from = partOf(e.from);
        const to = partOf(e.target);
        if (from === to) return false;
        return (LAYERS[to] as number) >= (LAYERS[from] as number);
      })
      .map(
        (e) =>
          `${show(e.from)} imports ${e.specifier} (${partOf(e.from)} → ${e.target.startsWith(SRC) ? partOf(e.target) : show(e.target)})`,
      );
    expect(violations).to.deep.equal([]);
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
    const violations = files.flatMap((f) => {
      const code = stripComments(readFileSync(f, "utf8"));
      return PROCESS_READS.filter((p) => p.test(code)).map((p) => `${show(f)} uses ${p.source}`);
    });
    expect(violations).to.deep.equal([]);
  });

  it("names every public export of src/index.ts (no export *)", () => {
    const code = stripComments(readFileSync(join(SRC, "index.ts"), "utf8"));
    expect(code).to.not.match(/export\s+\*/);
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
