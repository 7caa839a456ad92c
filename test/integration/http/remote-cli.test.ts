import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { fixtureFile, fixtureSet } from "../../support/bundle-sets.js";
import { draftBundle } from "../../support/bundles.js";
import { type CliProcess, parseJsonOutput, runCli, startCli } from "../../support/cli.js";
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

const fixtures = fixtureSet();
const SIMPLE = fixtureFile("hello").path;
const SIMPLE_KEY = "fx.ticket-greeting";
const MISSING_DEPS = fixtures.path(fixtures.missingDependencyFiles[0]?.file as string);
const BROKEN_JSON = fixtures.path(fixtures.invalidJson.file);
const PINNED = "2026-03-04T05:06:07.000Z";

function tenant(n: number): string {
  return `e0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** Replaces workflow ids and the given tenants so a local and a remote run can be compared. */
function normalize(text: string, tenants: readonly string[]): string {
  let out = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) =>
    tenants.includes(id) ? "<tenant>" : "<id>",
  );
  for (const t of tenants) out = out.replaceAll(t, "<tenant>");
  return out;
}

describe("CLI remote mode: import|export --server [postgres]", function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let server: TestServer;
  let dir: string;
  let tokenFile: string;
  let restrictedTokenFile: string;

  before(async () => {
    db = await createPostgresDatabase();
    server = await startTestServer(db.knex);
    dir = await mkdtemp(join(tmpdir(), "wfs-http-cli-"));
    tokenFile = join(dir, "token");
    await writeFile(tokenFile, `# the CI token\n${TOKEN}\n`);
    restrictedTokenFile = join(dir, "token-a");
    await writeFile(restrictedTokenFile, `${TENANT_A_TOKEN} ${TENANT_A}\n`);
  });

  after(async () => {
    await server?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const remote = (args: string[], env: Record<string, string | undefined> = {}) =>
    runCli([...args, "--server", server.url, "--token-file", tokenFile], { env });
  const local = (args: string[]) => runCli([...args, "--database-url", db.url as string]);

  it("import: same JSON summary, human summary and exit code as a local import", async () => {
    const [r, l] = [tenant(1), tenant(2)];
    const viaApi = await remote(["import", SIMPLE, "--tenant", r, "--json"]);
    const viaDb = await local(["import", SIMPLE, "--tenant", l, "--json"]);
    expect(viaApi.code, viaApi.stderr).to.equal(0);
    expect(viaDb.code, viaDb.stderr).to.equal(0);
    expect((parseJsonOutput(viaApi).createdWorkflows as { key: string }[]).map((w) => w.key)).to.deep.equal([
      SIMPLE_KEY,
    ]);
    expect(normalize(viaApi.stdout, [r])).to.equal(normalize(viaDb.stdout, [l]));
    const row = await db.knex("workflow_definitions").where({ tenant: r, key: SIMPLE_KEY }).first();
    expect(row).to.not.equal(undefined);

    const humanApi = await remote(["import", SIMPLE, "--tenant", r, "--on-conflict", "update"]);
    const humanDb = await local(["import", SIMPLE, "--tenant", l, "--on-conflict", "update"]);
    expect(humanApi.code).to.equal(0);
    // The same bundle again: nothing to update, on either side.
    expect(humanApi.stdout).to.include(`unchanged  ${SIMPLE_KEY}`);
    expect(normalize(humanApi.stdout, [r])).to.equal(normalize(humanDb.stdout, [l]));
    expect(humanApi.stderr).to.equal(humanDb.stderr);
  });

  it("import: a conflict is exit 1 with the same WORKFLOW_KEY_CONFLICT error", async () => {
    const [r, l] = [tenant(1), tenant(2)];
    const viaApi = await remote(["import", SIMPLE, "--tenant", r, "--json"]);
    const viaDb = await local(["import", SIMPLE, "--tenant", l, "--json"]);
    expect(viaApi.code).to.equal(1);
    expect(viaDb.code).to.equal(1);
    expect(parseJsonOutput(viaApi).error?.code).to.equal("WORKFLOW_KEY_CONFLICT");
    expect(normalize(viaApi.stdout, [r])).to.equal(normalize(viaDb.stdout, [l]));
    const text = await remote(["import", SIMPLE, "--tenant", r]);
    expect(text.code).to.equal(1);
    expect(text.stderr).to.match(/^error \[WORKFLOW_KEY_CONFLICT\]/);
    expect(text.stdout).to.equal("");
  });

  it("import: bundle errors are the same as a local import's, file name included", async () => {
    const invalid = join(dir, "invalid.json");
    await writeFile(invalid, JSON.stringify({ ...draftBundle("x"), workflows: [{ key: "x" }] }));
    for (const [file, code] of [
      [invalid, "SCHEMA_VALIDATION_FAILED"],
      [MISSING_DEPS, "MISSING_DEPENDENCIES"],
      [BROKEN_JSON, "INVALID_JSON"],
    ] as const) {
      const viaApi = await remote(["import", file, "--tenant", tenant(3), "--json"]);
      const viaDb = await local(["import", file, "--tenant", tenant(3), "--json"]);
      expect(viaApi.code, file).to.equal(1);
      expect(parseJsonOutput(viaApi).error?.code).to.equal(code);
      expect(parseJsonOutput(viaApi).error?.details.file).to.equal(file);
      expect(viaApi.stdout).to.equal(viaDb.stdout);
    }
    expect(await db.knex("workflow_definitions").where({ tenant: tenant(3) })).to.have.length(0);
  });

  it("import --each: one request per file, failures listed, exit 1", async () => {
    const good = join(dir, "each-good.json");
    await writeFile(good, JSON.stringify(draftBundle("each.good")));
    const r = await remote(["import", good, MISSING_DEPS, "--each", "--tenant", tenant(4), "--json"]);
    expect(r.code).to.equal(1);
    const out = parseJsonOutput(r) as unknown as { error: { code: string }; files: { file: string; ok: boolean }[] };
    expect(out.error.code).to.equal("MISSING_DEPENDENCIES");
    expect(out.files.map((f) => [f.file, f.ok])).to.deep.equal([
      [good, true],
      [MISSING_DEPS, false],
    ]);
    expect(
      await db
        .knex("workflow_definitions")
        .where({ tenant: tenant(4) })
        .pluck("key"),
    ).to.deep.equal(["each.good"]);
  });

  it("export: the same bytes as a local export, on stdout and with --out", async () => {
    const t = tenant(1);
    const viaApi = await remote(["export", "--all", "--tenant", t, "--exported-at", PINNED]);
    const viaDb = await local(["export", "--all", "--tenant", t, "--exported-at", PINNED]);
    expect(viaApi.code, viaApi.stderr).to.equal(0);
    expect(viaApi.stdout).to.equal(viaDb.stdout);
    expect(JSON.parse(viaApi.stdout).workflows.map((w: { key: string }) => w.key)).to.deep.equal([SIMPLE_KEY]);
    const byKey = await remote(["export", "--key", SIMPLE_KEY, "--tenant", t, "--exported-at", PINNED]);
    expect(byKey.stdout).to.equal(viaDb.stdout);
    const out = join(dir, "exported.json");
    const toFile = await remote(["export", "--all", "--tenant", t, "--exported-at", PINNED, "--out", out, "--json"]);
    expect(toFile.code, toFile.stderr).to.equal(0);
    expect(parseJsonOutput(toFile)).to.deep.equal({ file: out, workflows: [SIMPLE_KEY] });
    expect(await readFile(out, "utf8")).to.equal(viaDb.stdout);
  });

  it("export: an unknown key is exit 1 with the same WORKFLOW_NOT_FOUND error", async () => {
    const viaApi = await remote(["export", "--key", "no.such", "--tenant", tenant(1), "--json"]);
    const viaDb = await local(["export", "--key", "no.such", "--tenant", tenant(1), "--json"]);
    expect(viaApi.code).to.equal(1);
    expect(parseJsonOutput(viaApi).error?.code).to.equal("WORKFLOW_NOT_FOUND");
    expect(viaApi.stdout).to.equal(viaDb.stdout);
  });

  it("takes the token from WORKFLOW_SEEDER_TOKEN; no token is 401, another tenant's token is 403", async () => {
    const base = ["export", "--all", "--tenant", tenant(1), "--server", `${server.url}/`, "--json"];
    const fromEnv = await runCli(base, { env: { WORKFLOW_SEEDER_TOKEN: TOKEN } });
    expect(fromEnv.code, fromEnv.stderr).to.equal(0);
    const none = await runCli(base);
    expect(none.code).to.equal(1);
    expect(parseJsonOutput(none).error?.code).to.equal("UNAUTHORIZED");
    const restricted = await runCli([...base, "--token-file", restrictedTokenFile]);
    expect(restricted.code).to.equal(1);
    expect(parseJsonOutput(restricted).error).to.deep.include({ code: "FORBIDDEN" });
  });

  it("a missing or wrong token: exit 1, UNAUTHORIZED saying which option or variable carries the token, no stack", async () => {
    const wrongFile = join(dir, "wrong-token");
    await writeFile(wrongFile, "not-the-token-of-this-server-0000\n");
    const cases = [
      { args: ["export", "--all"], env: {} },
      { args: ["export", "--all"], env: { WORKFLOW_SEEDER_TOKEN: "not-the-token-of-this-server-0000" } },
      { args: ["import", SIMPLE, "--token-file", wrongFile], env: {} },
    ];
    for (const c of cases) {
      const run = await runCli([...c.args, "--tenant", tenant(9), "--server", server.url], { env: c.env });
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stdout).to.equal("");
      expect(run.stderr).to.match(/^error \[UNAUTHORIZED\]: /);
      expect(run.stderr).to.contain("--token-file").and.contain("WORKFLOW_SEEDER_TOKEN");
      // The HTTP wording (headers to send) is the server's, not the CLI user's.
      expect(run.stderr).to.not.contain("Authorization: Bearer");
      expect(run.stderr).to.not.match(/^\s+at /m);
      const json = await runCli([...c.args, "--tenant", tenant(9), "--server", server.url, "--json"], { env: c.env });
      expect(parseJsonOutput(json).error?.message).to.contain("--token-file");
    }
  });

  it("usage errors: a bad tenant (exit 2), several files without --each (exit 2), --catalog (exit 2)", async () => {
    const badTenant = await remote(["export", "--all", "--tenant", "acme", "--json"]);
    expect(badTenant.code).to.equal(2);
    expect(parseJsonOutput(badTenant).error?.code).to.equal("INVALID_TENANT");
    const two = await remote(["import", SIMPLE, MISSING_DEPS, "--tenant", tenant(5), "--json"]);
    expect(two.code).to.equal(2);
    expect(parseJsonOutput(two).error?.details.option).to.equal("--server");
    const catalog = await remote(["import", SIMPLE, "--tenant", tenant(5), "--catalog", SIMPLE, "--json"]);
    expect(catalog.code).to.equal(2);
    expect(parseJsonOutput(catalog).error?.details.option).to.equal("--catalog");
    expect(await db.knex("workflow_definitions").where({ tenant: tenant(5) })).to.have.length(0);
  });

  it("a server that does not answer is exit 1 REMOTE_UNAVAILABLE", async () => {
    const r = await runCli(["export", "--all", "--tenant", tenant(1), "--server", "http://127.0.0.1:1", "--json"], {
      env: { WORKFLOW_SEEDER_TOKEN: TOKEN },
    });
    expect(r.code).to.equal(1);
    expect(parseJsonOutput(r).error?.code).to.equal("REMOTE_UNAVAILABLE");
  });
});

/** Starts `workflow-seeder serve --json` and waits for the URL it prints. */
async function startServe(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ url: string; child: CliProcess["child"]; stderr: () => string; exited: Promise<number | null> }> {
  const serve = startCli(["serve", "--port", "0", "--json", ...args], { env });
  const [, url] = await serve.waitForStdout(/"url": "([^"]+)"/, 120_000);
  return { url: url as string, child: serve.child, stderr: serve.stderr, exited: serve.exited.then((r) => r.code) };
}

describe("CLI serve [postgres]", function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    db = await createPostgresDatabase();
    dir = await mkdtemp(join(tmpdir(), "wfs-serve-"));
  });

  after(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses to start without a token, or with --insecure-local on a non-loopback host", async () => {
    const url = db.url as string;
    const none = await runCli(["serve", "--database-url", url, "--json"]);
    expect(none.code).to.equal(1);
    expect(parseJsonOutput(none).error?.code).to.equal("SERVER_CONFIG_INVALID");
    const exposed = await runCli(["serve", "--insecure-local", "--host", "0.0.0.0", "--database-url", url]);
    expect(exposed.code).to.equal(1);
    expect(exposed.stderr).to.match(/SERVER_CONFIG_INVALID.*loopback/s);
    const limit = await runCli(["serve", "--body-limit", "lots", "--database-url", url, "--json"], {
      env: { WORKFLOW_SEEDER_API_TOKENS: TOKEN },
    });
    expect(limit.code).to.equal(2);
    expect(parseJsonOutput(limit).error?.details.option).to.equal("--body-limit");
  });

  it("rejects a token file with a bad line without printing any token", async () => {
    const file = join(dir, "bad-tokens");
    await writeFile(file, `${TOKEN}\n${TENANT_A_TOKEN} not-a-tenant\nshort\n`);
    const r = await runCli(["serve", "--token-file", file, "--database-url", db.url as string]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("SERVER_CONFIG_INVALID");
    expect(r.stderr).to.include("line 2").and.include("line 3");
    expect(r.stderr).to.not.include(TOKEN).and.not.include(TENANT_A_TOKEN);
  });

  it("serves until SIGTERM with tokens from a file; logs JSON lines without tokens; exit 0", async () => {
    const file = join(dir, "tokens");
    await writeFile(file, `# admin\n${TOKEN}\n# tenant A only\n${TENANT_A_TOKEN} ${TENANT_A}\n`);
    const serve = await startServe(["--token-file", file, "--database-url", db.url as string], {});
    try {
      expect(serve.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await request(serve.url, "/healthz", { token: null, tenant: null })).status).to.equal(200);
      const imported = await request(serve.url, "/api/workflow-definitions/import", {
        token: TENANT_A_TOKEN,
        body: draftBundle("serve.key"),
      });
      expect(imported.status, imported.text).to.equal(200);
      const forbidden = await request(serve.url, "/api/workflow-definitions/export?all=true", {
        token: TENANT_A_TOKEN,
        tenant: TENANT_B,
      });
      expect(forbidden.status).to.equal(403);
      const viaCli = await runCli(["export", "--all", "--tenant", TENANT_A, "--server", serve.url], {
        env: { WORKFLOW_SEEDER_TOKEN: TOKEN },
      });
      expect(viaCli.code, viaCli.stderr).to.equal(0);
      expect(JSON.parse(viaCli.stdout).workflows.map((w: { key: string }) => w.key)).to.deep.equal(["serve.key"]);
    } finally {
      serve.child.kill("SIGTERM");
    }
    expect(await serve.exited).to.equal(0);
    const lines = serve
      .stderr()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { msg: string; status?: number; method?: string; path?: string });
    expect(lines[0]).to.include({ msg: "listening" });
    expect(lines.at(-1)).to.include({ msg: "closed" });
    expect(lines.filter((l) => l.msg === "request").map((l) => l.status)).to.deep.equal([200, 200, 403, 200]);
    expect(serve.stderr()).to.not.include(TOKEN).and.not.include(TENANT_A_TOKEN).and.not.include("serve.key");
  });
});
