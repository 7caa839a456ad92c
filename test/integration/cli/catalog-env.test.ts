import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { makeBundle, makeDefinition, makeWorkflow } from "../../support/bundles.js";
import { jsonErrorOf, runCli } from "../../support/cli.js";

describe("CLI: WORKFLOW_SEEDER_CATALOG names the catalog file when --catalog is not given", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;
  let catalog: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wfs-catalog-env-"));
    const action = { actionId: "acme.crm.sync_contact", version: 1 };
    const workflow = makeWorkflow({
      key: "acme.sync-contact",
      definition: makeDefinition({
        steps: [{ id: "sync", type: "action.call", config: { ...action, inputMapping: {} } }],
      }),
      actions: [action],
      nodeTypes: ["action.call"],
    });
    bundle = join(dir, "acme.json");
    writeFileSync(bundle, JSON.stringify(makeBundle({ workflows: [workflow] })));
    catalog = join(dir, "catalog.json");
    writeFileSync(catalog, JSON.stringify({ actions: ["acme.crm.sync_contact@1"] }));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("without a catalog the action is missing; with the variable it is declared", async () => {
    jsonErrorOf(await runCli(["validate", bundle, "--json"]), "MISSING_DEPENDENCIES");
    const withEnv = await runCli(["validate", bundle], { env: { WORKFLOW_SEEDER_CATALOG: catalog } });
    expect(withEnv.code, withEnv.stderr).to.equal(0);
  });

  it("--catalog wins over the variable", async () => {
    const env = { WORKFLOW_SEEDER_CATALOG: join(dir, "no-such-catalog.json") };
    const result = await runCli(["validate", bundle, "--catalog", catalog], { env });
    expect(result.code, result.stderr).to.equal(0);
    const error = jsonErrorOf(await runCli(["validate", bundle, "--json"], { env }), "FILE_NOT_FOUND");
    expect(error.details).to.deep.equal({ file: env.WORKFLOW_SEEDER_CATALOG });
  });
});
