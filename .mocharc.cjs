// Tests run from the compiled output (npm test builds first), with source maps for stack traces.
// The spec is given on the command line (package.json "test"), so `npx mocha <files>` runs just those.
module.exports = {
  "node-option": ["enable-source-maps"],
  // Two worker processes, one file at a time each: the suite is CPU-bound (CLI processes, PGlite)
  // on a two-core machine, and every file owns its databases, tenants and temp folders. Files run
  // in a fresh worker state; WORKFLOW_SEEDER_TEST_JOBS=1 runs them one after the other.
  parallel: process.env.WORKFLOW_SEEDER_TEST_JOBS !== "1",
  jobs: Number(process.env.WORKFLOW_SEEDER_TEST_JOBS ?? 2),
  // Global setup and teardown in the main process (the reliability summary from every worker).
  require: ["dist/test/support/global-fixtures.js"],
  timeout: 60000,
  slow: 2000,
  forbidOnly: Boolean(process.env.CI),
  reporter: "dot",
  exit: true,
};
