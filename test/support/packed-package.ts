/**
 * The package as a user gets it: `npm pack` of the built tree, installed OFFLINE into a temporary
 * project together with mocha and chai (what a test harness of the user's needs), once per test
 * process.
 *
 * Offline: the temporary project gets a lockfile made from this project's own (the production
 * entries, plus mocha's and chai's), each with its integrity, so npm takes every tarball from the
 * local npm cache by digest (`npm ci` put them there) and never needs the registry; the registry
 * is set to a closed port to prove it. The tree is packed as built (`--ignore-scripts`: `prepare`
 * would rebuild it).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const ROOT = process.cwd();

/** The fields of package.json the tests read. */
export interface PackageJson {
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
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** This project's package.json. */
export const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;

/** The development packages installed next to the package, for harnesses. */
const HARNESS_PACKAGES = ["mocha", "chai"] as const;

/** A packed and installed copy of the package. */
export interface PackedInstall {
  /** The temporary folder holding everything (removed when the process exits). */
  dir: string;
  tarball: string;
  /** The paths in the tarball, relative to its `package/` folder. */
  files: string[];
  /** The project the tarball is installed in (with mocha and chai). */
  app: string;
  /** The installed bin link, `<app>/node_modules/.bin/workflow-seeder`. */
  bin: string;
}

/**
 * The environment of an npm child process: without the `npm_*` variables of an enclosing
 * `npm test` (they describe this project, not the temporary one), with a registry nobody answers.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) || /^npm_config_(cache|userconfig)$/i.test(k)) env[k] = v;
  return {
    ...env,
    npm_config_registry: "http://127.0.0.1:9/",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

/** Runs npm in `cwd`; the error names the command and carries npm's output. */
export async function npm(args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec("npm", [...args], { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}\n${e.stderr ?? e.message}`);
  }
}

/** The lock path a package named `name` required from `from` resolves to (node's lookup, upwards). */
function resolveInLock(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === "") return undefined;
    const at = base.lastIndexOf("/node_modules/");
    base = at === -1 ? "" : base.slice(0, at);
  }
}

/** The lock paths of `roots` and everything they need, as placed in this project's tree. */
function closureOf(packages: Record<string, LockEntry>, roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = roots.map((r) => `node_modules/${r}`);
  while (queue.length > 0) {
    const path = queue.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    const entry = packages[path] as LockEntry;
    const names = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });
    for (const name of names) {
      const target = resolveInLock(packages, path, name);
      if (target !== undefined) queue.push(target);
    }
  }
  return seen;
}

/**
 * A package-lock.json for a project that depends on the tarball, mocha and chai: the tarball's
 * entry, and this project's entries for its production dependencies and for mocha's and chai's
 * trees, at the same places, each with a `resolved` address (the project's lockfile may omit it)
 * and its integrity, which is what npm finds the cached tarball by.
 */
function lockfileFor(tarballSpec: string, tarballIntegrity: string, harnessVersions: Record<string, string>): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const harness = closureOf(lock.packages, HARNESS_PACKAGES);
  const packages: Record<string, unknown> = {
    "": { name: "packed-install", dependencies: { [PACKAGE.name]: tarballSpec, ...harnessVersions } },
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
    if (path === "" || (entry.dev && !harness.has(path))) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const file = `${name.slice(name.indexOf("/") + 1)}-${entry.version}.tgz`;
    packages[path] = { ...rest, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${file}` };
  }
  return { name: "packed-install", lockfileVersion: 3, requires: true, packages };
}

async function install(): Promise<PackedInstall> {
  const dir = mkdtempSync(join(tmpdir(), "wfs-package-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const packed = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (info === undefined) throw new Error(`npm pack printed no package:\n${packed.stdout}`);
  const tarball = join(dir, info.filename);
  const app = join(dir, "app");
  mkdirSync(app);
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const harnessVersions = Object.fromEntries(
    HARNESS_PACKAGES.map((name) => [name, (lock.packages[`node_modules/${name}`] as LockEntry).version]),
  );
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify(
      { name: "packed-install", private: true, dependencies: { [PACKAGE.name]: spec, ...harnessVersions } },
      null,
      2,
    ),
  );
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(lockfileFor(spec, integrity, harnessVersions), null, 2));
  await npm(["ci", "--offline"], app);
  return {
    dir,
    tarball,
    files: info.files.map((f) => f.path),
    app,
    bin: join(app, "node_modules", ".bin", "workflow-seeder"),
  };
}

let installed: Promise<PackedInstall> | undefined;

/** Packs and installs the package once per test process; later calls share the install. */
export function installPackedPackage(): Promise<PackedInstall> {
  installed ??= install();
  return installed;
}
