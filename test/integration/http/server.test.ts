import { request as httpRequest } from "node:http";
import { networkInterfaces } from "node:os";
import { expect } from "chai";
import knexFactory, { type Knex } from "knex";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";
import { createServer, DEFAULT_BODY_LIMIT, startServer } from "../../../src/http/index.js";
import { fixtureFile, fixtureSet, type MissingDependencyFile } from "../../support/bundle-sets.js";
import { draftBundle, makeBundle, makeWorkflow } from "../../support/bundles.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../../support/databases.js";
import {
  countRows,
  expectError,
  LogCollector,
  normalizeExportedAt,
  request,
  startTestServer,
  TENANT_A,
  TENANT_A_TOKEN,
  TENANT_B,
  type TestServer,
  TOKEN,
} from "../../support/http.js";

const IMPORT = "/api/workflow-definitions/import";
const EXPORT = "/api/workflow-definitions/export";
const fixtures = fixtureSet();
/** A bundle of one published workflow. */
const SIMPLE = fixtureFile("hello");
const SIMPLE_KEY = "fx.ticket-greeting";
/** Three workflows calling each other (parent → middle → leaf), linked by definition ids. */
const CALLER = fixtureFile("callChain");
const readText = (file: { file: string }) => fixtures.readText(file.file);

function tenant(n: number): string {
  return `c0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** What a raw node client saw: the 100 Continue, the answer, every client-side error, and whether it sent the body. */
interface RawExchange {
  continued: boolean;
  bodySent: boolean;
  status: number | null;
  json: { code?: string; details?: unknown } | undefined;
  errors: string[];
}

/**
 * POSTs `size` bytes with node's client and waits until the exchange is over (the request's
 * `close`): a reset or a broken pipe after the answer shows in `errors`. With `expectContinue`,
 * the body is sent only on 100 Continue, as a client honouring `Expect` does.
 */
function rawImport(baseUrl: string, size: number, options: { expectContinue: boolean }): Promise<RawExchange> {
  const url = new URL(IMPORT, baseUrl);
  const body = Buffer.alloc(size, 0x20);
  const exchange: RawExchange = { continued: false, bodySent: false, status: null, json: undefined, errors: [] };
  return new Promise((resolve) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method: "POST",
      path: url.pathname,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "x-tenant-id": TENANT_A,
        "content-type": "application/json",
        "content-length": String(size),
        ...(options.expectContinue ? { expect: "100-continue" } : {}),
      },
    });
    const send = () => {
      exchange.bodySent = true;
      req.end(body);
    };
    let answered: Promise<void> = Promise.resolve();
    req.on("continue", () => {
      exchange.continued = true;
      send();
    });
    req.on("response", (res) => {
      exchange.status = res.statusCode ?? null;
      answered = new Promise((done) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          exchange.json = JSON.parse(text);
          done();
          // Answered without 100 Continue: the body is not coming; end the request without it.
          if (options.expectContinue && !exchange.continued) req.destroy();
        });
      });
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (!(options.expectContinue && !exchange.continued && exchange.status !== null))
        exchange.errors.push(error.code ?? error.message);
    });
    req.on("close", () => {
      answered.then(() => resolve(exchange));
    });
    if (!options.expectContinue) send();
    else req.flushHeaders();
  });
}

describe("HTTP API [postgres]", function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  let url: string;

  before(async () => {
    db = await createPostgresDatabase();
    server = await startTestServer(db.knex);
    url = server.url;
  });

  after(async () => {
    await server?.close();
    await db?.close();
  });

  describe("GET /healthz", () => {
    it("answers 200 without a token when the database answers", async () => {
      const r = await request(url, "/healthz", { token: null, tenant: null });
      expect(r.status).to.equal(200);
      expect(r.json).to.deep.equal({ status: "ok" });
      expect(r.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe("authentication and tenant", () => {
    const routes = [
      { path: `${EXPORT}?all=true`, method: "GET" },
      { path: `/api/workflow-definitions/${tenant(0)}/export`, method: "GET" },
      { path: IMPORT, method: "POST" },
    ];

    for (const route of routes) {
      it(`${route.method} ${route.path.split("?")[0]}: 401 without a token, with another scheme or a wrong token`, async () => {
        const body = route.method === "POST" ? draftBundle("auth.never-written") : undefined;
        const none = await request(url, route.path, { method: route.method, token: null, body });
        expectError(none, 401, "UNAUTHORIZED");
        expect(none.headers.get("www-authenticate")).to.equal('Bearer realm="workflow-seeder"');
        const basic = await request(url, route.path, {
          method: route.method,
          token: null,
          headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
          body,
        });
        expectError(basic, 401, "UNAUTHORIZED");
        // Same length as the real token, last character changed.
        const wrong = await request(url, route.path, { method: route.method, token: `${TOKEN.slice(0, -1)}X`, body });
        expectError(wrong, 401, "UNAUTHORIZED");
        const prefix = await request(url, route.path, { method: route.method, token: TOKEN.slice(0, -1), body });
        expectError(prefix, 401, "UNAUTHORIZED");
      });
    }

    it("400 INVALID_TENANT without x-tenant-id or with one that is not a UUID", async () => {
      const missing = expectError(await request(url, `${EXPORT}?all=true`, { tenant: null }), 400, "INVALID_TENANT");
      expect(missing.details).to.deep.equal({ received: "" });
      const bad = expectError(await request(url, `${EXPORT}?all=true`, { tenant: "acme" }), 400, "INVALID_TENANT");
      expect(bad.details).to.deep.equal({ received: "acme" });
    });

    it("errors name the HTTP way to fix them: the x-tenant-id header and query parameters, never a CLI option", async () => {
      const cliOption = /(^|[\s(`'"])--[a-z]|`workflow-seeder /;
      const missing = expectError(await request(url, `${EXPORT}?all=true`, { tenant: null }), 400, "INVALID_TENANT");
      const bad = expectError(await request(url, `${EXPORT}?all=true`, { tenant: "acme" }), 400, "INVALID_TENANT");
      for (const e of [missing, bad]) {
        expect(e.message).to.contain("x-tenant-id");
        expect(e.message).to.not.match(cliOption);
      }
      const empty = tenant(77);
      const notFound = expectError(
        await request(url, `${EXPORT}?all=true`, { tenant: empty }),
        404,
        "WORKFLOW_NOT_FOUND",
      );
      expect(notFound.message).to.not.match(cliOption);
      expect((await request(url, IMPORT, { tenant: empty, body: draftBundle("hint.conflict") })).status).to.equal(200);
      const conflict = expectError(
        await request(url, IMPORT, { tenant: empty, body: draftBundle("hint.conflict") }),
        409,
        "WORKFLOW_KEY_CONFLICT",
      );
      expect(conflict.message).to.contain("onConflict=").and.contain("force=true");
      expect(conflict.message).to.not.match(cliOption);
      const missingDeps = fixtures.missingDependencyFiles[0] as MissingDependencyFile;
      const deps = expectError(
        await request(url, IMPORT, { tenant: empty, body: readText(missingDeps) }),
        400,
        "MISSING_DEPENDENCIES",
      );
      expect(deps.message).to.not.match(cliOption);
    });

    it("checks the token before the tenant (401, not 400, for a bad token and a bad tenant)", async () => {
      expectError(await request(url, `${EXPORT}?all=true`, { token: null, tenant: "acme" }), 401, "UNAUTHORIZED");
    });

    it("403 FORBIDDEN when a restricted token names another tenant; its own tenant works in any letter case", async () => {
      const other = await request(url, IMPORT, {
        token: TENANT_A_TOKEN,
        tenant: TENANT_B,
        body: draftBundle("auth.b"),
      });
      expect(expectError(other, 403, "FORBIDDEN").details).to.deep.equal({ tenant: TENANT_B });
      const own = await request(url, IMPORT, {
        token: TENANT_A_TOKEN,
        tenant: TENANT_A.toUpperCase(),
        body: draftBundle("auth.a"),
      });
      expect(own.status, own.text).to.equal(200);
      const rows = await db.knex("workflow_definitions").where({ key: "auth.b" });
      expect(rows).to.have.length(0);
    });
  });

  describe("POST /api/workflow-definitions/import", () => {
    const t = tenant(1);

    it("200 with the import summary; the workflow is in the tenant", async () => {
      const r = await request(url, IMPORT, { tenant: t, body: readText(SIMPLE) });
      expect(r.status, r.text).to.equal(200);
      expect(r.headers.get("content-type")).to.equal("application/json; charset=utf-8");
      const summary = r.json as {
        createdWorkflows: { key: string; workflowId: string }[];
        createdPublishedVersions: { key: string; versions: number[] }[];
        deletedWorkflows: unknown[];
        updatedWorkflows: unknown[];
        skippedWorkflows: unknown[];
        warnings: unknown[];
      };
      expect(summary.createdWorkflows.map((w) => w.key)).to.deep.equal([SIMPLE_KEY]);
      expect(summary.createdPublishedVersions[0]?.versions).to.deep.equal([1]);
      expect(summary).to.include.keys("deletedWorkflows", "updatedWorkflows", "skippedWorkflows", "warnings");
      const row = await db.knex("workflow_definitions").where({ tenant: t, key: SIMPLE_KEY }).first();
      expect(row.workflow_id).to.equal(summary.createdWorkflows[0]?.workflowId);
    });

    it("409 WORKFLOW_KEY_CONFLICT for a key that exists, unless a policy says otherwise", async () => {
      const before = await fingerprint(db.knex, t);
      const conflict = expectError(
        await request(url, IMPORT, { tenant: t, body: readText(SIMPLE) }),
        409,
        "WORKFLOW_KEY_CONFLICT",
      );
      expect(conflict.details).to.include({ key: SIMPLE_KEY, tenant: t });
      expect(await fingerprint(db.knex, t)).to.deep.equal(before);

      const existing = (await db.knex("workflow_definitions").where({ tenant: t, key: SIMPLE_KEY }).first())
        .workflow_id;
      const skip = await request(url, `${IMPORT}?onConflict=skip`, { tenant: t, body: readText(SIMPLE) });
      expect(skip.status).to.equal(200);
      expect((skip.json as { skippedWorkflows: unknown[] }).skippedWorkflows).to.deep.equal([
        { key: SIMPLE_KEY, workflowId: existing },
      ]);
      // The same content again changes nothing; an edited one is an update.
      const same = await request(url, `${IMPORT}?onConflict=update`, { tenant: t, body: readText(SIMPLE) });
      expect((same.json as { unchangedWorkflows: unknown[] }).unchangedWorkflows).to.deep.equal([
        { key: SIMPLE_KEY, workflowId: existing },
      ]);
      const edited = JSON.parse(readText(SIMPLE));
      edited.workflows[0].metadata.description = "edited over HTTP";
      const update = await request(url, `${IMPORT}?onConflict=update`, { tenant: t, body: JSON.stringify(edited) });
      expect((update.json as { updatedWorkflows: unknown[] }).updatedWorkflows).to.deep.equal([
        { key: SIMPLE_KEY, workflowId: existing },
      ]);
      const forced = await request(url, `${IMPORT}?force=true`, { tenant: t, body: readText(SIMPLE) });
      expect(forced.status, forced.text).to.equal(200);
      const replaced = forced.json as { deletedWorkflows: { workflowId: string }[]; createdWorkflows: unknown[] };
      expect(replaced.deletedWorkflows.map((w) => w.workflowId)).to.deep.equal([existing]);
      expect(replaced.createdWorkflows).to.have.length(1);
      const notForced = await request(url, `${IMPORT}?force=false`, { tenant: t, body: readText(SIMPLE) });
      expectError(notForced, 409, "WORKFLOW_KEY_CONFLICT");
    });

    it("the same bundle twice with onConflict=update: the second answer lists it unchanged and no row changes", async () => {
      const u = tenant(71);
      const body = makeBundle({ workflows: [makeWorkflow({ key: "http.same", published: 2 })] });
      const first = await request(url, IMPORT, { tenant: u, body });
      expect(first.status, first.text).to.equal(200);
      const created = (first.json as { createdWorkflows: unknown[] }).createdWorkflows;
      const before = await fingerprint(db.knex, u);
      const again = await request(url, `${IMPORT}?onConflict=update`, { tenant: u, body });
      expect(again.status, again.text).to.equal(200);
      const summary = again.json as { unchangedWorkflows: unknown[]; updatedWorkflows: unknown[] };
      expect(summary.unchangedWorkflows).to.deep.equal(created);
      expect(summary.updatedWorkflows).to.deep.equal([]);
      expect(await fingerprint(db.knex, u)).to.deep.equal(before);
    });

    it("writes ?actor to created_by", async () => {
      const actor = "d0000000-0000-4000-8000-0000000000ac";
      const r = await request(url, `${IMPORT}?actor=${actor}`, { tenant: t, body: draftBundle("actor.check") });
      expect(r.status, r.text).to.equal(200);
      const row = await db.knex("workflow_definitions").where({ tenant: t, key: "actor.check" }).first();
      expect(row.created_by).to.equal(actor);
    });

    it("400 INVALID_ARGUMENT for unknown, repeated or invalid query parameters", async () => {
      const cases: [string, string][] = [
        ["?onconflict=replace", "query parameter onconflict"],
        ["?onConflict=overwrite", "query parameter onConflict"],
        ["?force=yes", "query parameter force"],
        ["?force=true&onConflict=skip", "query parameter onConflict"],
        ["?onConflict=skip&onConflict=update", "query parameter onConflict"],
        ["?actor=bob", "query parameter actor"],
      ];
      for (const [query, option] of cases) {
        const e = expectError(
          await request(url, `${IMPORT}${query}`, { tenant: t, body: draftBundle("never.written") }),
          400,
          "INVALID_ARGUMENT",
        );
        expect(e.details.option, query).to.equal(option);
      }
      expect(await db.knex("workflow_definitions").where({ key: "never.written" })).to.have.length(0);
    });

    describe("400 for bundles that cannot be imported, nothing written", () => {
      const missing = fixtures.missingDependencyFiles.find((f) => f.schemaRefs.length > 0) as MissingDependencyFile;
      const simple = () =>
        fixtures.readBundle(SIMPLE.file) as { workflows: Record<string, never>[] } & Record<string, unknown>;
      const cases: { code: string; body: () => unknown }[] = [
        { code: "INVALID_BUNDLE", body: () => [] },
        { code: "UNSUPPORTED_FORMAT", body: () => ({ ...simple(), format: "something-else" }) },
        { code: "UNSUPPORTED_FORMAT_VERSION", body: () => ({ ...simple(), formatVersion: 2 }) },
        { code: "SCHEMA_VALIDATION_FAILED", body: () => ({ ...simple(), workflows: [{ key: "x" }] }) },
        {
          code: "DUPLICATE_WORKFLOW_KEY",
          body: () => {
            const b = simple();
            return { ...b, workflows: [b.workflows[0], b.workflows[0]] };
          },
        },
        {
          code: "DUPLICATE_VERSION",
          body: () => {
            const b = simple() as unknown as { workflows: { publishedVersions: unknown[] }[] };
            const w = b.workflows[0] as { publishedVersions: unknown[] };
            w.publishedVersions.push(w.publishedVersions[0]);
            return b;
          },
        },
        {
          code: "VALUE_OUT_OF_RANGE",
          body: () => {
            const b = simple() as unknown as { workflows: { draft: { draftVersion: number } }[] };
            (b.workflows[0] as { draft: { draftVersion: number } }).draft.draftVersion = 2 ** 40;
            return b;
          },
        },
        {
          code: "INVALID_DEFINITION",
          body: () => {
            const b = simple() as unknown as { workflows: { publishedVersions: { definition: unknown }[] }[] };
            (b.workflows[0]?.publishedVersions[0] as { definition: unknown }).definition = {};
            return b;
          },
        },
        { code: "MISSING_DEPENDENCIES", body: () => fixtures.readText(missing.file) },
        { code: "INVALID_JSON", body: () => fixtures.readText(fixtures.invalidJson.file) },
      ];
      for (const c of cases) {
        it(c.code, async () => {
          const t2 = tenant(2);
          const before = await fingerprint(db.knex, t2);
          const e = expectError(await request(url, IMPORT, { tenant: t2, body: c.body() }), 400, c.code);
          if (c.code === "MISSING_DEPENDENCIES") {
            const found = e.details as { missingByWorkflow: { workflowKey: string }[]; missingSchemaRefs: string[] };
            expect(found.missingByWorkflow).to.have.length.greaterThan(0);
            expect(found.missingSchemaRefs).to.deep.equal(missing.schemaRefs);
          }
          expect(await fingerprint(db.knex, t2)).to.deep.equal(before);
        });
      }

      it("INVALID_JSON names the line and column of the raw body", async () => {
        const e = expectError(
          await request(url, IMPORT, {
            tenant: tenant(2),
            body: '{\n  "format": "alga-psa.workflow-bundle",\n  oops\n}',
          }),
          400,
          "INVALID_JSON",
        );
        expect(e.details).to.include({ line: 3, column: 3 });
        const empty = expectError(await request(url, IMPORT, { tenant: tenant(2), body: "" }), 400, "INVALID_JSON");
        expect(empty.details).to.include({ line: 1, column: 1 });
      });
    });

    it("415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared as JSON, or no body at all", async () => {
      const before = await countRows(db.knex);
      const text = JSON.stringify(draftBundle("media.type"));
      const plain = expectError(
        await request(url, IMPORT, { tenant: t, body: text, contentType: "text/plain" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      expect(plain.details).to.deep.equal({ received: "text/plain", expected: "application/json" });
      expectError(
        await request(url, IMPORT, { tenant: t, body: text, contentType: "application/x-www-form-urlencoded" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      const none = expectError(
        await request(url, IMPORT, { tenant: t, method: "POST" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      expect(none.details).to.deep.equal({ received: null, expected: "application/json" });
      expect(await countRows(db.knex)).to.deep.equal(before);
      const withCharset = await request(url, IMPORT, {
        tenant: t,
        body: text,
        contentType: "application/json; charset=utf-8",
      });
      expect(withCharset.status, withCharset.text).to.equal(200);
    });

    it("415 UNSUPPORTED_MEDIA_TYPE for a JSON body declared in a charset other than UTF-8 (RFC 8259: JSON is UTF-8)", async () => {
      const before = await countRows(db.knex);
      const text = JSON.stringify(draftBundle("media.charset"));
      for (const charset of ["latin1", "ISO-8859-1", "utf-16"]) {
        const e = expectError(
          await request(url, IMPORT, { tenant: t, body: text, contentType: `application/json; charset=${charset}` }),
          415,
          "UNSUPPORTED_MEDIA_TYPE",
        );
        expect(e.details).to.deep.equal({
          received: `application/json; charset=${charset}`,
          expected: "application/json; charset=utf-8",
        });
      }
      expect(await countRows(db.knex)).to.deep.equal(before);
      const quoted = await request(url, IMPORT, {
        tenant: t,
        body: text,
        contentType: 'application/json; charset="UTF-8"',
      });
      expect(quoted.status, quoted.text).to.equal(200);
    });

    it(`413 PAYLOAD_TOO_LARGE for a body one byte over the default limit (${DEFAULT_BODY_LIMIT} bytes), nothing written; the limit itself passes`, async () => {
      const pad = (key: string, size: number) => {
        const text = JSON.stringify(draftBundle(key));
        return text + " ".repeat(size - Buffer.byteLength(text));
      };
      const before = await countRows(db.knex);
      const over = pad("limit.over", DEFAULT_BODY_LIMIT + 1);
      expect(Buffer.byteLength(over)).to.equal(DEFAULT_BODY_LIMIT + 1);
      const e = expectError(await request(url, IMPORT, { tenant: t, body: over }), 413, "PAYLOAD_TOO_LARGE");
      expect(e.details).to.deep.equal({ limitBytes: DEFAULT_BODY_LIMIT });
      expect(await countRows(db.knex)).to.deep.equal(before);

      const exact = await request(url, IMPORT, { tenant: t, body: pad("limit.exact", DEFAULT_BODY_LIMIT) });
      expect(exact.status, exact.text.slice(0, 300)).to.equal(200);
      expect((await countRows(db.knex)).workflow_definitions).to.equal((before.workflow_definitions ?? 0) + 1);
    });

    it("concurrent imports of the same new key: exactly one 200, the others 409", async () => {
      const t3 = tenant(3);
      const body = draftBundle("race.same-key");
      const answers = await Promise.all(Array.from({ length: 8 }, () => request(url, IMPORT, { tenant: t3, body })));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).to.deep.equal([200, 409, 409, 409, 409, 409, 409, 409]);
      for (const a of answers.filter((x) => x.status === 409)) expectError(a, 409, "WORKFLOW_KEY_CONFLICT");
      expect(await db.knex("workflow_definitions").where({ tenant: t3, key: "race.same-key" })).to.have.length(1);
    });
  });

  describe("export", () => {
    const t = tenant(4);
    let workflowId: string;

    before(async () => {
      for (const text of [readText(SIMPLE), readText(CALLER)]) {
        const r = await request(url, IMPORT, { tenant: t, body: text });
        expect(r.status, r.text).to.equal(200);
        expect((r.json as { warnings: unknown[] }).warnings).to.deep.equal([]);
      }
      workflowId = (await db.knex("workflow_definitions").where({ tenant: t, key: SIMPLE_KEY }).first()).workflow_id;
    });

    it("GET /:workflowId/export: 200, canonical bundle, JSON content type and attachment", async () => {
      const r = await request(url, `/api/workflow-definitions/${workflowId}/export`, { tenant: t });
      expect(r.status, r.text).to.equal(200);
      expect(r.headers.get("content-type")).to.equal("application/json; charset=utf-8");
      expect(r.headers.get("content-disposition")).to.equal('attachment; filename="workflow-bundle.json"');
      expect(canonicalizeJson(r.json)).to.equal(r.text);
      const bundle = r.json as { format: string; formatVersion: number; workflows: { key: string }[] };
      expect(bundle.format).to.equal("alga-psa.workflow-bundle");
      expect(bundle.workflows.map((w) => w.key)).to.deep.equal([SIMPLE_KEY]);
      const upper = await request(url, `/api/workflow-definitions/${workflowId.toUpperCase()}/export`, { tenant: t });
      expect(normalizeExportedAt(upper.text)).to.equal(normalizeExportedAt(r.text));
    });

    it("GET /:workflowId/export: 404 WORKFLOW_NOT_FOUND for an unknown id or another tenant's, 400 for a non-UUID", async () => {
      const unknown = tenant(99);
      const e = expectError(
        await request(url, `/api/workflow-definitions/${unknown}/export`, { tenant: t }),
        404,
        "WORKFLOW_NOT_FOUND",
      );
      expect(e.details.workflowIds).to.deep.equal([unknown]);
      expectError(
        await request(url, `/api/workflow-definitions/${workflowId}/export`, { tenant: tenant(5) }),
        404,
        "WORKFLOW_NOT_FOUND",
      );
      const bad = expectError(
        await request(url, "/api/workflow-definitions/not-a-uuid/export", { tenant: t }),
        400,
        "INVALID_ARGUMENT",
      );
      expect(bad.details).to.include({ option: "workflowId", received: "not-a-uuid" });
    });

    it("GET /export?key=a&key=b: one bundle with those workflows, sorted by key", async () => {
      const keys = (await db.knex("workflow_definitions").where({ tenant: t }).pluck("key")) as string[];
      expect(keys.length).to.be.greaterThan(2);
      const query = keys.map((k) => `key=${encodeURIComponent(k)}`).join("&");
      const r = await request(url, `${EXPORT}?${query}`, { tenant: t });
      expect(r.status, r.text).to.equal(200);
      expect(r.headers.get("content-disposition")).to.equal('attachment; filename="workflow-bundle.json"');
      expect((r.json as { workflows: { key: string }[] }).workflows.map((w) => w.key)).to.deep.equal([...keys].sort());
      const byId = await request(url, `${EXPORT}?workflowId=${workflowId}`, { tenant: t });
      expect((byId.json as { workflows: { key: string }[] }).workflows.map((w) => w.key)).to.deep.equal([SIMPLE_KEY]);
    });

    it("GET /export?all=true: every workflow of the tenant", async () => {
      const all = await request(url, `${EXPORT}?all=true`, { tenant: t });
      expect(all.status, all.text).to.equal(200);
      const keys = (all.json as { workflows: { key: string }[] }).workflows.map((w) => w.key);
      const stored = (await db.knex("workflow_definitions").where({ tenant: t }).pluck("key")) as string[];
      expect(keys).to.deep.equal([...stored].sort());
    });

    it("GET /export?key=...&withCalledWorkflows=true adds the workflows the selection calls", async () => {
      const callerKeys = CALLER.keys;
      const parent = callerKeys[0] as string;
      const alone = await request(url, `${EXPORT}?key=${encodeURIComponent(parent)}`, { tenant: t });
      expect((alone.json as { workflows: unknown[] }).workflows).to.have.length(1);
      const withCalled = await request(url, `${EXPORT}?key=${encodeURIComponent(parent)}&withCalledWorkflows=true`, {
        tenant: t,
      });
      expect(withCalled.status, withCalled.text).to.equal(200);
      expect((withCalled.json as { workflows: { key: string }[] }).workflows.map((w) => w.key)).to.have.members(
        callerKeys,
      );
    });

    it("?exportedAt pins the bundle's exportedAt; an invalid one is 400", async () => {
      const r = await request(url, `${EXPORT}?all=true&exportedAt=2026-02-03T04:05:06.000Z`, { tenant: t });
      expect((r.json as { exportedAt: string }).exportedAt).to.equal("2026-02-03T04:05:06.000Z");
      const again = await request(url, `${EXPORT}?all=true&exportedAt=2026-02-03T04:05:06.000Z`, { tenant: t });
      expect(again.text).to.equal(r.text);
      expectError(
        await request(url, `${EXPORT}?all=true&exportedAt=yesterday`, { tenant: t }),
        400,
        "INVALID_ARGUMENT",
      );
    });

    it("GET /export: 400 without a selection, 404 for an unknown key, 400 for an unknown parameter", async () => {
      expectError(await request(url, EXPORT, { tenant: t }), 400, "INVALID_ARGUMENT");
      const e = expectError(await request(url, `${EXPORT}?key=no.such.key`, { tenant: t }), 404, "WORKFLOW_NOT_FOUND");
      expect(e.details.keys).to.deep.equal(["no.such.key"]);
      expectError(await request(url, `${EXPORT}?keys=${SIMPLE_KEY}`, { tenant: t }), 400, "INVALID_ARGUMENT");
      expectError(await request(url, `${EXPORT}?workflowId=nope`, { tenant: t }), 400, "INVALID_ARGUMENT");
      // all=true exports every workflow: a key beside it would be silently ignored.
      const both = expectError(
        await request(url, `${EXPORT}?all=true&key=${SIMPLE_KEY}`, { tenant: t }),
        400,
        "INVALID_ARGUMENT",
      );
      expect(both.details).to.include({ option: "query parameter key", received: SIMPLE_KEY });
    });

    it("export → import into another tenant → export gives identical bytes (exportedAt normalized)", async () => {
      const source = tenant(6);
      const target = tenant(7);
      for (const text of [readText(SIMPLE), readText(CALLER), readText(fixtureFile("callPlaceholder"))]) {
        const r = await request(url, IMPORT, { tenant: source, body: text });
        expect(r.status, r.text).to.equal(200);
      }
      const first = await request(url, `${EXPORT}?all=true`, { tenant: source });
      expect(first.status).to.equal(200);
      const imported = await request(url, IMPORT, { tenant: target, body: first.text });
      expect(imported.status, imported.text).to.equal(200);
      const second = await request(url, `${EXPORT}?all=true`, { tenant: target });
      expect(normalizeExportedAt(second.text)).to.equal(normalizeExportedAt(first.text));
      expect(second.text).to.not.equal(""); // guard: two empty answers would compare equal
      expect((second.json as { workflows: unknown[] }).workflows.length).to.be.greaterThan(3);
    });
  });

  describe("404 ROUTE_NOT_FOUND", () => {
    it("for an unknown path or a known path with another method", async () => {
      const e = expectError(await request(url, "/api/nothing-here"), 404, "ROUTE_NOT_FOUND");
      expect(e.details).to.deep.equal({ method: "GET", path: "/api/nothing-here" });
      expectError(await request(url, IMPORT), 404, "ROUTE_NOT_FOUND");
      expectError(await request(url, "/"), 404, "ROUTE_NOT_FOUND");
    });
  });

  describe("request log", () => {
    it("one JSON line per request: method, path, status, duration, tenant, request id; no token, no bundle content", async () => {
      const id = "log-check-0001";
      const r = await request(url, `${IMPORT}?onConflict=skip`, {
        tenant: tenant(8),
        body: draftBundle("log.secret-key"),
        headers: { "x-request-id": id },
      });
      expect(r.status).to.equal(200);
      expect(r.headers.get("x-request-id")).to.equal(id);
      const entry = server.log.entries().find((e) => "requestId" in e && e.requestId === id);
      expect(entry).to.deep.include({
        level: "info",
        msg: "request",
        method: "POST",
        path: IMPORT,
        status: 200,
        tenant: tenant(8),
      });
      expect((entry as { durationMs: number }).durationMs)
        .to.be.a("number")
        .at.least(0);
      const text = server.log.text;
      expect(text).to.not.include(TOKEN);
      expect(text).to.not.include(TENANT_A_TOKEN);
      expect(text).to.not.include("log.secret-key");
      expect(text).to.not.include(SIMPLE_KEY);
      for (const line of server.log.lines) expect(() => JSON.parse(line)).to.not.throw();
      const failed = server.log.entries().find((e) => e.msg === "request" && e.status === 401);
      expect(failed).to.include({ level: "warn", code: "UNAUTHORIZED", tenant: null });
    });
  });
});

describe("HTTP API faults [postgres]", function () {
  this.timeout(120_000);

  it("500 INTERNAL_ERROR with a request id and no internals when the database has no schema; logged", async () => {
    const db = await createPostgresDatabase({ migrate: false });
    const server = await startTestServer(db.knex);
    try {
      const r = await request(server.url, IMPORT, { body: draftBundle("fault.key") });
      const e = expectError(r, 500, "INTERNAL_ERROR");
      const requestId = r.headers.get("x-request-id");
      expect(e.details).to.deep.equal({ requestId });
      expect(r.text).to.not.match(/workflow_definitions|relation|stack|select|insert|at /i);
      const exported = await request(server.url, `${EXPORT}?all=true`);
      expectError(exported, 500, "INTERNAL_ERROR");
      const fault = server.log.entries().find((x) => x.msg === "fault" && x.requestId === requestId);
      expect(fault).to.include({ level: "error", code: "DATABASE_ERROR" });
      expect((fault as { message: string }).message).to.match(/workflow_definitions|relation/);
      const logged = server.log.entries().find((x) => x.msg === "request" && x.requestId === requestId);
      expect(logged).to.include({ status: 500, code: "INTERNAL_ERROR" });
      expect(server.log.text).to.not.include("fault.key");
    } finally {
      await server.close();
      await db.close();
    }
  });

  it("503 DATABASE_UNAVAILABLE from /healthz and the API when the database does not answer, without its address", async () => {
    const knex: Knex = knexFactory({
      client: "pg",
      connection: "postgres://postgres@127.0.0.1:1/none",
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 5_000,
      // The refused connections are the point of the test; keep knex from printing each one.
      log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined },
    });
    const server = await startTestServer(knex);
    try {
      const health = await request(server.url, "/healthz", { token: null, tenant: null });
      expectError(health, 503, "DATABASE_UNAVAILABLE");
      expect(health.text).to.not.include("127.0.0.1:1");
      const imported = await request(server.url, IMPORT, { body: draftBundle("down.key") });
      expectError(imported, 503, "DATABASE_UNAVAILABLE");
      expect(imported.text).to.not.include("ECONNREFUSED");
      expectError(await request(server.url, `${EXPORT}?all=true`), 503, "DATABASE_UNAVAILABLE");
      expect(server.log.entries().filter((x) => x.msg === "fault" && x.level === "warn")).to.have.length(3);
    } finally {
      await server.close();
      await knex.destroy();
    }
  });
});

describe("HTTP API configuration [postgres]", function () {
  this.timeout(120_000);
  let db: TestDatabase;

  before(async () => {
    db = await createPostgresDatabase();
  });

  after(async () => {
    await db?.close();
  });

  function expectConfigError(fn: () => unknown, pattern: RegExp): Promise<void> {
    return Promise.resolve()
      .then(fn)
      .then(
        () => expect.fail("the server started"),
        (error) => {
          expect(isWorkflowSeederError(error, "SERVER_CONFIG_INVALID"), String(error)).to.equal(true);
          expect((error as Error).message).to.match(pattern);
        },
      );
  }

  it("refuses to start without a token, with a short token, or insecure-local on a non-loopback host", async () => {
    await expectConfigError(() => startServer({ knex: db.knex, port: 0 }), /no API token/);
    await expectConfigError(() => createServer({ knex: db.knex, tokens: [] }), /no API token/);
    await expectConfigError(() => startServer({ knex: db.knex, tokens: [{ token: "short" }], port: 0 }), /at least 16/);
    await expectConfigError(
      () => startServer({ knex: db.knex, insecureLocal: true, host: "0.0.0.0", port: 0 }),
      /loopback/,
    );
    await expectConfigError(
      () => startServer({ knex: db.knex, tokens: [{ token: TOKEN, tenants: ["acme"] }], port: 0 }),
      /UUID/,
    );
  });

  it("--insecure-local on loopback serves the API without a token (the tenant header is still required)", async () => {
    const server = await startTestServer(db.knex, { tokens: [], insecureLocal: true });
    try {
      const r = await request(server.url, IMPORT, { token: null, body: draftBundle("insecure.local") });
      expect(r.status, r.text).to.equal(200);
      expectError(
        await request(server.url, `${EXPORT}?all=true`, { token: null, tenant: null }),
        400,
        "INVALID_TENANT",
      );
    } finally {
      await server.close();
    }
  });

  it("a server without tokens answers 401 to a client that is not on loopback", async function () {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal);
    if (!external) return this.skip();
    // Bound to every interface on purpose (createServer does not know the host); the guard must hold.
    const server = createServer({ knex: db.knex, insecureLocal: true, logStream: new LogCollector() });
    await server.listen({ host: "0.0.0.0", port: 0 });
    try {
      const port = (server.server.address() as { port: number }).port;
      const r = await request(`http://${external.address}:${port}`, `${EXPORT}?all=true`, { token: null });
      expectError(r, 401, "UNAUTHORIZED");
      const local = await request(`http://127.0.0.1:${port}`, "/healthz", { token: null });
      expect(local.status).to.equal(200);
    } finally {
      await server.close();
    }
  });

  it("Expect: 100-continue with a body over the limit: 413 PAYLOAD_TOO_LARGE and no 100 Continue, the body is never sent", async () => {
    const server = await startTestServer(db.knex, { bodyLimit: 2048 });
    try {
      const over = await rawImport(server.url, 4096, { expectContinue: true });
      expect(over).to.include({ continued: false, bodySent: false, status: 413 });
      expect(over.json).to.deep.include({ code: "PAYLOAD_TOO_LARGE", details: { limitBytes: 2048 } });
      // Within the limit, the client is told to go on (and the server reads what it sends).
      const within = await rawImport(server.url, 16, { expectContinue: true });
      expect(within).to.include({ continued: true, bodySent: true, status: 400 });
      expect(within.json?.code).to.equal("INVALID_JSON");
    } finally {
      await server.close();
    }
  });

  it("a body far over the limit without Expect: the client gets the 413 answer, not a broken pipe or a reset", async () => {
    const server = await startTestServer(db.knex, { bodyLimit: 2048 });
    try {
      // Far larger than what the sockets buffer: the client is still writing when the server answers.
      const over = await rawImport(server.url, 32 * 1024 * 1024, { expectContinue: false });
      expect(over.errors).to.deep.equal([]);
      expect(over.status).to.equal(413);
      expect(over.json?.code).to.equal("PAYLOAD_TOO_LARGE");
    } finally {
      await server.close();
    }
  });

  it("honours a smaller body limit", async () => {
    const server = await startTestServer(db.knex, { bodyLimit: 2048 });
    try {
      const e = expectError(
        await request(server.url, IMPORT, { body: `${JSON.stringify(draftBundle("small.limit"))}${" ".repeat(2048)}` }),
        413,
        "PAYLOAD_TOO_LARGE",
      );
      expect(e.details).to.deep.equal({ limitBytes: 2048 });
      const ok = await request(server.url, IMPORT, { body: draftBundle("small.limit") });
      expect(ok.status, ok.text).to.equal(200);
    } finally {
      await server.close();
    }
  });
});
