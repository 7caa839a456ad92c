/**
 * Preloaded into a child (`node --import dist/test/reliability/rss-probe.js dist/cli.js ...`):
 * prints the process's peak resident set size on stderr when it exits, so tests can bound the
 * memory of a real CLI run without /usr/bin/time.
 */
process.on("exit", () => {
  process.stderr.write(`\nwfs-peak-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
