/**
 * Preloaded into a child (`node --import dist/test/reliability/rss-probe.js dist/cli.js ...`):
 * prints the process's peak resident set size on stderr when it exits, so tests can bound the
 * memory of a real CLI run without /usr/bin/time.
 *
 * On Linux the peak is VmHWM of /proc/self/status: `process.resourceUsage().maxRSS` (getrusage)
 * survives fork and exec, so a child of a 400 MB test runner reports at least 400 MB.
 */
import { readFileSync } from "node:fs";

function peakRssKb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]);
  } catch {
    // Not Linux: fall back to getrusage, an upper bound.
  }
  return process.resourceUsage().maxRSS;
}

process.on("exit", () => {
  process.stderr.write(`\nwfs-peak-rss-kb=${peakRssKb()}\n`);
});
