/**
 * The package as npm publishes it: `npm pack` of the built tree, installed into a temporary folder
 * OFFLINE (see ../../support/packed-package.ts), then its bin run the ways a user runs it (the
 * installed bin link from another folder, `npx` in the project that installed it) and its library
 * entry points imported.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { type CliResult, runCli } from "../../support/cli.js";
import { installPackedPackage, npm, PACKAGE } from "../../support/packed-package.js";

const exec = promisify(execFile);
const ROOT = process.cwd();

describe("the npm package: packed, installed offline, its bin and entry points", function () {
  this.timeout(300_000);
  let dir: string;
  let files: string[];
  let app: string;
  let work: string;
  let bin: string;

  before(async () => {
    ({ files, app, bin, dir } = await installPackedPackage());
    work = join(dir, "work");
    mkdirSync(work, { recursive: true });
  });

  it("package.json is fit for publishing: not private, a files list, types, engines, a bin", () => {
    expect(PACKAGE.private).to.equal(undefined);
    expect(PACKAGE.files).to.be.an("array").that.is.not.empty;
    expect(
      PACKAGE.files.every((f) => /^!?(dist|docs)\//.test(f)),
      PACKAGE.files.join(", "),
    ).to.equal(true);
    expect(PACKAGE.types).to.equal("./dist/src/index.d.ts");
    expect(PACKAGE.engines.node).to.match(/^>=\d+/);
    expect(PACKAGE.bin).to.deep.equal({ "workflow-seeder": "dist/cli.js" });
    expect(readFileSync(join(ROOT, "dist", "cli.js"), "utf8").startsWith("#!/usr/bin/env node\n")).to.equal(true);
  });

  it("the tarball holds the built code, its types, the docs and the schema, and no tests", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/cli.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/mocha-plugin.js",
      "dist/mocha-plugin.d.ts",
      "docs/guides/seeding.md",
      "docs/schemas/workflow-bundle.v1.schema.json",
    ])
      expect(files, f).to.include(f);
    const extra = files.filter(
      (f) =>
        !/^(package\.json|README\.md|LICENSE)$/.test(f) &&
        !/^dist\/(cli\.js|mocha-plugin\.(js|d\.ts)|cli\/.+\.(js|d\.ts)|src\/.+\.(js|d\.ts))$/.test(f) &&
        !/^docs\//.test(f),
    );
    expect(extra, "files outside dist/cli, dist/src, the plugin and docs").to.deep.equal([]);
    expect(files.filter((f) => /(^|\/)test\//.test(f) || /\.map$/.test(f))).to.deep.equal([]);
  });

  it("the installed bin prints the version, from any folder", async () => {
    const plain = await runCli(["--version"], { script: bin, cwd: work });
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.equal(`${PACKAGE.version}\n`);
    const json = await runCli(["--version", "--json"], { script: bin, cwd: work });
    expect(JSON.parse(json.stdout)).to.deep.equal({ version: PACKAGE.version });
  });

  it("the installed bin validates bundles and imports one into the embedded database", async () => {
    const good = join(work, "good.json");
    const bad = join(work, "bad.json");
    writeFileSync(good, JSON.stringify(makeBundle({ workflows: [makeWorkflow({ key: "packed.ok" })] })));
    writeFileSync(bad, JSON.stringify({ ...makeBundle(), formatVersion: 2 }));
    const valid = await runCli(["validate", good], { script: bin, cwd: work });
    expect(valid.code, valid.stderr).to.equal(0);
    const invalid = await runCli(["validate", bad, "--json"], { script: bin, cwd: work });
    expect(invalid.code).to.equal(1);
    expect((JSON.parse(invalid.stdout) as { error: { code: string } }).error.code).to.equal(
      "UNSUPPORTED_FORMAT_VERSION",
    );
    const imported: CliResult = await runCli(["import", good, "--json"], { script: bin, cwd: work });
    expect(imported.code, imported.stderr).to.equal(0);
    expect(JSON.stringify(JSON.parse(imported.stdout))).to.include("packed.ok");
  });

  it("npx runs the bin in the project that installed it, offline", async () => {
    const { stdout } = await npm(["exec", "--offline", "--no", "--", "workflow-seeder", "--version"], app);
    expect(stdout).to.equal(`${PACKAGE.version}\n`);
  });

  it("the library entry points resolve from the installed package: the API, the mocha plugin, the schema", async () => {
    const script = [
      `const api = await import("${PACKAGE.name}");`,
      `const plugin = import.meta.resolve("${PACKAGE.name}/mocha-plugin");`,
      `const schema = import.meta.resolve("${PACKAGE.name}/workflow-bundle.v1.schema.json");`,
      "console.log(JSON.stringify({ importBundles: typeof api.importBundles, plugin, schema }));",
    ].join("\n");
    const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", script], { cwd: app });
    const out = JSON.parse(stdout) as { importBundles: string; plugin: string; schema: string };
    expect(out.importBundles).to.equal("function");
    expect(out.plugin).to.match(/node_modules\/workflow-seeder\/dist\/mocha-plugin\.js$/);
    expect(out.schema).to.match(/node_modules\/workflow-seeder\/docs\/schemas\/workflow-bundle\.v1\.schema\.json$/);
    expect(resolve(app, "node_modules", PACKAGE.name, PACKAGE.types.replace(/^\.\//, ""))).to.satisfy((p: string) =>
      readFileSync(p, "utf8").includes("importBundles"),
    );
  });
});
