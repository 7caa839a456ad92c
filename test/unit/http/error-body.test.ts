import { expect } from "chai";
import {
  CLI_VOCABULARY,
  type DatabaseSource,
  type Issue,
  issue,
  renderIssueMessage,
  WorkflowSeederError,
} from "../../../src/errors.js";
import {
  HTTP_VOCABULARY,
  parseHttpErrorBody,
  renderHttpIssueMessage,
  toHttpErrorBody,
} from "../../../src/http/error-body.js";

const TENANT = "a0000000-0000-4000-8000-00000000000a";
const ID = "b0000000-0000-4000-8000-00000000000b";

/** One issue of every code that gains Alga's names, and some that do not. */
const ISSUES: Issue[] = [
  issue("WORKFLOW_KEY_CONFLICT", { key: "a.b", existingWorkflowId: ID, tenant: TENANT }),
  issue("UNSUPPORTED_FORMAT", { received: "x", expected: "alga-psa.workflow-bundle" }),
  issue("UNSUPPORTED_FORMAT_VERSION", { received: 2, supported: [1] }),
  issue("SCHEMA_VALIDATION_FAILED", { errors: [{ path: "/workflows/0/key", message: "Required" }] }),
  issue("MISSING_DEPENDENCIES", {
    missingByWorkflow: [
      { workflowKey: "a.b", missingActions: ["email.send@1", "x@y@2"], missingNodeTypes: ["n"], missingSchemaRefs: [] },
    ],
    missingActions: ["email.send@1", "x@y@2"],
    missingNodeTypes: ["n"],
    missingSchemaRefs: [],
  }),
  issue("WORKFLOW_NOT_FOUND", { workflowIds: [ID], keys: ["k"], tenant: TENANT }),
  issue("FORBIDDEN", { tenant: TENANT }),
  issue("INVALID_JSON", { line: 1, column: 2, position: 1, reason: "Unexpected token" }),
];

/** Through JSON and back, as a client receives it. */
function overTheWire(error: WorkflowSeederError): unknown {
  return JSON.parse(JSON.stringify(toHttpErrorBody(error)));
}

describe("HTTP error body", () => {
  it("UNAUTHORIZED says how to send the token: over HTTP the bearer header or the cookie, in the CLI its option and variable", () => {
    const value = issue("UNAUTHORIZED", { reason: "the token is not valid" });
    const http = toHttpErrorBody(new WorkflowSeederError(value)).message;
    expect(http).to.contain("Authorization: Bearer <token>");
    expect(http).to.contain("workflow_seeder_token=<token>");
    const cli = renderIssueMessage(value);
    expect(cli).to.contain("--token-file");
    expect(cli).to.contain("WORKFLOW_SEEDER_TOKEN");
    expect(cli).to.not.contain("Authorization");
  });

  it("no message of the HTTP API tells the client to pass a CLI option: the tenant is the x-tenant-id header, options are query parameters", () => {
    const cliHint = /(^|[\s(`'"])--[a-z]|`workflow-seeder /;
    const hinted: Issue[] = [
      issue("INVALID_TENANT", { received: "" }),
      issue("INVALID_TENANT", { received: "acme" }),
      issue("WORKFLOW_KEY_CONFLICT", { key: "a.b", existingWorkflowId: ID, tenant: TENANT }),
      issue("WORKFLOW_NOT_FOUND", { workflowIds: [], keys: [], tenant: TENANT }),
      issue("WORKFLOW_NOT_FOUND", { workflowIds: [ID], keys: ["k"], tenant: TENANT }),
      issue("MISSING_DEPENDENCIES", {
        missingByWorkflow: [
          { workflowKey: "a.b", missingActions: ["x@1"], missingNodeTypes: [], missingSchemaRefs: [] },
        ],
        missingActions: ["x@1"],
        missingNodeTypes: [],
        missingSchemaRefs: [],
      }),
      issue("UNRESOLVED_WORKFLOW_REFERENCE", {
        workflowKey: "a.b",
        stepPath: "root.steps[0]",
        targetWorkflowId: ID,
        targetVersion: 1,
      }),
      issue("PAYLOAD_TOO_LARGE", { limitBytes: 10 }),
      issue("UNAUTHORIZED", { reason: "no token" }),
      issue("DATABASE_UNAVAILABLE", { target: "the server's database", reason: "it does not answer" }),
      issue("EMBEDDED_DATABASE_BUSY", { dataDir: "/d", waitedMs: 1 }),
    ];
    for (const value of hinted) {
      const body = toHttpErrorBody(new WorkflowSeederError(value));
      expect(body.message, body.message).to.not.match(cliHint);
      expect(body.error).to.equal(body.message);
      // The CLI's wording of the same issue does name its options (so the check above is not vacuous).
      if (value.code !== "DATABASE_UNAVAILABLE" && value.code !== "UNRESOLVED_WORKFLOW_REFERENCE")
        expect(renderIssueMessage(value), value.code).to.match(cliHint);
    }
    for (const received of ["", "acme"])
      expect(renderHttpIssueMessage(issue("INVALID_TENANT", { received }))).to.contain("x-tenant-id header");
    const conflict = renderHttpIssueMessage(hinted[2] as Issue);
    expect(conflict).to.contain("onConflict=<policy>").and.contain("force=true");
    const sources: (DatabaseSource | undefined)[] = ["flag", "env", "knexfile", "default", undefined];
    for (const source of sources) expect(HTTP_VOCABULARY.unreachableDatabase(source)).to.not.match(cliHint);
    for (const [name, value] of Object.entries(HTTP_VOCABULARY))
      if (typeof value === "string") expect(value, name).to.not.match(cliHint);
    // Every issue of a multi-issue answer is worded for HTTP too.
    const several = toHttpErrorBody(new WorkflowSeederError(hinted.slice(0, 3)));
    for (const i of several.issues ?? []) expect(i.message).to.not.match(cliHint);
    expect(several.message).to.not.match(cliHint);
    expect(CLI_VOCABULARY.tenant).to.contain("--tenant");
  });

  it("error is the message as a string; code, message and details sit next to it", () => {
    const value = issue("FORBIDDEN", { tenant: TENANT });
    const body = toHttpErrorBody(new WorkflowSeederError(value));
    expect(body).to.deep.equal({
      error: renderHttpIssueMessage(value),
      code: "FORBIDDEN",
      message: renderHttpIssueMessage(value),
      details: { tenant: TENANT },
    });
    expect(Object.keys(body)).to.deep.equal(["error", "code", "message", "details"]);
  });

  it("adds Alga's detail names and keeps ours", () => {
    const detailsOf = (code: Issue["code"]) =>
      toHttpErrorBody(new WorkflowSeederError(ISSUES.find((i) => i.code === code) as Issue)).details;
    const conflict = detailsOf("WORKFLOW_KEY_CONFLICT");
    const format = detailsOf("UNSUPPORTED_FORMAT");
    const version = detailsOf("UNSUPPORTED_FORMAT_VERSION");
    const schema = detailsOf("SCHEMA_VALIDATION_FAILED");
    const missing = detailsOf("MISSING_DEPENDENCIES");
    const notFound = detailsOf("WORKFLOW_NOT_FOUND");
    expect(conflict).to.deep.equal({ key: "a.b", existingWorkflowId: ID, tenant: TENANT, workflowKey: "a.b" });
    expect(format).to.include({ expectedFormat: "alga-psa.workflow-bundle", receivedFormat: "x", received: "x" });
    expect(version).to.include({ expectedFormatVersion: 1, receivedFormatVersion: 2, received: 2 });
    expect(schema.errors).to.deep.equal([
      { path: "/workflows/0/key", message: "Required", instancePath: "/workflows/0/key" },
    ]);
    const objects = [
      { actionId: "email.send", version: 1 },
      { actionId: "x@y", version: 2 },
    ];
    expect(missing.missingActions).to.deep.equal(objects);
    expect(missing.missingActionRefs).to.deep.equal(["email.send@1", "x@y@2"]);
    expect((missing.missingByWorkflow as Record<string, unknown>[])[0]).to.deep.include({
      missingActions: objects,
      missingActionRefs: ["email.send@1", "x@y@2"],
    });
    expect(notFound.missingWorkflowIds).to.deep.equal([ID]);
  });

  it("parses back to the exact issues the server raised, key order included", () => {
    for (const value of ISSUES) {
      const parsed = parseHttpErrorBody(overTheWire(new WorkflowSeederError(value)));
      expect(JSON.stringify(parsed), value.code).to.equal(JSON.stringify([value]));
    }
    const several = new WorkflowSeederError(ISSUES);
    const body = overTheWire(several) as { issues: unknown[]; message: string };
    expect(body.issues).to.have.length(ISSUES.length);
    expect(body.message).to.equal(ISSUES.map((i) => renderHttpIssueMessage(i)).join("\n"));
    expect(JSON.stringify(parseHttpErrorBody(body))).to.equal(JSON.stringify(ISSUES));
  });

  it("reads the nested body of earlier versions, and refuses what is not a workflow-seeder error", () => {
    const legacy = JSON.parse(JSON.stringify(new WorkflowSeederError(ISSUES.slice(0, 2)).toJSON()));
    expect(parseHttpErrorBody(legacy)).to.deep.equal(ISSUES.slice(0, 2));
    for (const body of [
      null,
      "text",
      { error: "Workflow bundle has missing runtime dependencies.", details: {} },
      { error: "x", code: "NOT_A_CODE", details: {} },
      { code: "FORBIDDEN", details: "tenant" },
      { code: "FORBIDDEN", details: {}, issues: [] },
    ])
      expect(parseHttpErrorBody(body), JSON.stringify(body)).to.equal(null);
  });
});
