// Tests run from the compiled output (npm test builds first), with source maps for stack traces.
module.exports = {
  spec: ["dist/test/**/*.test.js"],
  "node-option": ["enable-source-maps"],
  timeout: 60000,
  slow: 2000,
  forbidOnly: Boolean(process.env.CI),
  reporter: "dot",
  exit: true,
};
