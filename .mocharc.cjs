// Tests run from the compiled output (npm test builds first), with source maps for stack traces.
// The spec is given on the command line (package.json "test"), so `npx mocha <files>` runs just those.
module.exports = {
  "node-option": ["enable-source-maps"],
  // Global setup and teardown in the main process (the reliability summary from every worker).
  require: ["dist/test/support/global-fixtures.js"],
  timeout: 60000,
  slow: 2000,
  forbidOnly: Boolean(process.env.CI),
  reporter: "dot",
  exit: true,
};
