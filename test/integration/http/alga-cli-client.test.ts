/**
 * The HTTP API driven the way Alga's own workflow-bundle CLI (tools/workflow-bundle-cli in
 * Nine-Minds/alga-psa) drives Alga's server: a `Cookie` header, an optional `x-tenant-id`, the body
 * as JSON and `?force=true`; never an Authorization header. On an error it prints
 * `HTTP <status>: <body.error>`, so `error` must be a string for the message to be readable.
 *
 * The client below is written from those facts for this test; it does not import anything of ours.
 * The last suite checks the other direction: our remote client reading other servers' error bodies.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import knexFactory, { type Knex } from "knex";
import { issue, isWorkflowSeederError, WorkflowSeederError } from "../../../src/errors.js";
import { importBundleOverHttp } from "../../../src/http/index.js";
import { fixtureFile, fixtureSet } from "../../support/bundle-sets.js";
import { draftBundle } from "../../support/bundles.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";
import {
  request,
  startTestServer,
  TENANT_A,
  TENANT_A_TOKEN,
  TENANT_B,
  type TestServer,
  TOKEN,
} from "../../support/http.js";

/** A fixture bundle of one published workflow. */
const SIMPLE = fixtureFile("hello").file;
const SIMPLE_KEY = "fx.ticket-greeting";
const COOKIE = `workflow_seeder_token=${TOKEN}`;
const TENANT_A_COOKIE = `workflow_seeder_token=${TENANT_A_TOKEN}`;

/** What one run of the client did: the answer, and the lines it printed. */
interface AlgaCliRun {
  ok: boolean;
  status: number;
  text: string;
  /** Parsed answer (`{error: text}` when it is not JSON, as the CLI does). */
  body: Record<string, unknown>;
  /** Success: what the CLI logs. Failure: `HTTP <status>: <error>`, then the body as indented JSON. */
  printed: string[];
}

/** Where and as whom the client talks: `--base-url`, `--cookie`, `--tenant`. */
interface AlgaCliTarget {
  baseUrl: string;
  cookie?: string;
  tenant?: string;
}

async function send(
  target: AlgaCliTarget,
  method: string,
  path: string,
  body?: string,
): Promise<Omit<AlgaCliRun, "printed"> & { error: string | null }> {
  const headers: Record<string, string> = {};
  if (target.cookie) headers.Cookie = target.cookie;
  if (target.tenant) headers["x-tenant-id"] = target.tenant;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${target.baseUrl.replace(/\/$/, "")}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  if (response.ok) return { ok: true, status: response.status, text, body: {}, error: null };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: text };
  }
  // A template literal, as the CLI builds its message: an object here prints as [object Object].
  return {
    ok: false,
    status: response.status,
    text,
    body: parsed,
    error: `HTTP ${response.status}: ${parsed?.error ?? "Request failed"}`,
  };
}

/** `workflow-bundle import --file <bundle> [--force]`: the bundle text is sent as the CLI would. */
async function algaImport(target: AlgaCliTarget, bundleText: string, options: { force?: boolean } = {}) {
  const answer = await send(
    target,
    "POST",
    `/api/workflow-definitions/import${options.force ? "?force=true" : ""}`,
    bundleText,
  );
  const printed = answer.ok ? [answer.text] : [answer.error as string, JSON.stringify(answer.body, null, 2)];
  const run: AlgaCliRun = { ok: answer.ok, status: answer.status, text: answer.text, body: answer.body, printed };
  return run;
}

/** `workflow-bundle export --workflow-id <id> --out <file>`: `text` is what it would write. */
async function algaExport(target: AlgaCliTarget, workflowId: string) {
  const answer = await send(target, "GET", `/api/workflow-definitions/${workflowId}/export`);
  const printed = answer.ok
    ? ["Wrote workflow-bundle.json"]
    : [answer.error as string, JSON.stringify(answer.body, null, 2)];
  const run: AlgaCliRun = { ok: answer.ok, status: answer.status, text: answer.text, body: answer.body, printed };
  return run;
}

/**
 * Asserts a failed run: status and code, and that the line the CLI prints is the human message of
 * the answer (not `[object Object]`), naming `mentions` when given.
 */
function expectPrintedError(run: AlgaCliRun, status: number, code: string, mentions?: string): Record<string, unknown> {
  expect(run.ok, run.text).to.equal(false);
  expect(run.status, run.text).to.equal(status);
  expect(run.body.code, run.text).to.equal(code);
  const message = run.body.message as string;
  expect(message).to.be.a("string").and.not.equal("");
  expect(run.printed[0]).to.equal(`HTTP ${status}: ${message}`);
  expect(run.printed.join("\n")).to.not.include("[object Object]");
  if (mentions !== undefined) expect(run.printed[0]).to.include(mentions);
  expect(run.printed[1]).to.include(`"code": "${code}"`);
  return run.body.details as Record<string, unknown>;
}

function tenant(n: number): string {
  return `f0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** Every error code the API answers; the table below must exercise each one. */
const API_ERROR_CODES = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "INVALID_TENANT",
  "INVALID_ARGUMENT",
  "ROUTE_NOT_FOUND",
  "WORKFLOW_NOT_FOUND",
  "WORKFLOW_WITHOUT_KEY",
  "WORKFLOW_KEY_CONFLICT",
  "DATABASE_CONSTRAINT_VIOLATION",
  "INVALID_JSON",
  "INVALID_BUNDLE",
  "UNSUPPORTED_FORMAT",
  "UNSUPPORTED_FORMAT_VERSION",
  "SCHEMA_VALIDATION_FAILED",
  "DUPLICATE_WORKFLOW_KEY",
  "DUPLICATE_VERSION",
  "VALUE_OUT_OF_RANGE",
  "INVALID_DEFINITION",
  "MISSING_DEPENDENCIES",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "INTERNAL_ERROR",
  "DATABASE_UNAVAILABLE",
] as const;

describe("Alga's workflow-bundle CLI against the HTTP API [postgres]", function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let server: TestServer;
  let target: AlgaCliTarget;

  before(async () => {
    db = await createPostgresDatabase();
    server = await startTestServer(db.knex);
    target = { baseUrl: server.url, cookie: COOKIE };
  });

  after(async () => {
    await server?.close();
    await db?.close();
  });

  it("import, conflict, force, export: the whole round with --cookie and --tenant only", async () => {
    const t = tenant(1);
    const client = { ...target, tenant: t };
    const created = await algaImport(client, fixtureSet().readText(SIMPLE));
    expect(created.status, created.text).to.equal(200);
    const summary = JSON.parse(created.printed[0] as string) as {
      createdWorkflows: { key: string; workflowId: string }[];
      deletedWorkflows: { key: string; workflowId: string }[];
      createdPublishedVersions: { key: string; versions: number[] }[];
    };
    expect(summary.createdWorkflows.map((w) => w.key)).to.deep.equal([SIMPLE_KEY]);
    expect(summary.createdPublishedVersions[0]?.versions).to.deep.equal([1]);
    const firstId = summary.createdWorkflows[0]?.workflowId as string;

    const conflict = await algaImport(client, fixtureSet().readText(SIMPLE));
    const details = expectPrintedError(conflict, 409, "WORKFLOW_KEY_CONFLICT", SIMPLE_KEY);
    // Alga's names, and ours kept.
    expect(details).to.include({ workflowKey: SIMPLE_KEY, existingWorkflowId: firstId, key: SIMPLE_KEY, tenant: t });

    const forced = await algaImport(client, fixtureSet().readText(SIMPLE), { force: true });
    expect(forced.status, forced.text).to.equal(200);
    const replaced = JSON.parse(forced.printed[0] as string) as typeof summary;
    // force=true is onConflict=replace: the workflow is created anew under a new id (Alga keeps the id).
    expect(replaced.deletedWorkflows).to.deep.equal([{ key: SIMPLE_KEY, workflowId: firstId }]);
    const newId = replaced.createdWorkflows[0]?.workflowId as string;
    expect(newId).to.be.a("string").and.not.equal(firstId);

    const exported = await algaExport(client, newId);
    expect(exported.status, exported.text).to.equal(200);
    expect(exported.printed).to.deep.equal(["Wrote workflow-bundle.json"]);
    const bundle = JSON.parse(exported.text) as { workflows: { key: string }[] };
    expect(bundle.workflows.map((w) => w.key)).to.deep.equal([SIMPLE_KEY]);

    // What the CLI wrote imports into another tenant, and exports there to the same workflow.
    const other = { ...target, tenant: tenant(2) };
    const copied = await algaImport(other, exported.text);
    expect(copied.status, copied.text).to.equal(200);
    const copyId = (JSON.parse(copied.text) as typeof summary).createdWorkflows[0]?.workflowId as string;
    const again = await algaExport(other, copyId);
    const withoutDate = (text: string) => text.replace(/"exportedAt": "[^"]*"/, "");
    expect(withoutDate(again.text)).to.equal(withoutDate(exported.text));
  });

  it("a token restricted to one tenant implies it when --tenant is omitted; otherwise the header is still required", async () => {
    const implied = await algaImport(
      { baseUrl: server.url, cookie: TENANT_A_COOKIE },
      JSON.stringify(draftBundle("implied.tenant")),
    );
    expect(implied.status, implied.text).to.equal(200);
    const rows = await db.knex("workflow_definitions").where({ key: "implied.tenant" }).select("tenant");
    expect(rows.map((r) => r.tenant)).to.deep.equal([TENANT_A]);

    // The bearer header takes the same path.
    const viaHeader = await request(server.url, `/api/workflow-definitions/${tenant(99)}/export`, {
      token: TENANT_A_TOKEN,
      tenant: null,
    });
    expect(viaHeader.status, viaHeader.text).to.equal(404);

    const unrestricted = await algaImport(target, JSON.stringify(draftBundle("no.tenant")));
    expectPrintedError(unrestricted, 400, "INVALID_TENANT");
    // An explicit header is never overridden by the implied tenant.
    const explicit = await algaImport(
      { ...target, cookie: TENANT_A_COOKIE, tenant: TENANT_B },
      JSON.stringify(draftBundle("x")),
    );
    expectPrintedError(explicit, 403, "FORBIDDEN", TENANT_B);
  });

  it("the cookie: found among others, quoted or not; two of them, an empty one or a wrong token are 401; never logged", async () => {
    const t = tenant(3);
    const among = await algaExport(
      { baseUrl: server.url, tenant: t, cookie: `next-auth.session-token=abc; ${COOKIE}; theme=dark` },
      tenant(98),
    );
    expect(among.status, among.text).to.equal(404);
    const quoted = await algaExport(
      { baseUrl: server.url, tenant: t, cookie: `workflow_seeder_token="${TOKEN}"` },
      tenant(98),
    );
    expect(quoted.status, quoted.text).to.equal(404);
    for (const cookie of [
      `${COOKIE}; ${COOKIE}`,
      "workflow_seeder_token=",
      `workflow_seeder_token=${TOKEN.slice(0, -1)}X`,
      `workflow_seeder_token=${TOKEN.slice(0, -1)}`,
      `next-auth.session-token=${TOKEN}`,
      `Workflow_Seeder_Token=${TOKEN}`,
    ]) {
      const run = await algaExport({ baseUrl: server.url, tenant: t, cookie }, tenant(98));
      expectPrintedError(run, 401, "UNAUTHORIZED");
    }
    // An Authorization header decides alone: a valid cookie does not rescue a wrong bearer token.
    const both = await request(server.url, `/api/workflow-definitions/${tenant(98)}/export`, {
      token: `${TOKEN.slice(0, -1)}X`,
      tenant: t,
      headers: { cookie: COOKIE },
    });
    expect(both.status, both.text).to.equal(401);
    expect(server.log.text).to.not.include(TOKEN);
    expect(server.log.text).to.not.include(TENANT_A_TOKEN);
  });

  describe("every error code prints as its message", () => {
    const seen = new Set<string>();
    const simple = () =>
      fixtureSet().readBundle(SIMPLE) as { workflows: Record<string, unknown>[] } & Record<string, unknown>;
    const at = (t = tenant(10)) => ({ ...target, tenant: t });

    function check(run: AlgaCliRun, status: number, code: (typeof API_ERROR_CODES)[number], mentions?: string) {
      seen.add(code);
      return expectPrintedError(run, status, code, mentions);
    }

    it("401, 403, 400 tenant: UNAUTHORIZED, FORBIDDEN, INVALID_TENANT", async () => {
      check(
        await algaImport({ baseUrl: server.url, tenant: tenant(10) }, JSON.stringify(draftBundle("x"))),
        401,
        "UNAUTHORIZED",
        "workflow_seeder_token",
      );
      check(
        await algaExport({ ...target, cookie: TENANT_A_COOKIE, tenant: TENANT_B }, tenant(97)),
        403,
        "FORBIDDEN",
        TENANT_B,
      );
      check(await algaExport({ ...target, tenant: "acme" }, tenant(97)), 400, "INVALID_TENANT", "acme");
    });

    it("export: INVALID_ARGUMENT, WORKFLOW_NOT_FOUND (with Alga's missingWorkflowIds), ROUTE_NOT_FOUND, WORKFLOW_WITHOUT_KEY", async () => {
      check(await algaExport(at(), "not-a-uuid"), 400, "INVALID_ARGUMENT", "not-a-uuid");
      const missing = check(await algaExport(at(), tenant(96)), 404, "WORKFLOW_NOT_FOUND", tenant(96));
      expect(missing).to.deep.include({ workflowIds: [tenant(96)], missingWorkflowIds: [tenant(96)] });
      check(
        await algaExport({ ...at(), baseUrl: `${server.url}/alga/` }, tenant(96)),
        404,
        "ROUTE_NOT_FOUND",
        "/alga/api",
      );
      const keyless = (
        await db.knex.raw(
          `insert into workflow_definitions (tenant, key, name, payload_schema_ref, draft_definition)
           values (?, null, 'Keyless', 'payload.TicketCreated.v1', '{"steps": []}'::jsonb) returning workflow_id::text as id`,
          [tenant(10)],
        )
      ).rows[0].id as string;
      check(await algaExport(at(), keyless), 409, "WORKFLOW_WITHOUT_KEY", keyless);
    });

    it("import: WORKFLOW_KEY_CONFLICT and DATABASE_CONSTRAINT_VIOLATION (409)", async () => {
      const t = tenant(11);
      expect((await algaImport(at(t), JSON.stringify(draftBundle("conflict.key")))).status).to.equal(200);
      const conflict = check(
        await algaImport(at(t), JSON.stringify(draftBundle("conflict.key"))),
        409,
        "WORKFLOW_KEY_CONFLICT",
        "conflict.key",
      );
      expect(conflict.workflowKey).to.equal("conflict.key");
      await db.knex.raw(
        "alter table workflow_definitions add constraint alga_cli_name_not_forbidden check (name <> 'forbidden')",
      );
      const bundle = draftBundle("constraint.key") as { workflows: { metadata: { name: string } }[] };
      (bundle.workflows[0] as { metadata: { name: string } }).metadata.name = "forbidden";
      const violation = check(
        await algaImport(at(t), JSON.stringify(bundle)),
        409,
        "DATABASE_CONSTRAINT_VIOLATION",
        "constraint.key",
      );
      expect(violation).to.include({ constraint: "alga_cli_name_not_forbidden", workflowKey: "constraint.key" });
    });

    it("import: the bundle errors (400), with Alga's detail names next to ours", async () => {
      // Alga's CLI parses the file before sending it, so it never sends invalid JSON; other scripts do.
      check(await algaImport(at(), '{\n  "format": 1,,\n}'), 400, "INVALID_JSON", "line 2");
      check(await algaImport(at(), "[]"), 400, "INVALID_BUNDLE");
      const format = check(
        await algaImport(at(), JSON.stringify({ ...simple(), format: "something-else" })),
        400,
        "UNSUPPORTED_FORMAT",
        "something-else",
      );
      expect(format).to.deep.equal({
        received: "something-else",
        expected: "alga-psa.workflow-bundle",
        expectedFormat: "alga-psa.workflow-bundle",
        receivedFormat: "something-else",
      });
      const version = check(
        await algaImport(at(), JSON.stringify({ ...simple(), formatVersion: 2 })),
        400,
        "UNSUPPORTED_FORMAT_VERSION",
      );
      expect(version).to.deep.equal({
        received: 2,
        supported: [1],
        expectedFormatVersion: 1,
        receivedFormatVersion: 2,
      });
      const schema = check(
        await algaImport(at(), JSON.stringify({ ...simple(), workflows: [{ key: "x" }] })),
        400,
        "SCHEMA_VALIDATION_FAILED",
        "/workflows/0",
      );
      const errors = schema.errors as { path: string; instancePath: string; message: string }[];
      expect(errors.length).to.be.greaterThan(0);
      for (const e of errors) expect(e.instancePath).to.equal(e.path);
      const twice = simple();
      check(
        await algaImport(at(), JSON.stringify({ ...twice, workflows: [twice.workflows[0], twice.workflows[0]] })),
        400,
        "DUPLICATE_WORKFLOW_KEY",
        SIMPLE_KEY,
      );
      const versions = simple() as unknown as { workflows: { publishedVersions: unknown[] }[] };
      const w = versions.workflows[0] as { publishedVersions: unknown[] };
      w.publishedVersions.push(w.publishedVersions[0]);
      check(await algaImport(at(), JSON.stringify(versions)), 400, "DUPLICATE_VERSION", SIMPLE_KEY);
      const range = simple() as unknown as { workflows: { draft: { draftVersion: number } }[] };
      (range.workflows[0] as { draft: { draftVersion: number } }).draft.draftVersion = 2 ** 40;
      check(await algaImport(at(), JSON.stringify(range)), 400, "VALUE_OUT_OF_RANGE");
      const invalid = simple() as unknown as { workflows: { publishedVersions: { definition: unknown }[] }[] };
      (invalid.workflows[0]?.publishedVersions[0] as { definition: unknown }).definition = {};
      check(await algaImport(at(), JSON.stringify(invalid)), 400, "INVALID_DEFINITION", SIMPLE_KEY);
    });

    it("import: MISSING_DEPENDENCIES lists missing actions as Alga does, {actionId, version}", async () => {
      const bundle = draftBundle("needs.action") as { workflows: { dependencies: { actions: unknown[] } }[] };
      (bundle.workflows[0] as { dependencies: { actions: unknown[] } }).dependencies.actions = [
        { actionId: "nowhere.registered", version: 3 },
      ];
      const d = check(
        await algaImport(at(), JSON.stringify(bundle)),
        400,
        "MISSING_DEPENDENCIES",
        "nowhere.registered",
      );
      expect(d.missingActions).to.deep.equal([{ actionId: "nowhere.registered", version: 3 }]);
      expect(d.missingActionRefs).to.deep.equal(["nowhere.registered@3"]);
      expect(d.missingByWorkflow).to.deep.equal([
        {
          workflowKey: "needs.action",
          missingActions: [{ actionId: "nowhere.registered", version: 3 }],
          missingNodeTypes: [],
          missingSchemaRefs: [],
          missingActionRefs: ["nowhere.registered@3"],
        },
      ]);
      expect(await db.knex("workflow_definitions").where({ key: "needs.action" })).to.have.length(0);
    });

    it("import: UNSUPPORTED_MEDIA_TYPE (no body) and PAYLOAD_TOO_LARGE", async () => {
      const noBody = await send(at(), "POST", "/api/workflow-definitions/import");
      check(
        { ...noBody, printed: [noBody.error as string, JSON.stringify(noBody.body, null, 2)] },
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      const small = await startTestServer(db.knex, { bodyLimit: 2048 });
      try {
        const big = `${JSON.stringify(draftBundle("too.large"))}${" ".repeat(2048)}`;
        check(await algaImport({ ...at(), baseUrl: small.url }, big), 413, "PAYLOAD_TOO_LARGE", "2048");
      } finally {
        await small.close();
      }
    });

    it("faults: INTERNAL_ERROR (500) and DATABASE_UNAVAILABLE (503)", async () => {
      const bare = await createPostgresDatabase({ migrate: false });
      const broken = await startTestServer(bare.knex);
      try {
        const run = await algaImport({ ...at(), baseUrl: broken.url }, JSON.stringify(draftBundle("fault.key")));
        check(run, 500, "INTERNAL_ERROR");
        expect(run.text).to.not.match(/workflow_definitions|relation|stack/i);
      } finally {
        await broken.close();
        await bare.close();
      }
      const down: Knex = knexFactory({
        client: "pg",
        connection: "postgres://postgres@127.0.0.1:1/none",
        pool: { min: 0, max: 1 },
        acquireConnectionTimeout: 5_000,
        // The refused connections are the point; keep knex from printing each one.
        log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined },
      });
      const unavailable = await startTestServer(down);
      try {
        check(await algaExport({ ...at(), baseUrl: unavailable.url }, tenant(95)), 503, "DATABASE_UNAVAILABLE");
      } finally {
        await unavailable.close();
        await down.destroy();
      }
    });

    it("exercised every error code the API answers (runs last)", function () {
      // Guard: a code left out of the cases above would pass unnoticed. Meaningless when filtered.
      if (seen.size === 0) this.skip();
      expect([...API_ERROR_CODES].filter((c) => !seen.has(c))).to.deep.equal([]);
    });
  });

  it("serve --insecure-local: the CLI works without any cookie", async () => {
    const open = await startTestServer(db.knex, { tokens: [], insecureLocal: true });
    try {
      const run = await algaImport(
        { baseUrl: open.url, tenant: tenant(20) },
        JSON.stringify(draftBundle("insecure.alga")),
      );
      expect(run.status, run.text).to.equal(200);
      expectPrintedError(
        await algaImport({ baseUrl: open.url }, JSON.stringify(draftBundle("x"))),
        400,
        "INVALID_TENANT",
      );
    } finally {
      await open.close();
    }
  });
});

describe("the CLI's remote client against other servers' error bodies", () => {
  let fake: Server;
  let url: string;
  let answer: { status: number; body: string };

  before(async () => {
    fake = createHttpServer((_request, response) => {
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => fake?.close(resolve));
  });

  async function failureOf(): Promise<WorkflowSeederError> {
    const error = await importBundleOverHttp({ url }, draftBundle("x"), { tenant: TENANT_A }).then(
      () => expect.fail("the import succeeded"),
      (e: unknown) => e,
    );
    expect(isWorkflowSeederError(error), String(error)).to.equal(true);
    return error as WorkflowSeederError;
  }

  it("Alga's server ({error: <message>}, no code): REMOTE_ERROR carrying that message", async () => {
    answer = {
      status: 400,
      body: JSON.stringify({ error: "Workflow bundle has missing runtime dependencies.", details: {} }),
    };
    const error = await failureOf();
    expect(error.code).to.equal("REMOTE_ERROR");
    expect(error.details).to.include({
      status: 400,
      code: null,
      message: "Workflow bundle has missing runtime dependencies.",
    });
  });

  it("a workflow-seeder server of the previous version ({error: {code, message, details}}): the same error", async () => {
    const raised = new WorkflowSeederError(issue("FORBIDDEN", { tenant: TENANT_B }));
    answer = { status: 403, body: JSON.stringify(raised.toJSON()) };
    const error = await failureOf();
    expect(error.issues).to.deep.equal(raised.issues);
  });
});
