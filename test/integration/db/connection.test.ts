/**
 * Which database a command uses (flag > DATABASE_URL > knexfile environment > embedded), knexfiles
 * in JavaScript and TypeScript, and the embedded database's process lock.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { dumpEmbeddedDatabase, openDatabase, resolveDatabaseTarget } from "../../../src/db/connection.js";
import { findKnexfile, loadKnexfileEnvironment } from "../../../src/db/knexfile.js";
import {
  documentBoundOf,
  EMBEDDED_MAX_DOCUMENT_CHARS,
  jsonbAsTextOf,
  MAX_DOCUMENT_CHARS,
} from "../../../src/db/sql-toolkit.js";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { runCli as cli, jsonOf } from "../../support/cli.js";
import { createPostgresDatabase, type TestDatabase } from "../../support/databases.js";

const DEFAULT_DIR = "/project/.workflow-seeder/pglite";

describe("database selection", function () {
  this.timeout(180_000);

  describe("resolveDatabaseTarget (precedence)", () => {
    const knexfilePg = { client: "pg", connection: "postgres://from-knexfile/db" };
    const knexfileEmbedded = { client: "pglite", connection: { dataDir: "/elsewhere" } };

    it("--database-url wins over everything", () => {
      const target = resolveDatabaseTarget({
        flagUrl: "postgres://flag/db",
        envUrl: "postgres://env/db",
        knexfileEnvironment: knexfilePg,
        defaultDataDir: DEFAULT_DIR,
      });
      expect(target).to.deep.equal({ kind: "postgres", connection: "postgres://flag/db", source: "flag" });
    });

    it("then DATABASE_URL, then the knexfile environment, then the embedded default", () => {
      expect(
        resolveDatabaseTarget({
          envUrl: "postgres://env/db",
          knexfileEnvironment: knexfilePg,
          defaultDataDir: DEFAULT_DIR,
        }),
      ).to.deep.equal({ kind: "postgres", connection: "postgres://env/db", source: "env" });
      expect(resolveDatabaseTarget({ knexfileEnvironment: knexfilePg, defaultDataDir: DEFAULT_DIR })).to.deep.equal({
        kind: "postgres",
        connection: "postgres://from-knexfile/db",
        source: "knexfile",
      });
      expect(
        resolveDatabaseTarget({ knexfileEnvironment: knexfileEmbedded, defaultDataDir: DEFAULT_DIR }),
      ).to.deep.equal({
        kind: "embedded",
        dataDir: "/elsewhere",
        source: "knexfile",
      });
      expect(resolveDatabaseTarget({ defaultDataDir: DEFAULT_DIR })).to.deep.equal({
        kind: "embedded",
        dataDir: DEFAULT_DIR,
        source: "default",
      });
    });

    it("a knexfile environment without a connection falls through to the embedded default", () => {
      expect(
        resolveDatabaseTarget({ knexfileEnvironment: { client: "pg" }, defaultDataDir: DEFAULT_DIR }).source,
      ).to.equal("default");
    });
  });

  describe("knexfiles", () => {
    let dir: string;
    let db: TestDatabase;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "wfs-knexfile-"));
      db = await createPostgresDatabase();
    });

    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await db?.close();
    });

    it("loads an environment from knexfile.mjs, and nothing for an environment it lacks", async () => {
      const project = mkdtempSync(join(dir, "mjs-"));
      writeFileSync(
        join(project, "knexfile.mjs"),
        'export default { staging: { client: "pg", connection: "postgres://s/db" } };\n',
      );
      const file = await findKnexfile(project);
      expect(file).to.equal(join(project, "knexfile.mjs"));
      expect(await loadKnexfileEnvironment(file as string, project, "staging")).to.deep.equal({
        client: "pg",
        connection: "postgres://s/db",
      });
      expect(await loadKnexfileEnvironment(file as string, project, "production")).to.equal(undefined);
    });

    it("loads a knexfile.ts that has no compiled copy (through tsx)", async () => {
      const project = mkdtempSync(join(dir, "ts-"));
      writeFileSync(
        join(project, "knexfile.ts"),
        'const url: string = "postgres://ts/db";\nexport default { development: { client: "pg", connection: url } };\n',
      );
      expect(await loadKnexfileEnvironment(join(project, "knexfile.ts"), project, "development")).to.deep.equal({
        client: "pg",
        connection: "postgres://ts/db",
      });
    });

    it("reports a knexfile that cannot be loaded as INVALID_KNEXFILE", async () => {
      const project = mkdtempSync(join(dir, "bad-"));
      writeFileSync(join(project, "knexfile.mjs"), "export default 42;\n");
      const broken = mkdtempSync(join(dir, "broken-"));
      writeFileSync(join(broken, "knexfile.mjs"), "export default {;\n");
      for (const p of [project, broken]) {
        try {
          await loadKnexfileEnvironment(join(p, "knexfile.mjs"), p, "development");
          expect.fail("expected INVALID_KNEXFILE");
        } catch (error) {
          expect(isWorkflowSeederError(error, "INVALID_KNEXFILE"), String(error)).to.equal(true);
        }
      }
    });

    it("the CLI uses the knexfile environment chosen by --env (else NODE_ENV, else development)", async () => {
      const project = mkdtempSync(join(dir, "cli-"));
      writeFileSync(
        join(project, "knexfile.mjs"),
        `export default {\n  development: { client: "pg", connection: "postgres://postgres@127.0.0.1:1/nowhere" },\n  ci: { client: "pg", connection: ${JSON.stringify(db.url)} },\n};\n`,
      );
      const chosen = jsonOf(await cli(["migrate", "--env", "ci", "--json"], { cwd: project }));
      expect(chosen.database).to.equal(new URL(db.url as string).toString());
      const fallback = await cli(["migrate", "--json"], { cwd: project });
      expect(fallback.code).to.equal(1);
      expect((jsonOf(fallback).error as { code: string }).code).to.equal("DATABASE_UNAVAILABLE");
    });
  });

  describe("a database that does not answer", () => {
    const URL_WITH_PASSWORD = "postgres://postgres:s3cret@127.0.0.1:1/x";
    const MASKED = "postgres://postgres:***@127.0.0.1:1/x";
    const COMMANDS = [
      ["up"],
      ["status"],
      ["plan"],
      ["down"],
      ["baseline"],
      ["list"],
      ["migrate"],
      ["export", "--all"],
      ["import", "test/fixtures/bundles/ticket-greeting.bundle.json"],
      ["publish", "--key", "a"],
      ["run", "--key", "a"],
      ["resume", "--run", "00000000-0000-4000-8000-000000000001"],
      ["verify"],
      ["serve", "--insecure-local", "--port", "0"],
    ];

    it("every command: DATABASE_UNAVAILABLE naming the URL (password masked), that the server is not reachable, and how to fix it", async () => {
      const runs = await Promise.all([
        ...COMMANDS.map((args) => cli([...args, "--database-url", URL_WITH_PASSWORD])),
        ...COMMANDS.map((args) => cli(args, { env: { DATABASE_URL: URL_WITH_PASSWORD } })),
      ]);
      runs.forEach((run, k) => {
        const fromFlag = k < COMMANDS.length;
        const what = `${(COMMANDS[k % COMMANDS.length] as string[]).join(" ")} (${fromFlag ? "flag" : "env"}): ${run.stderr}`;
        expect(run.code, what).to.equal(1);
        expect(run.stderr, what).to.match(/^error \[DATABASE_UNAVAILABLE\]: /);
        expect(run.stderr, what).to.contain(MASKED).and.contain("not reachable");
        expect(run.stderr, what).to.not.contain("s3cret");
        expect(run.stderr, what).to.contain("Start the PostgreSQL server");
        expect(run.stderr, what).to.contain("embedded database");
        expect(run.stderr, what).to.contain(fromFlag ? "leave --database-url" : "unset DATABASE_URL");
      });
      const json = jsonOf(await cli(["status", "--json", "--database-url", URL_WITH_PASSWORD]));
      expect((json.error as { details: unknown }).details).to.deep.equal({
        target: MASKED,
        reason: "the server is not reachable (connection refused)",
        source: "flag",
      });
    });
  });

  describe("the embedded database", () => {
    it("writes in one statement per table (its document bound) with jsonb nested, a server in bounded documents with jsonb as text", async () => {
      const embedded = await openDatabase({ kind: "embedded", dataDir: null, source: "api" });
      try {
        await embedded.knex.transaction(async (trx) => {
          expect(documentBoundOf(trx)).to.equal(EMBEDDED_MAX_DOCUMENT_CHARS);
          expect(jsonbAsTextOf(trx)).to.equal(false);
        });
      } finally {
        await embedded.close();
      }
      const server = await createPostgresDatabase();
      try {
        expect(documentBoundOf(server.knex)).to.equal(MAX_DOCUMENT_CHARS);
        expect(jsonbAsTextOf(server.knex)).to.equal(true);
      } finally {
        await server.close();
      }
    });

    it("is used by one process at a time: a second opener waits, then gets EMBEDDED_DATABASE_BUSY", async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "wfs-busy-"));
      const first = await openDatabase({ kind: "embedded", dataDir, source: "api" });
      try {
        const started = Date.now();
        try {
          await openDatabase({ kind: "embedded", dataDir, source: "api" }, { embeddedLockWaitMs: 800 });
          expect.fail("expected EMBEDDED_DATABASE_BUSY");
        } catch (error) {
          expect(isWorkflowSeederError(error, "EMBEDDED_DATABASE_BUSY"), String(error)).to.equal(true);
          expect(Date.now() - started).to.be.at.least(700);
        }
      } finally {
        await first.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it("in memory, starts from an image of another when given one; copies do not share changes", async () => {
      const source = await openDatabase({ kind: "embedded", dataDir: null, source: "api" });
      let image: Blob;
      try {
        await source.knex.raw("create table kept (n int); insert into kept values (7)");
        image = await dumpEmbeddedDatabase(source);
      } finally {
        await source.close();
      }
      const target = { kind: "embedded", dataDir: null, source: "api" } as const;
      const [a, b] = [
        await openDatabase(target, { embeddedImage: image }),
        await openDatabase(target, { embeddedImage: image }),
      ];
      try {
        await a.knex.raw("insert into kept values (8)");
        expect((await a.knex.raw("select n from kept order by n")).rows).to.deep.equal([{ n: 7 }, { n: 8 }]);
        expect((await b.knex.raw("select n from kept order by n")).rows).to.deep.equal([{ n: 7 }]);
      } finally {
        await a.close();
        await b.close();
      }
      const postgres = await createPostgresDatabase({ migrate: false });
      try {
        let refused: unknown;
        await dumpEmbeddedDatabase(postgres).catch((error: unknown) => {
          refused = error;
        });
        expect(String(refused)).to.match(/not an open embedded database/);
      } finally {
        await postgres.close();
      }
    });

    it("is free again once the first process closes it", async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "wfs-free-"));
      try {
        const first = await openDatabase({ kind: "embedded", dataDir, source: "api" });
        await first.knex.raw("create table kept (n int); insert into kept values (7)");
        await first.close();
        const second = await openDatabase({ kind: "embedded", dataDir, source: "api" }, { embeddedLockWaitMs: 2_000 });
        try {
          expect((await second.knex.raw("select n from kept")).rows).to.deep.equal([{ n: 7 }]);
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
