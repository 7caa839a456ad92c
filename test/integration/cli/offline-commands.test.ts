import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { fixtureFile, fixtureSet, itEachBundleSet } from "../../support/bundle-sets.js";
import { makeBundle, makeWorkflow } from "../../support/bundles.js";
import { independentCanonical } from "../../support/canonical.js";
import { runCli as cli, humanErrorOf, jsonErrorOf, jsonOf } from "../../support/cli.js";

type Json = Record<string, unknown>;

describe("CLI: offline commands (validate, fmt, schema) and the output contract", function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wfs-cli-offline-"));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    return path;
  };

  describe("exit codes and output channels", () => {
    it("0 for success, with the verdicts on stdout and nothing on stderr", async () => {
      const file = write("ok.json", makeBundle());
      const result = await cli(["validate", file]);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.equal(`ok    ${file} (1 workflow)\n1 of 1 file valid\n`);
      expect(result.stderr).to.equal("");
    });

    it("1 for a validation failure: the verdict with its code on stdout (a report, not an error of the command), no stack trace", async () => {
      const file = write("bad.json", { ...makeBundle(), formatVersion: 2 });
      const result = await cli(["validate", file]);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/^FAIL {2}\[UNSUPPORTED_FORMAT_VERSION\] .*formatVersion 1/);
      expect(result.stdout)
        .to.include("0 of 1 file valid")
        .and.not.match(/^\s+at /m);
      expect(result.stderr).to.equal("");
    });

    it("1 for an error that ends the command: on stderr, nothing on stdout", async () => {
      const file = write("ok.json", makeBundle());
      const stderr = humanErrorOf(await cli(["validate", file, "--catalog", join(dir, "nope.json")]), "FILE_NOT_FOUND");
      expect(stderr).to.match(/^error \[FILE_NOT_FOUND\]: .*nope\.json/);
    });

    for (const [label, args] of [
      ["an unknown command", ["frobnicate"]],
      ["a missing argument", ["validate"]],
      ["an unknown option", ["validate", "x.json", "--frobnicate"]],
      ["an invalid choice", ["import", "x.json", "--on-conflict", "merge"]],
      ["a tenant that is not a UUID", ["export", "--all", "--tenant", "acme"]],
      ["an invalid --exported-at", ["export", "--all", "--exported-at", "yesterday"]],
      ["export without a selection", ["export"]],
    ] as const) {
      it(`2 for ${label}, in human and in --json mode`, async () => {
        const human = await cli([...args]);
        expect(human.code, human.stderr).to.equal(2);
        expect(human.stdout).to.equal("");
        expect(human.stderr).to.not.match(/^\s+at /m);
        const json = await cli([...args, "--json"]);
        const error = jsonErrorOf(json, (jsonOf(json).error as Json).code as string, 2);
        expect(["USAGE_ERROR", "INVALID_ARGUMENT", "INVALID_TENANT"]).to.include(error.code);
      });
    }

    it("--json prints exactly one document with {error: {code, message, details}} on failure", async () => {
      const missing = join(dir, "missing.json");
      const error = jsonErrorOf(await cli(["validate", missing, "--json"]), "FILE_NOT_FOUND");
      expect(error.details).to.deep.equal({ file: missing });
    });
  });

  describe("validate", () => {
    it("an empty folder is a usage error, not '0 of 0 files valid' (a typo in CI must not pass)", async () => {
      const empty = mkdtempSync(join(dir, "empty-"));
      writeFileSync(join(empty, "README.md"), "no bundle here");
      const error = jsonErrorOf(await cli(["validate", empty, "--json"]), "INVALID_ARGUMENT", 2);
      expect(error.details).to.include({ option: "files", received: empty });
    });

    it("'-' reads the bundle from stdin (it was dropped: '0 of 0 files valid')", async () => {
      const ok = await cli(["validate", "-", "--json"], { input: JSON.stringify(makeBundle()) });
      expect(ok.code, ok.stderr).to.equal(0);
      expect((jsonOf(ok).files as Json[]).map((f) => [f.file, f.ok])).to.deep.equal([["-", true]]);
      const bad = await cli(["validate", "-"], { input: JSON.stringify({ ...makeBundle(), formatVersion: 2 }) });
      expect(bad.code).to.equal(1);
      expect(bad.stdout).to.include("[UNSUPPORTED_FORMAT_VERSION]").and.include("0 of 1 file valid");
    });

    itEachBundleSet("gives the expected verdict on every file of the set in one run", async (set) => {
      const result = await cli(["validate", set.dir, "--json"]);
      expect(result.code).to.equal(1);
      const body = jsonOf(result);
      const files = body.files as { file: string; ok: boolean; issues: Json[] }[];
      expect(files.map((f) => f.file.split("/").pop())).to.deep.equal(set.files);
      for (const f of files) {
        const name = f.file.split("/").pop() as string;
        const codes = f.issues.map((i) => i.code);
        const missing = set.missingDependencyFiles.find((m) => m.file === name);
        if (name === set.invalidJson.file) {
          expect(codes, name).to.deep.equal(["INVALID_JSON"]);
          const { line, column } = set.invalidJson;
          expect(f.issues[0]?.details).to.deep.include({ line, column });
        } else if (missing) {
          expect(codes, name).to.deep.equal(["MISSING_DEPENDENCIES"]);
          expect(((f.issues[0] as Json).details as Json).missingSchemaRefs).to.deep.equal(missing.schemaRefs);
        } else expect(f.ok, `${name}: ${JSON.stringify(f.issues)}`).to.equal(true);
      }
      expect((body.error as Json).code).to.be.oneOf(["INVALID_JSON", "MISSING_DEPENDENCIES"]);
    });

    itEachBundleSet(
      "exits 0 on the valid files, and on the others with a catalog that registers what they lack",
      async (set) => {
        const valid = set.validFiles.map((f) => set.path(f));
        expect((await cli(["validate", ...valid])).code).to.equal(0);
        const lacking = set.missingDependencyFiles;
        const catalog = write(`catalog-${set.name.replaceAll(" ", "-")}.json`, {
          actions: lacking.flatMap((m) => m.actions),
          nodeTypes: lacking.flatMap((m) => m.nodeTypes),
          schemaRefs: lacking.flatMap((m) => m.schemaRefs),
        });
        const files = lacking.map((m) => set.path(m.file));
        const result = await cli(["validate", ...files, "--catalog", catalog, "--json"]);
        expect(result.code, result.stdout).to.equal(0);
        expect(jsonOf(result).ok).to.equal(true);
      },
    );

    it("reports an invalid catalog file as INVALID_CATALOG", async () => {
      const catalog = write("bad-catalog.json", { actions: ["no-version"] });
      const error = jsonErrorOf(
        await cli(["validate", write("v.json", makeBundle()), "--catalog", catalog, "--json"]),
        "INVALID_CATALOG",
      );
      expect((error.details as Json).file).to.equal(catalog);
    });

    it("checks definitions and dependencies offline: INVALID_DEFINITION and an invalid-draft warning", async () => {
      const w = makeWorkflow({ key: "cli.def" });
      (((w.publishedVersions as Json[])[0] as Json).definition as Json).version = 0;
      const bad = write("def.json", makeBundle({ workflows: [w] }));
      const error = jsonErrorOf(await cli(["validate", bad, "--json"]), "INVALID_DEFINITION");
      expect(error.details).to.deep.include({ workflowKey: "cli.def", version: 1 });
      const draft = makeWorkflow({ key: "cli.draft" });
      ((draft.draft as Json).definition as Json).steps = "not steps";
      const result = await cli(["validate", write("draft.json", makeBundle({ workflows: [draft] })), "--json"]);
      expect(result.code).to.equal(0);
      const files = jsonOf(result).files as { file: string; warnings: Json[] }[];
      expect(files[0]?.warnings.map((x) => x.code)).to.deep.equal(["INVALID_DRAFT_DEFINITION"]);
      // For people: the verdict on stdout, the warning (naming the file) on stderr.
      const human = await cli(["validate", files[0]?.file as string]);
      expect(human.code).to.equal(0);
      expect(human.stdout).to.match(/^ok {4}\S+draft\.json \(1 workflow\)\n1 of 1 file valid\n$/);
      expect(human.stderr).to.match(/^warning \[INVALID_DRAFT_DEFINITION\] \S+draft\.json: workflow "cli\.draft"/);
    });

    it("lists SCHEMA_VALIDATION_FAILED problems with JSON pointers", async () => {
      const bundle = makeBundle();
      delete ((bundle.workflows as Json[])[0] as Json).draft;
      (bundle as Json).extra = 1;
      const error = jsonErrorOf(
        await cli(["validate", write("schema.json", bundle), "--json"]),
        "SCHEMA_VALIDATION_FAILED",
      );
      expect(((error.details as Json).errors as Json[]).map((e) => e.path)).to.have.members([
        "/workflows/0/draft",
        "/extra",
      ]);
    });
  });

  describe("fmt", () => {
    let fmtDir: string;

    beforeEach(() => {
      fmtDir = mkdtempSync(join(dir, "fmt-"));
    });

    it("--check lists the files that are not canonical, exits 1 and writes nothing", async () => {
      const canonicalFile = join(fmtDir, "a-canonical.json");
      writeFileSync(canonicalFile, independentCanonical(makeBundle()));
      const compact = join(fmtDir, "b-compact.json");
      writeFileSync(compact, JSON.stringify(makeBundle()));
      mkdirSync(join(fmtDir, "nested"));
      const nested = join(fmtDir, "nested", "c.json");
      writeFileSync(nested, `${independentCanonical(makeBundle()).trimEnd()}`);
      const before = readFileSync(compact, "utf8");
      const error = jsonErrorOf(await cli(["fmt", fmtDir, "--check", "--json"]), "NOT_CANONICAL");
      expect((error.details as Json).files).to.deep.equal([compact, nested]);
      expect(readFileSync(compact, "utf8")).to.equal(before);
      // For people: the files on stdout, one a line (`fmt --check | xargs ...`); the error on stderr.
      const human = await cli(["fmt", fmtDir, "--check"]);
      expect(human.code).to.equal(1);
      expect(human.stdout).to.equal(`${compact}\n${nested}\n`);
      expect(human.stderr)
        .to.match(/^error \[NOT_CANONICAL\]/)
        .and.include("b-compact.json");
    });

    it("rewrites files in canonical form, after which --check passes", async () => {
      const file = join(fmtDir, "x.json");
      const bundle = makeBundle({ workflows: [makeWorkflow({ key: "fmt.rewrite" })] });
      // Keys reversed at every level, compact: everything the canonical form changes.
      const reversed = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(reversed)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(
                Object.entries(v)
                  .reverse()
                  .map(([k, x]) => [k, reversed(x)]),
              )
            : v;
      writeFileSync(file, JSON.stringify(reversed(bundle)));
      const rewrite = await cli(["fmt", fmtDir]);
      expect(rewrite.code).to.equal(0);
      expect(rewrite.stdout).to.equal("1 of 1 file rewritten in canonical form\n");
      expect(rewrite.stderr).to.equal("");
      expect(readFileSync(file, "utf8")).to.equal(independentCanonical(bundle));
      const check = await cli(["fmt", fmtDir, "--check", "--json"]);
      expect(check.code).to.equal(0);
      expect(jsonOf(check)).to.deep.equal({ files: 1, notCanonical: [] });
      expect((await cli(["fmt", fmtDir, "--check"])).stdout).to.equal("1 file in canonical form\n");
    });

    it("a JSON file that is not a workflow bundle is an error with validate's code, exit 1, and nothing is rewritten", async () => {
      const array = join(fmtDir, "a-array.json");
      writeFileSync(array, "[]");
      const other = join(fmtDir, "b-other.json");
      writeFileSync(other, '{"b": 1, "a": 2}');
      const compact = join(fmtDir, "c-bundle.json");
      writeFileSync(compact, JSON.stringify(makeBundle()));
      const before = new Map([array, other, compact].map((f) => [f, readFileSync(f, "utf8")]));
      const codesOf = (e: Json) => ((e.issues ?? [e]) as Json[]).map((i) => [i.code, (i.details as Json).file]);
      const validated = await cli(["validate", array, other, "--json"]);
      const validateCodes = ((jsonOf(validated).files as Json[]).slice(0, 2) as { issues: Json[] }[]).flatMap((f) =>
        f.issues.map((issue) => [issue.code, (issue.details as Json).file]),
      );
      expect(validateCodes).to.deep.equal([
        ["INVALID_BUNDLE", array],
        ["UNSUPPORTED_FORMAT", other],
      ]);

      const rewrite = jsonErrorOf(await cli(["fmt", fmtDir, "--json"]), "INVALID_BUNDLE");
      expect(codesOf(rewrite)).to.deep.equal(validateCodes);
      const human = humanErrorOf(await cli(["fmt", array]), "INVALID_BUNDLE");
      expect(human).to.not.include("rewritten");
      // --check: an error, not "not canonical"; the files to rewrite are still named, after it.
      const check = jsonErrorOf(await cli(["fmt", fmtDir, "--check", "--json"]), "INVALID_BUNDLE");
      expect(codesOf(check)).to.deep.equal([...validateCodes, ["NOT_CANONICAL", undefined]]);
      const checkOne = jsonErrorOf(await cli(["fmt", "--check", other, "--json"]), "UNSUPPORTED_FORMAT");
      expect(checkOne.issues).to.equal(undefined);
      for (const [f, text] of before) expect(readFileSync(f, "utf8"), f).to.equal(text);
    });

    it("an empty folder or '-' is a usage error, not '0 files in canonical form'; --stdout - reads stdin", async () => {
      const empty = mkdtempSync(join(dir, "empty-"));
      for (const args of [
        ["fmt", empty, "--check"],
        ["fmt", empty],
        ["fmt", "-", "--check"],
      ]) {
        const error = jsonErrorOf(await cli([...args, "--json"]), "INVALID_ARGUMENT", 2);
        expect(error.details).to.include({ option: "paths" });
      }
      const result = await cli(["fmt", "--stdout", "-"], { input: JSON.stringify({ b: 1, a: 2 }) });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('{\n  "a": 2,\n  "b": 1\n}\n');
    });

    it("a canonical file behind a byte order mark is not canonical (no BOM); fmt removes the mark", async () => {
      const file = join(fmtDir, "bom.json");
      const canonical = independentCanonical(makeBundle());
      writeFileSync(file, `\ufeff${canonical}`);
      const error = jsonErrorOf(await cli(["fmt", fmtDir, "--check", "--json"]), "NOT_CANONICAL");
      expect((error.details as Json).files).to.deep.equal([file]);
      const rewrite = await cli(["fmt", fmtDir]);
      expect(rewrite.stdout).to.equal("1 of 1 file rewritten in canonical form\n");
      expect(readFileSync(file, "utf8")).to.equal(canonical);
      expect((await cli(["fmt", fmtDir, "--check"])).code).to.equal(0);
    });

    itEachBundleSet(
      "rewrites every bundle of the set to exactly the independently computed canonical form",
      async (set) => {
        const files = set.files.filter((f) => f !== set.invalidJson.file);
        for (const f of files) copyFileSync(set.path(f), join(fmtDir, f));
        const result = await cli(["fmt", fmtDir, "--json"]);
        expect(result.code, result.stderr).to.equal(0);
        expect((jsonOf(result).rewritten as string[]).length).to.equal(files.length);
        for (const f of readdirSync(fmtDir))
          expect(readFileSync(join(fmtDir, f), "utf8"), f).to.equal(independentCanonical(set.readBundle(f)));
      },
    );

    it("--stdout prints the canonical form of one file, equal to the independent computation", async () => {
      for (const { path } of [fixtureFile("hello"), fixtureFile("tryCatch")]) {
        const result = await cli(["fmt", "--stdout", path]);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.equal(independentCanonical(JSON.parse(readFileSync(path, "utf8"))));
      }
      const keys = write("integer-keys.json", '{"2": 0, "10": 1, "b": {"B": 1, "a": 2}}');
      const result = await cli(["fmt", "--stdout", keys]);
      expect(result.stdout).to.equal('{\n  "10": 1,\n  "2": 0,\n  "b": {\n    "B": 1,\n    "a": 2\n  }\n}\n');
    });

    it("fails on a file that is not JSON with INVALID_JSON, naming line and column, and rewrites nothing", async () => {
      const fixtures = fixtureSet();
      const { file, line, column } = fixtures.invalidJson;
      const broken = join(fmtDir, file);
      copyFileSync(fixtures.path(file), broken);
      const error = jsonErrorOf(await cli(["fmt", broken, "--json"]), "INVALID_JSON");
      expect(error.details).to.deep.include({ line, column });
      expect(readFileSync(broken, "utf8")).to.equal(fixtures.readText(file));
      jsonErrorOf(await cli(["fmt", "--stdout", broken, "--json"]), "INVALID_JSON");
    });

    it("--stdout with several files is a usage error", async () => {
      writeFileSync(join(fmtDir, "a.json"), "{}");
      writeFileSync(join(fmtDir, "b.json"), "{}");
      const result = await cli(["fmt", "--stdout", fmtDir]);
      expect(result.code).to.equal(2);
    });
  });

  describe("schema", () => {
    it("--check passes on the committed schema, and the printed schema is canonical", async () => {
      const check = await cli(["schema", "--check"]);
      expect(check.code, check.stderr).to.equal(0);
      expect(check.stdout).to.equal("docs/schemas/workflow-bundle.v1.schema.json is up to date\n");
      const printed = await cli(["schema"]);
      expect(printed.stdout).to.equal(independentCanonical(JSON.parse(printed.stdout)));
      expect(printed.stdout).to.equal(
        readFileSync(join(process.cwd(), "docs/schemas/workflow-bundle.v1.schema.json"), "utf8"),
      );
    });
  });
});
