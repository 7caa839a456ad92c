/**
 * Hostile bundles, property-based: valid bundles (the fixture set, Alga's corpus when present, and
 * generated ones) mutated at every depth and on their bytes. Whatever the damage, an import either
 * succeeds with exactly the given content stored, or fails with a documented code and writes
 * nothing; nothing else is thrown, the HTTP API never answers 500, and no prototype is polluted.
 *
 * The seed is fixed (WORKFLOW_SEEDER_RELIABILITY_SEED overrides it); fast-check prints it with the
 * shrunk counterexample when a property fails.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { checkBundleText } from "../../src/catalog/check-bundle.js";
import { type Issue, isIssueCode, isWorkflowSeederError, renderIssueMessage } from "../../src/errors.js";
import { exportBundle } from "../../src/export/export-bundle.js";
import { canonicalizeJson } from "../../src/format/canonical-json.js";
import { parseJsonText, validateBundle } from "../../src/format/parse-bundle.js";
import { importBundle } from "../../src/import/import-bundle.js";
import { applySeeds } from "../../src/seeder/seed-runner.js";
import { readSeedStatus } from "../../src/seeder/seed-status.js";
import { bundleSets } from "../support/bundle-sets.js";
import { errorCodeOf, parseJsonOutput, runCli } from "../support/cli.js";
import { createPostgresDatabase, fingerprint, type TestDatabase } from "../support/databases.js";
import { request, startTestServer, type TestServer } from "../support/http.js";
import { expectedRejection, type HostileCase, hostileCase, type RenderedCase, renderCase } from "./hostile-input.js";
import { countFigure, recordFigure, reportReliabilitySuite } from "./report.js";
import {
  generateBundle,
  generateKeys,
  makeTempDir,
  markWrites,
  newTenant,
  readSeedRecords,
  readTenantWorkflows,
  removeTempDirs,
  writesSince,
} from "./support.js";

/** The fixed seed of every property in this file. */
const SEED = Number(process.env.WORKFLOW_SEEDER_RELIABILITY_SEED ?? 20_260_126);

/** Cases per property (offline + database + HTTP + seeds > 1,000 per run). */
const RUNS = { offline: 1_000, database: 200, http: 150, seeds: 80 } as const;

/** The codes a bundle problem may be refused with: all documented, none a fault. */
const BUNDLE_CODES = new Set([
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
]);

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const PROTOTYPE_NAMES = PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join(","));

/** Throws when any built-in prototype gained or lost a property, or `{}` sees a planted one. */
function assertNoPollution(): void {
  PROTOTYPES.forEach((p, i) => {
    if (Object.getOwnPropertyNames(p).sort().join(",") !== PROTOTYPE_NAMES[i])
      throw new Error(`prototype polluted: ${Object.getOwnPropertyNames(p).sort().join(",")}`);
  });
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || "polluted" in probe || Object.getPrototypeOf(probe) !== Object.prototype)
    throw new Error("Object.prototype polluted");
}

/** Asserts a refusal: every issue documented and allowed, its message renders, its wire form serializes. */
function assertRefusal(issues: readonly Issue[], allowed: ReadonlySet<string>, label: string): void {
  expect(issues.length, label).to.be.greaterThan(0);
  for (const i of issues) {
    expect(isIssueCode(i.code), `${label}: undocumented code ${i.code}`).to.equal(true);
    expect(
      allowed.has(i.code),
      `${label}: ${i.code} is not a bundle error: ${renderIssueMessage(i).slice(0, 500)}`,
    ).to.equal(true);
    expect(renderIssueMessage(i)).to.be.a("string").and.not.equal("");
  }
}

/** Asserts that the model's verdict holds for an outcome. */
function assertModel(rendered: RenderedCase, refused: readonly Issue[] | null): void {
  const expected = expectedRejection(rendered.text);
  if (expected === null) return;
  expect(refused, `must be refused (${expected.reason}) but was accepted`).to.not.equal(null);
  if (expected.code && refused) expect(refused[0]?.code, expected.reason).to.equal(expected.code);
}

/** Bundle text with bytes that are not UTF-8 inside a description (refused as INVALID_JSON, never stored as U+FFFD). */
function withInvalidUtf8(text: string): Buffer {
  const at = Buffer.byteLength(text.slice(0, text.indexOf("Generated workflow") + "Generated ".length));
  const bytes = Buffer.from(text);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xc3, 0x28]), bytes.subarray(at)]);
}

/** A short description of a case for failure messages (fast-check prints the case itself too). */
function describeCase(c: HostileCase): string {
  return JSON.stringify(c);
}

/** Definitions compared after dropping what import rewrites (`id`); null when a call target may be rewritten. */
function comparableDefinition(definition: unknown): string | null {
  const text = canonicalizeJson(definition);
  if (text.includes("control.callWorkflow")) return null;
  const copy = { ...(definition as Record<string, unknown>) };
  delete copy.id;
  return canonicalizeJson(copy);
}

/** After a successful import: the tenant holds exactly the bundle's workflows, content intact. */
async function assertStoredExactly(db: TestDatabase, tenant: string, document: unknown): Promise<void> {
  const input = document as { workflows: Record<string, unknown>[] };
  const stored = await readTenantWorkflows(db.knex, tenant);
  expect([...stored.keys()].sort()).to.deep.equal(input.workflows.map((w) => w.key as string).sort());
  const exported = await exportBundle(db.knex, { tenant, all: true, exportedAt: "2026-01-01T00:00:00.000Z" });
  expect(validateBundle(exported).ok, "the export of an accepted bundle is a valid bundle").to.equal(true);
  const byKey = new Map(exported.workflows.map((w) => [w.key, w]));
  for (const w of input.workflows) {
    const out = byKey.get(w.key as string);
    const metadata = w.metadata as Record<string, unknown>;
    const draft = w.draft as { draftVersion: number; definition: unknown };
    const versions = w.publishedVersions as { version: number; definition: unknown }[];
    expect(out?.metadata.name).to.equal(metadata.name);
    expect(out?.metadata.description).to.equal(metadata.description);
    expect(canonicalizeJson(out?.metadata.trigger ?? null)).to.equal(canonicalizeJson(metadata.trigger));
    expect(out?.draft.draftVersion).to.equal(draft.draftVersion);
    expect(out?.publishedVersions.map((v) => v.version)).to.deep.equal(
      versions.map((v) => v.version).sort((a, b) => a - b),
    );
    const before = comparableDefinition(draft.definition);
    if (before !== null) expect(comparableDefinition(out?.draft.definition)).to.equal(before);
    expect(stored.get(w.key as string)?.versions).to.equal(versions.length);
  }
}

describe("reliability: hostile bundles", function () {
  this.timeout(300_000);
  reportReliabilitySuite();
  let bases: unknown[] = [];
  let db: TestDatabase;
  let api: TestServer;

  before(async () => {
    bases = [
      generateBundle(generateKeys("gen.single", 1).map((key) => ({ key, versions: 2 }))),
      generateBundle(generateKeys("gen.trio", 3).map((key) => ({ key }))),
    ];
    for (const set of bundleSets()) for (const file of set.validFiles) bases.push(set.readBundle(file));
    recordFigure("hostile.bases", bases.length);
    db = await createPostgresDatabase();
    api = await startTestServer(db.knex);
    // The "nothing written" detector must see a write, an update and a delete.
    const probe = newTenant();
    const mark = await markWrites(db.knex);
    await importBundle(db.knex, generateBundle([{ key: "probe" }]), { tenant: probe });
    expect(await writesSince(db.knex, mark)).to.have.length.greaterThan(0);
    const updated = await markWrites(db.knex);
    await db.knex.raw("update workflow_definitions set description = 'x' where tenant = ?", [probe]);
    expect(await writesSince(db.knex, updated)).to.have.length(1);
    const deleted = await markWrites(db.knex);
    await db.knex.raw("delete from workflow_definitions where tenant = ?", [probe]);
    expect(await writesSince(db.knex, deleted)).to.have.length(2);
  });

  after(async () => {
    await api?.close();
    await db?.close();
    await removeTempDirs();
    assertNoPollution();
  });

  it("CLI: hostile files through import --each and validate give documented codes per file, no stack trace, nothing partial", async () => {
    const dir = await makeTempDir("wfs-rel-cli-");
    const text = (key: string) => canonicalizeJson(generateBundle([{ key }]));
    const state = (key: string, raw: string) => text(key).replaceAll('"state": "STARTED"', `"state": ${raw}`);
    const files: Record<string, { bytes: string | Buffer; ok: boolean }> = {
      deep: { bytes: state("cli.deep", `${"[".repeat(20_000)}1${"]".repeat(20_000)}`), ok: false },
      overflow: { bytes: state("cli.overflow", "1e309"), ok: false },
      "overflow-in-dependencies": {
        bytes: text("cli.dep").replace('"nodeTypes": [', '"nodeTypes": [1e309, '),
        ok: false,
      },
      nul: { bytes: state("cli.nul", '"a\\u0000b"'), ok: false },
      surrogate: { bytes: state("cli.surrogate", '"a\\ud800b"'), ok: false },
      proto: { bytes: state("cli.proto", '"S", "__proto__": {"polluted": true}'), ok: false },
      truncated: { bytes: text("cli.truncated").slice(0, 400), ok: false },
      root: { bytes: "[1, 2, 3]", ok: false },
      "invalid-utf8": { bytes: withInvalidUtf8(text("cli.utf8")), ok: false },
      "huge-string": {
        bytes: text("cli.huge").replace('"name": "cli.huge"', `"name": "${"x".repeat(5_000_000)}"`),
        ok: true,
      },
      "duplicate-member": {
        bytes: text("cli.dup").replace('"formatVersion": 1', '"formatVersion": 2, "formatVersion": 1'),
        ok: true,
      },
    };
    const paths: string[] = [];
    for (const [name, f] of Object.entries(files)) {
      const path = join(dir, `${name}.json`);
      await writeFile(path, f.bytes);
      paths.push(path);
    }
    const tenant = newTenant();
    const before = await fingerprint(db.knex);
    // import --each reads each file in its turn: one that is not JSON fails alone, like the others.
    const url = db.url as string;
    for (const args of [
      ["import", "--each", ...paths, "--database-url", url, "--tenant", tenant],
      ["validate", ...paths],
    ]) {
      const exit = await runCli([...args, "--json"]);
      countFigure("cases.hostile.cli", paths.length);
      expect(exit.code, exit.stderr).to.equal(1);
      expect(exit.stderr + exit.stdout).to.not.match(/unexpected error|INTERNAL_ERROR|\n\s+at \S.*:\d+:\d+\)?\n/);
      const out = parseJsonOutput<{
        files: { file: string; ok: boolean; error?: { code: string }; issues?: { code: string }[] }[];
      }>(exit);
      expect(out.files, exit.stdout.slice(0, 1000)).to.be.an("array");
      expect(out.files.map((f) => f.file)).to.deep.equal(paths);
      for (const f of out.files) {
        const name = f.file.slice(dir.length + 1, -".json".length);
        const code = f.error?.code ?? f.issues?.[0]?.code;
        const expectedOk = files[name]?.ok === true;
        expect(f.ok, `${args[0]} ${name}: ${code}`).to.equal(expectedOk);
        if (!f.ok) expect(BUNDLE_CODES.has(code ?? ""), `${args[0]} ${name}: ${code}`).to.equal(true);
      }
    }
    const truncated = await runCli([
      "import",
      join(dir, "truncated.json"),
      "--database-url",
      url,
      "--tenant",
      tenant,
      "--json",
    ]);
    expect(truncated.code).to.equal(1);
    expect(errorCodeOf(truncated)).to.equal("INVALID_JSON");
    const stored = await readTenantWorkflows(db.knex, tenant);
    expect([...stored.keys()].sort()).to.deep.equal(["cli.dup", "cli.huge"]);
    const after = await fingerprint(db.knex);
    for (const table of ["workflow_seeder_seeds", "workflow_runs"]) expect(after[table]).to.equal(before[table]);
  });

  it(`offline: checkBundleText on ${RUNS.offline} mutated bundles refuses with documented codes, never throws`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileCase(bases.length), (c) => {
        const rendered = renderCase(bases, c);
        let result: ReturnType<typeof checkBundleText>;
        try {
          result = checkBundleText(rendered.text);
        } catch (error) {
          throw new Error(`checkBundleText threw for ${describeCase(c)}: ${(error as Error).stack}`);
        }
        assertNoPollution();
        if (result.ok) {
          accepted++;
          // What a seed's checksum and every export do with an accepted bundle must work too.
          canonicalizeJson(result.bundle);
          assertModel(rendered, null);
        } else {
          assertRefusal(result.issues, BUNDLE_CODES, describeCase(c));
          assertModel(rendered, result.issues);
        }
        countFigure("cases.hostile.offline");
      }),
      { seed: SEED, numRuns: RUNS.offline },
    );
    recordFigure("hostile.offline.accepted", accepted);
  });

  it(`database: importBundle on real PostgreSQL, ${RUNS.database} cases: all stored exactly, or a documented refusal and an unchanged database`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(hostileCase(bases.length), async (c) => {
        const rendered = renderCase(bases, c);
        const tenant = newTenant();
        const mark = await markWrites(db.knex);
        const parsed = parseJsonText(rendered.text);
        let refused: readonly Issue[] | null = parsed.ok ? null : parsed.issues;
        if (parsed.ok) {
          try {
            await importBundle(db.knex, parsed.value, { tenant });
          } catch (error) {
            if (!isWorkflowSeederError(error))
              throw new Error(`importBundle threw a non-WorkflowSeederError: ${(error as Error).stack}`);
            refused = error.issues;
          }
        }
        assertNoPollution();
        countFigure("cases.hostile.database");
        assertModel(rendered, refused);
        if (refused) {
          assertRefusal(refused, BUNDLE_CODES, describeCase(c));
          expect(await writesSince(db.knex, mark), "a refused import wrote something").to.deep.equal([]);
          return;
        }
        accepted++;
        await assertStoredExactly(db, tenant, parsed.ok ? parsed.value : undefined);
      }),
      { seed: SEED + 1, numRuns: RUNS.database, endOnFailure: true },
    );
    recordFigure("hostile.database.accepted", accepted);
  });

  it(`HTTP: POST /import of ${RUNS.http} mutated bodies answers 200 or a documented 4xx, never 500; refusals write nothing`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(hostileCase(bases.length), async (c) => {
        const rendered = renderCase(bases, c);
        const tenant = newTenant();
        const mark = await markWrites(db.knex);
        const answer = await request(api.url, "/api/workflow-definitions/import", {
          tenant,
          body: rendered.bytes,
        });
        assertNoPollution();
        countFigure("cases.hostile.http");
        // 413: two 5-million-character strings exceed the default 10 MiB body limit.
        expect(answer.status, `${answer.status} ${answer.text.slice(0, 500)}`).to.be.oneOf([200, 400, 413]);
        if (answer.status === 200) {
          accepted++;
          expect(expectedRejection(rendered.text), "accepted a body the model refuses").to.equal(null);
          return;
        }
        expect(
          answer.status === 413 ? answer.code === "PAYLOAD_TOO_LARGE" : BUNDLE_CODES.has(answer.code ?? ""),
          answer.text.slice(0, 500),
        ).to.equal(true);
        expect(await writesSince(db.knex, mark), "a refused request wrote something").to.deep.equal([]);
      }),
      { seed: SEED + 2, numRuns: RUNS.http, endOnFailure: true },
    );
    recordFigure("hostile.http.accepted", accepted);
  });

  it(`seeds: up with ${RUNS.seeds} mutated seed files applies them whole or refuses with INVALID_SEED_BUNDLE, recording nothing`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(hostileCase(bases.length, { huge: false }), async (c) => {
        const rendered = renderCase(bases, c);
        const dir = await makeTempDir("wfs-rel-seed-");
        await writeFile(join(dir, "2026-01-26T00.00.00.hostile.bundle.json"), rendered.bytes);
        const tenant = newTenant();
        const mark = await markWrites(db.knex);
        let refused: readonly Issue[] | null = null;
        try {
          await applySeeds(db.knex, { dir, tenant });
        } catch (error) {
          if (!isWorkflowSeederError(error))
            throw new Error(`applySeeds threw a non-WorkflowSeederError: ${(error as Error).stack}`);
          refused = error.issues;
        }
        // status reads (and hashes) the same file: it must not throw either.
        try {
          await readSeedStatus(db.knex, { dir, tenant });
        } catch (error) {
          if (!isWorkflowSeederError(error))
            throw new Error(`readSeedStatus threw a non-WorkflowSeederError: ${(error as Error).stack}`);
        }
        assertNoPollution();
        countFigure("cases.hostile.seeds");
        if (refused) {
          for (const i of refused) {
            expect(i.code, renderIssueMessage(i).slice(0, 300)).to.equal("INVALID_SEED_BUNDLE");
            if (i.code === "INVALID_SEED_BUNDLE") assertRefusal([i.details.issue], BUNDLE_CODES, describeCase(c));
          }
          expect(await writesSince(db.knex, mark), "a refused seed wrote something").to.deep.equal([]);
          return;
        }
        accepted++;
        expect(expectedRejection(rendered.text), "applied a seed the model refuses").to.equal(null);
        const records = await readSeedRecords(db.knex, tenant);
        const stored = await readTenantWorkflows(db.knex, tenant);
        expect(records.map((r) => r.name)).to.deep.equal(["2026-01-26T00.00.00.hostile"]);
        expect(records[0]?.workflows.map((w) => [w.key, w.workflowId]).sort()).to.deep.equal(
          [...stored.values()].map((w) => [w.key, w.workflowId]).sort(),
        );
      }),
      { seed: SEED + 3, numRuns: RUNS.seeds, endOnFailure: true },
    );
    recordFigure("hostile.seeds.accepted", accepted);
  });
});
