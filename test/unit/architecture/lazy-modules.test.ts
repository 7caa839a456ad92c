/**
 * What the common paths load at start-up, checked on the source: a valid import, a no-op `up` and
 * the CLI's own modules reach no schema library (zod) and no HTTP server or expression engine
 * through static imports; those are loaded with `import()` only by the paths that need them. A
 * CLI process pays for every module it loads (docs/performance.md, scenarios 3 and 8).
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { expect } from "chai";
import { stripComments } from "./import-graph.js";

const ROOT = process.cwd();

/** The specifiers a module imports statically for their values (no `import type`, no `import()`). */
function staticImports(file: string): string[] {
  const code = stripComments(readFileSync(file, "utf8"));
  const found: string[] = [];
  for (const m of code.matchAll(/(?:^|[\s;])(import|export)\s+(type\s+)?([^'"`;]*?)\sfrom\s*["']([^"']+)["']/g))
    if (m[2] === undefined) found.push(m[4] as string);
  for (const m of code.matchAll(/(?:^|[\s;])import\s*["']([^"']+)["']/g)) found.push(m[1] as string);
  return found;
}

/** The packages a module reaches through static imports, and the project files on the way. */
function staticClosure(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier).replace(/\.js$/, ".ts"));
      else packages.add(specifier);
    }
  };
  visit(join(ROOT, entry));
  return { packages, files };
}

const HEAVY = ["zod", "fastify", "jsonata", "@electric-sql/pglite", "diff"];

describe("lazy modules (start-up cost of the common paths)", () => {
  it("finds static imports and skips type-only and dynamic ones (the check cannot pass vacuously)", () => {
    const schema = staticClosure("src/format/definition-schema.ts");
    expect([...schema.packages]).to.include("zod");
    expect(staticClosure("src/import/import-bundle.ts").files.size).to.be.greaterThan(10);
  });

  for (const entry of ["src/import/import-bundle.ts", "src/seeder/seed-runner.ts", "cli.ts", "cli/context.ts"])
    it(`${entry} reaches none of ${HEAVY.join(", ")} statically`, () => {
      const { packages } = staticClosure(entry);
      expect(HEAVY.filter((p) => packages.has(p))).to.deep.equal([]);
    });

  // The option parser is loaded by every command that takes --on-conflict, a no-op up included.
  for (const entry of ["cli.ts", "src/seeder/seed-runner.ts", "src/import/import-options.ts"])
    it(`${entry} reaches no file of the importer statically (a no-op up writes nothing and loads none of it)`, () => {
      const { files } = staticClosure(entry);
      expect([...files].filter((f) => f.endsWith(join("src", "import", "import-bundle.ts")))).to.deep.equal([]);
    });

  it("loads yargs through its CommonJS build only (cli/yargs.ts), never through its ES module entry", () => {
    const { packages, files } = staticClosure("cli.ts");
    expect([...packages].filter((p) => p === "yargs" || p.startsWith("yargs/"))).to.deep.equal([]);
    expect([...files].some((f) => f.endsWith(join("cli", "yargs.ts")))).to.equal(true);
    expect(readFileSync(join(ROOT, "cli", "yargs.ts"), "utf8")).to.match(/require\("yargs\/yargs"\)/);
  });
});
