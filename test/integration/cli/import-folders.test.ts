import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { newTenant } from "../../fixtures/seed-kit.js";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { runCli as cli, humanErrorOf, jsonErrorOf, jsonOf } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";

type Json = Record<string, unknown>;
type ErrorJson = { code: string; message: string; details: Json };

const bundleWith = (...keys: string[]) => makeBundle({ workflows: keys.map((key) => makeWorkflow({ key })) });

describe("CLI: import of folders, and every bad file reported before anything is written", function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let url: string;
  let root: string;

  before(async () => {
    db = await createPostgresDatabase();
    url = db.url as string;
    root = mkdtempSync(join(tmpdir(), "wfs-import-folders-"));
  });

  after(async () => {
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A fresh folder holding the given files (raw text or bytes, or a value written as JSON); nested paths allowed. */
  let folders = 0;
  const folder = (files: Record<string, unknown>): string => {
    const dir = join(root, `f${folders++}`);
    for (const [name, value] of Object.entries(files)) {
      const path = join(dir, name);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, typeof value === "string" || value instanceof Buffer ? value : JSON.stringify(value));
    }
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const keysIn = async (tenant: string): Promise<string[]> =>
    (await db.knex.raw("select key from workflow_definitions where tenant = ? order by key", [tenant])).rows.map(
      (r: { key: string }) => r.key,
    );
  const importInto = (tenant: string, ...args: string[]) =>
    cli(["import", ...args, "--database-url", url, "--tenant", tenant]);

  it("imports every .json bundle of a folder, recursively, in one transaction; other files are ignored", async () => {
    const dir = folder({
      "a.json": bundleWith("folder.a"),
      "nested/b.json": bundleWith("folder.b", "folder.c"),
      "README.md": "# not a bundle",
      "notes.txt": "not a bundle either",
    });
    const tenant = newTenant();
    const body = jsonOf(await importInto(tenant, dir, "--json"));
    expect((body.createdWorkflows as Json[]).map((w) => w.key)).to.deep.equal(["folder.a", "folder.b", "folder.c"]);
    expect(await keysIn(tenant)).to.deep.equal(["folder.a", "folder.b", "folder.c"]);
  });

  it("takes folders and files together", async () => {
    const dir = folder({ "a.json": bundleWith("mixed.a") });
    const file = join(folder({ "b.json": bundleWith("mixed.b") }), "b.json");
    const tenant = newTenant();
    const result = await importInto(tenant, dir, file);
    expect(result.code, result.stderr).to.equal(0);
    expect(await keysIn(tenant)).to.deep.equal(["mixed.a", "mixed.b"]);
  });

  it("reports every bad file of the folder (structure and content problems), each by name, and writes nothing", async () => {
    const badDefinition = makeWorkflow({ key: "bad.definition", definition: makeDefinition({ steps: "no" as never }) });
    const missingAction = makeWorkflow({
      key: "bad.dependency",
      definition: makeDefinition({
        steps: [{ id: "x", type: "action.call", config: { actionId: "no.such.action", version: 1 } }],
      }),
      actions: [{ actionId: "no.such.action", version: 1 }],
      nodeTypes: ["action.call"],
    });
    const dir = folder({
      "1-good.json": bundleWith("good.one"),
      "2-version.json": { ...bundleWith("bad.version"), formatVersion: 2 },
      "3-definition.json": makeBundle({ workflows: [badDefinition] }),
      "4-dependency.json": makeBundle({ workflows: [missingAction] }),
      "5-good.json": bundleWith("good.two"),
    });
    const tenant = newTenant();
    const error = jsonErrorOf(await importInto(tenant, dir, "--json"), "UNSUPPORTED_FORMAT_VERSION");
    const issues = error.issues as ErrorJson[];
    expect(issues.map((i) => [i.code, i.details.file])).to.deep.equal([
      ["UNSUPPORTED_FORMAT_VERSION", join(dir, "2-version.json")],
      ["INVALID_DEFINITION", join(dir, "3-definition.json")],
      ["MISSING_DEPENDENCIES", join(dir, "4-dependency.json")],
    ]);
    expect(await keysIn(tenant)).to.deep.equal([]);

    const human = humanErrorOf(await importInto(tenant, dir), "UNSUPPORTED_FORMAT_VERSION");
    for (const f of ["2-version.json", "3-definition.json", "4-dependency.json"])
      expect(human).to.include(join(dir, f));
    for (const code of ["INVALID_DEFINITION", "MISSING_DEPENDENCIES"]) expect(human).to.include(code);
    expect(await keysIn(tenant)).to.deep.equal([]);
  });

  it("a file that cannot be read or parsed is reported with the problems of the other files, in file order", async () => {
    const dir = folder({
      "1-broken.json": '{"format": "alga-psa.workflow-bundle",',
      "2-good.json": bundleWith("good.three"),
      "3-version.json": { ...bundleWith("bad.version"), formatVersion: 3 },
      "4-not-utf8.json": Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    });
    const tenant = newTenant();
    const error = jsonErrorOf(await importInto(tenant, dir, "--json"), "INVALID_JSON");
    const issues = error.issues as ErrorJson[];
    expect(issues.map((i) => [i.code, i.details.file])).to.deep.equal([
      ["INVALID_JSON", join(dir, "1-broken.json")],
      ["UNSUPPORTED_FORMAT_VERSION", join(dir, "3-version.json")],
      ["INVALID_JSON", join(dir, "4-not-utf8.json")],
    ]);
    expect(await keysIn(tenant)).to.deep.equal([]);
  });

  it("a key in two files of the folder is a duplicate; nothing is written", async () => {
    const dir = folder({ "a.json": bundleWith("twice.key"), "b.json": bundleWith("twice.key", "once.key") });
    const tenant = newTenant();
    const error = jsonErrorOf(await importInto(tenant, dir, "--json"), "DUPLICATE_WORKFLOW_KEY");
    expect(error.details).to.include({ key: "twice.key", file: join(dir, "b.json") });
    expect(await keysIn(tenant)).to.deep.equal([]);
  });

  describe("a seeds folder (files named like seeds) is read as `up` leaves it", () => {
    const renamed = (key: string, name: string) => {
      const workflow = makeWorkflow({ key });
      return { ...workflow, metadata: { ...(workflow.metadata as Json), name } };
    };
    const seeds = () =>
      folder({
        "2026-01-01T00.00.00.first.bundle.json": makeBundle({
          workflows: [makeWorkflow({ key: "seed.changed" }), makeWorkflow({ key: "seed.kept" })],
        }),
        "2026-01-02T00.00.00.second.bundle.json": makeBundle({
          workflows: [renamed("seed.changed", "Changed by the second seed"), makeWorkflow({ key: "seed.added" })],
        }),
        "README.md": "seeds of this project",
      });

    it("a later seed's version of a key wins, as `up` and `verify` read the folder; no duplicate key", async () => {
      const dir = seeds();
      const tenant = newTenant();
      const body = jsonOf(await importInto(tenant, dir, "--json"));
      expect((body.createdWorkflows as Json[]).map((w) => w.key)).to.have.members([
        "seed.kept",
        "seed.changed",
        "seed.added",
      ]);
      const rows = await db.knex.raw("select key, name from workflow_definitions where tenant = ? order by key", [
        tenant,
      ]);
      expect(rows.rows).to.deep.equal([
        { key: "seed.added", name: "Workflow seed.added" },
        { key: "seed.changed", name: "Changed by the second seed" },
        { key: "seed.kept", name: "Workflow seed.kept" },
      ]);
    });

    it("every seed is checked whole first: a bad superseded version is reported at its own place in its file", async () => {
      const bad = makeWorkflow({ key: "seed.changed" });
      const broken = { ...bad, draft: { ...(bad.draft as Json), draftVersion: "two" } };
      const dir = folder({
        "2026-01-01T00.00.00.first.bundle.json": makeBundle({
          workflows: [makeWorkflow({ key: "seed.kept" }), broken],
        }),
        "2026-01-02T00.00.00.second.bundle.json": makeBundle({ workflows: [makeWorkflow({ key: "seed.changed" })] }),
        "2026-01-03T00.00.00.third.bundle.json": "{ not json",
      });
      const tenant = newTenant();
      const error = jsonErrorOf(await importInto(tenant, dir, "--json"), "SCHEMA_VALIDATION_FAILED");
      const issues = error.issues as ErrorJson[];
      expect(issues.map((i) => [i.code, i.details.file])).to.deep.equal([
        ["SCHEMA_VALIDATION_FAILED", join(dir, "2026-01-01T00.00.00.first.bundle.json")],
        ["INVALID_JSON", join(dir, "2026-01-03T00.00.00.third.bundle.json")],
      ]);
      expect(JSON.stringify(issues[0]?.details)).to.include("/workflows/1/draft/draftVersion");
      expect(await keysIn(tenant)).to.deep.equal([]);
    });

    it("a key twice in one seed stays a duplicate", async () => {
      const dir = folder({
        "2026-01-01T00.00.00.twice.bundle.json": makeBundle({
          workflows: [makeWorkflow({ key: "seed.twice" }), makeWorkflow({ key: "seed.twice" })],
        }),
      });
      const tenant = newTenant();
      const error = jsonErrorOf(await importInto(tenant, dir, "--json"), "DUPLICATE_WORKFLOW_KEY");
      expect(error.details).to.include({ key: "seed.twice" });
      expect(await keysIn(tenant)).to.deep.equal([]);
    });

    it("a misnamed .json file in a seeds folder is INVALID_SEED_NAME, as `up` says", async () => {
      const dir = seeds();
      writeFileSync(join(dir, "extra.json"), JSON.stringify(bundleWith("seed.extra")));
      const error = jsonErrorOf(await importInto(newTenant(), dir, "--json"), "INVALID_SEED_NAME");
      expect(error.details).to.deep.include({ files: ["extra.json"] });
    });
  });

  it("a folder without a .json file is a usage error", async () => {
    const dir = folder({ "README.md": "nothing to import" });
    const error = jsonErrorOf(await importInto(newTenant(), dir, "--json"), "INVALID_ARGUMENT", 2);
    expect(error.details).to.include({ option: "files", received: dir });
  });

  it("--each with a folder: one transaction per file, a bad file fails alone", async () => {
    const dir = folder({
      "a.json": bundleWith("each.a"),
      "b.json": { ...bundleWith("each.b"), formatVersion: 2 },
      "c.json": bundleWith("each.c"),
    });
    const tenant = newTenant();
    const result = await importInto(tenant, dir, "--each", "--json");
    expect(result.code).to.equal(1);
    const body = jsonOf(result) as { files: { file: string; ok: boolean }[] };
    expect(body.files.map((f) => [f.file, f.ok])).to.deep.equal([
      [join(dir, "a.json"), true],
      [join(dir, "b.json"), false],
      [join(dir, "c.json"), true],
    ]);
    expect(await keysIn(tenant)).to.deep.equal(["each.a", "each.c"]);
  });
});
