import { expect } from "chai";
import { type Issue, issue, renderIssueMessage, WorkflowSeederError } from "../../../src/errors.js";
import { parseHttpErrorBody, toHttpErrorBody } from "../../../src/http/error-body.js";

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
  it("UNAUTHORIZED says how to send the token: the bearer header or the workflow_seeder_token cookie", () => {
    const message = renderIssueMessage(issue("UNAUTHORIZED", { reason: "the token is not valid" }));
    expect(message).to.contain("Authorization: Bearer <token>");
    expect(message).to.contain("workflow_seeder_token=<token>");
  });

  it("error is the message as a string; code, message and details sit next to it", () => {
    const value = issue("FORBIDDEN", { tenant: TENANT });
    const body = toHttpErrorBody(new WorkflowSeederError(value));
    expect(body).to.deep.equal({
      error: renderIssueMessage(value),
      code: "FORBIDDEN",
      message: renderIssueMessage(value),
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
    expect(body.message).to.equal(several.message);
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
