/** Runs a whole Node process and times it from spawn to exit (start-up included). */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

/** What a timed process did. */
export interface ProcessResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node <args>` in `cwd` and waits for it; throws when it exits with a non-zero code. */
export function runNodeProcess(args: readonly string[], cwd: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const result = { ms: performance.now() - started, code, stdout, stderr };
      if (code === 0) resolve(result);
      else reject(new Error(`node ${args.join(" ")} exited with ${code}: ${stderr.slice(0, 2000)}`));
    });
  });
}
