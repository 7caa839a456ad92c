/**
 * The one way tests run the built CLI: as a user would, a real process with real argv and a real
 * exit code, in a clean environment; and the assertions of its output contract.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { expect } from "chai";

export const CLI_PATH = resolve(process.cwd(), "dist", "cli.js");

/**
 * The variables that would let the developer's shell choose the database, tenant, tokens or debug
 * output of a run: every run starts without them (a test sets what it needs in `env`).
 */
export const CLEAN_ENV: Readonly<Record<string, undefined>> = {
  DATABASE_URL: undefined,
  WORKFLOW_SEEDER_TENANT: undefined,
  WORKFLOW_SEEDER_CATALOG: undefined,
  WORKFLOW_SEEDER_TOKEN: undefined,
  WORKFLOW_SEEDER_API_TOKENS: undefined,
  WORKFLOW_SEEDER_DEBUG: undefined,
  NODE_ENV: undefined,
};

/** Distinguishes this run's database sessions from another run's on the same server. */
const RUN_ID = randomUUID().slice(0, 8);

/** The `application_name` that a process started with `appName` gives its database sessions. */
export function sessionName(appName: string): string {
  return `${appName}-${RUN_ID}`;
}

/** Options of {@link startCli} and {@link runCli}. */
export interface CliOptions {
  /** Added to the environment, after {@link CLEAN_ENV}; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Default: this process's directory. */
  cwd?: string;
  /** Written to stdin, which is then closed. Default: an empty, closed stdin. */
  input?: string;
  /** Names its database sessions {@link sessionName}(appName) (PGAPPNAME), to find them in pg_stat_activity. */
  appName?: string;
  /** Node options placed before the script (e.g. `--import <probe>`). */
  nodeArgs?: readonly string[];
  /** The script to run. Default {@link CLI_PATH}. */
  script?: string;
}

/** How a process ended and what it printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited and its streams are closed. */
  readonly exited: Promise<CliResult>;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the match once stdout matches `pattern`; rejects when the process exits first or on timeout. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the match once stderr matches `pattern`; rejects when the process exits first or on timeout. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<CliResult>;
}

/** Starts `node dist/cli.js ...args` (or `options.script`) as a real process. */
export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...CLEAN_ENV, ...options.env };
  // Only this run's sessions carry the name (another run of the suite may share the server).
  if (options.appName !== undefined) env.PGAPPNAME = sessionName(options.appName);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? CLI_PATH, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: env as NodeJS.ProcessEnv,
  });
  child.stdin.end(options.input);
  const output = { stdout: "", stderr: "" };
  const listeners = new Set<() => void>();
  let done = false;
  for (const stream of ["stdout", "stderr"] as const)
    child[stream].on("data", (d) => {
      output[stream] += d;
      for (const l of listeners) l();
    });
  const exited = new Promise<CliResult>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      done = true;
      for (const l of listeners) l();
      resolvePromise({ code, signal, ...output });
    });
  });
  const waitFor = (stream: "stdout" | "stderr", pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolvePromise, reject) => {
      const stop = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`timed out waiting for ${pattern} on ${stream}; got:\n${output[stream]}`));
      }, timeoutMs);
      const check = () => {
        const match = pattern.exec(output[stream]);
        if (match) {
          stop();
          resolvePromise(match);
        } else if (done) {
          stop();
          reject(new Error(`process exited before ${pattern} appeared on ${stream}:\n${output.stderr}`));
        }
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    exited,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitForStdout: (pattern, timeoutMs = 120_000) => waitFor("stdout", pattern, timeoutMs),
    // A guard against a hang, not a verdict on speed: generous enough for a loaded machine.
    waitForStderr: (pattern, timeoutMs = 120_000) => waitFor("stderr", pattern, timeoutMs),
    async kill9() {
      child.kill("SIGKILL");
      return exited;
    },
  };
}

/** Runs the CLI to the end and collects its output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}

/** The JSON document a run printed (`--json`), parsed without judging its form; throws with the output when it is not JSON. */
export function parseJsonOutput<T = CliJson>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${result.code}, signal ${result.signal}):\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** A `--json` document: a result, or `{error: {code, message, details}}`. */
export type CliJson = { error?: { code: string; message: string; details: Record<string, unknown> } } & Record<
  string,
  unknown
>;

/**
 * The one tenant's result of a seed command's `--json` document (`{tenants: [result]}`, the shape
 * `up`, `status`, `plan`, `down` and `baseline` print whatever the number of tenants); throws with
 * the output when it is not that shape.
 */
export function onlyTenantOf<T = Record<string, unknown>>(result: CliResult): T {
  const body = parseJsonOutput<{ tenants?: unknown }>(result);
  if (!Array.isArray(body.tenants) || body.tenants.length !== 1)
    throw new Error(`expected {tenants: [one result]}, got:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return body.tenants[0] as T;
}

/** The error code of a failed `--json` run. */
export function errorCodeOf(result: CliResult): string | undefined {
  return parseJsonOutput(result).error?.code;
}

/** A stack frame line, which must never reach the user for an expected error. */
const STACK_FRAME = /^\s+at .+[(:]\d+/m;

/** Asserts the `--json` contract: exactly one JSON document on stdout; returns it. */
export function jsonOf(result: CliResult): Record<string, unknown> {
  expect(result.stdout.trim(), `stdout of a --json run (stderr: ${result.stderr})`).to.match(/^\{[\s\S]*\}$/);
  const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(result.stdout).to.equal(`${JSON.stringify(parsed, null, 2)}\n`);
  expect(result.stderr).to.not.match(STACK_FRAME);
  return parsed;
}

/** Asserts a failure in the `--json` contract: exit code, `{error: {code, message, details}}`; returns the error. */
export function jsonErrorOf(result: CliResult, code: string, exitCode = 1): Record<string, unknown> {
  expect(result.code, result.stdout + result.stderr).to.equal(exitCode);
  const body = jsonOf(result);
  const error = body.error as Record<string, unknown>;
  expect(error, JSON.stringify(body)).to.be.an("object");
  expect(error.code).to.equal(code);
  expect(error.message).to.be.a("string").and.not.equal("");
  expect(error.details).to.be.an("object");
  return error;
}

/** Asserts a human-mode failure: the exit code, the code on stderr, nothing on stdout, no stack trace. */
export function humanErrorOf(result: CliResult, code: string, exitCode = 1): string {
  expect(result.code, result.stderr).to.equal(exitCode);
  expect(result.stdout).to.equal("");
  expect(result.stderr).to.include(code);
  expect(result.stderr).to.not.match(STACK_FRAME);
  return result.stderr;
}
