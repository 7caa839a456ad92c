/**
 * The package as npm publishes it: `npm pack` of the built tree, installed into a temporary folder
 * OFFLINE, then its bin run the ways a user runs it (the installed bin link from another folder,
 * `npx` in the project that installed it) and its library entry points imported.
 *
 * Offline: the temporary project gets a lockfile made from this project's own (the production
 * entries, each with its integrity), so npm takes every tarball from the local npm cache by digest
 * (`npm ci` put them there) and never needs the registry; the registry is set to a closed port to
 * prove it. The tree is packed as built (`--ignore-scripts`: `prepare` would rebuild it).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { type CliResult, runCli } from "../../support/cli.js";

const exec = promisify(execFile);
const ROOT = process.cwd();

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license: string;
  bin: Record<string, string>;
  main: string;
  types: string;
  files: string[];
  engines: { node: string };
  exports: Record<string, { types?: string; default: string } | string>;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
}

interface LockEntry {
  version: string;
  name?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  [key: string]: unknown;
}

const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;

/**
 * The environment of an npm child process: without the `npm_*` variables of an enclosing
 * `npm test` (they describe this project, not the temporary one), with a registry nobody answers.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) || /^npm_config_(cache|userconfig)$/i.test(k)) env[k] = v;
  return {
    ...env,
    npm_config_registry: "http://127.0.0.1:9/",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
}

async function npm(args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec("npm", [...args], { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}\n${e.stderr ?? e.message}`);
  }
}

/**
 * A package-lock.json for a project whose one dependency is the tarball: the tarball's entry, and
 * this project's production entries at the same places, each with a `resolved` address (the
 * project's lockfile may omit it) and its integrity, which is what npm finds the cached tarball by.
 */
function lockfileFor(tarballSpec: string, tarballIntegrity: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, unknown> = {
    "": { name: "packed-install", dependencies: { [PACKAGE.name]: tarballSpec } },
    [`node_modules/${PACKAGE.name}`]: {
      version: PACKAGE.version,
      resolved: tarballSpec,
      integrity: tarballIntegrity,
      license: PACKAGE.license,
      dependencies: PACKAGE.dependencies,
      bin: PACKAGE.bin,
      engines: PACKAGE.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const file = `${name.slice(name.indexOf("/") + 1)}-${entry.version}.tgz`;
    packages[path] = { ...entry, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${file}` };
  }
  return { name: "packed-install", lockfileVersion: 3, requires: true, packages };
}

describe("the npm package: packed, installed offline, its bin and entry points", function () {
  this.timeout(300_000);
  let dir: string;
  let tarball: string;
  let files: string[];
  let app: string;
  let work: string;
  let bin: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wfs-package-"));
    const packed = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, (info as { filename: string }).filename);
    files = (info as { files: { path: string }[] }).files.map((f) => f.path);

    app = join(dir, "app");
    work = join(dir, "work");
    mkdirSync(app);
    mkdirSync(work);
    const spec = `file:${tarball}`;
    const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "packed-install", private: true, dependencies: { [PACKAGE.name]: spec } }, null, 2),
    );
    writeFileSync(join(app, "package-lock.json"), JSON.stringify(lockfileFor(spec, integrity), null, 2));
    await npm(["ci", "--offline"], app);
    bin = join(app, "node_modules", ".bin", "workflow-seeder");
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
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
