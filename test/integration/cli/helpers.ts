/** Shared helpers of the CLI tests: real processes through test/support/cli.ts. */
import { expect } from "chai";
import { type CliResult, runCli } from "../../support/cli.js";

/** The environment of every CLI run: no ambient database, tenant or debug setting. */
export const CLEAN_ENV = {
  DATABASE_URL: undefined,
  WORKFLOW_SEEDER_TENANT: undefined,
  WORKFLOW_SEEDER_DEBUG: undefined,
  NODE_ENV: undefined,
};

/** Runs the CLI with a clean environment. */
export function cli(args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return runCli(args, { env: CLEAN_ENV, ...options });
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

/**
 * Canonical JSON computed independently of src/: keys sorted recursively by UTF-16 code unit,
 * printed like `JSON.stringify(value, null, 2)` plus one newline. Written out by hand because a
 * JavaScript object always lists integer-like keys ("2", "10") first, whatever the insertion order.
 */
export function independentCanonical(value: unknown): string {
  const print = (v: unknown, indent: string): string => {
    const inner = `${indent}  `;
    if (Array.isArray(v))
      return v.length === 0 ? "[]" : `[\n${v.map((x) => inner + print(x, inner)).join(",\n")}\n${indent}]`;
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v).sort();
      if (keys.length === 0) return "{}";
      const entries = keys.map(
        (k) => `${inner}${JSON.stringify(k)}: ${print((v as Record<string, unknown>)[k], inner)}`,
      );
      return `{\n${entries.join(",\n")}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return `${print(value, "")}\n`;
}
