import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import {
  ALGA_ACTIONS,
  ALGA_EXPRESSION_FUNCTIONS,
  ALGA_NODE_TYPES,
  ALGA_SCHEMA_REFS,
} from "../../../src/catalog/alga-registrations.js";
import { DEFAULT_CATALOG } from "../../../src/catalog/runtime-catalog.js";
import { CONTROL_BLOCKS } from "../../../src/format/definition-schema.js";
import { ALLOWED_EXPRESSION_FUNCTIONS } from "../../../src/runtime/expression-engine.js";
import { CORPUS_REQUIRED } from "../../support/bundle-sets.js";

/**
 * The reference list of Alga's registrations (`../shared/reference`, `WORKFLOW_SEEDER_REFERENCE`
 * moves it). The comparison with it runs only where it is present (required with
 * `WORKFLOW_SEEDER_REQUIRE_CORPUS=1`); the checks above it need nothing but the project.
 */
const REFERENCE_FILE = resolve(
  process.env.WORKFLOW_SEEDER_REFERENCE ?? join(process.cwd(), "..", "shared", "reference"),
  "alga-runtime-catalog.json",
);
interface Reference {
  actions: { actionId: string; version: number }[];
  nodeTypes: { id: string }[];
  controlBlocks: string[];
  schemaRefs: string[];
  schemaRefsDefinedButNotRegistered: string[];
  expressionFunctions: { allowed: string[] };
}

const sorted = (values: Iterable<string>) => [...values].sort();

describe("the default catalog", () => {
  it("is built from Alga's registrations, in the shapes the checks expect", () => {
    expect(ALGA_ACTIONS.length).to.be.greaterThan(100);
    expect(sorted(DEFAULT_CATALOG.actions)).to.deep.equal(sorted(ALGA_ACTIONS));
    for (const action of ALGA_ACTIONS) expect(action, action).to.match(/^[a-z][a-z0-9_.]*@[1-9][0-9]*$/);
    expect(sorted(DEFAULT_CATALOG.nodeTypes)).to.deep.equal(sorted(ALGA_NODE_TYPES));
    expect(sorted(DEFAULT_CATALOG.schemaRefs)).to.deep.equal(sorted(ALGA_SCHEMA_REFS));
    for (const ref of ALGA_SCHEMA_REFS) expect(ref, ref).to.match(/^payload\.[A-Za-z]+\.v[1-9][0-9]*$/);
    for (const block of CONTROL_BLOCKS) expect(DEFAULT_CATALOG.nodeTypes.has(block), block).to.equal(false);
    expect(DEFAULT_CATALOG.schemaRefs.has("payload.CompanyCreated.v1")).to.equal(false);
    expect(sorted(ALLOWED_EXPRESSION_FUNCTIONS)).to.deep.equal(sorted(ALGA_EXPRESSION_FUNCTIONS));
  });

  it("has no duplicates in its source lists", () => {
    for (const list of [ALGA_ACTIONS, ALGA_NODE_TYPES, ALGA_SCHEMA_REFS])
      expect(new Set(list).size).to.equal(list.length);
  });
});

function describeReference(reference: Reference): void {
  describe("the default catalog against Alga's reference list", () => {
    it("has exactly Alga's registered actions, as actionId@version", () => {
      const expected = sorted(reference.actions.map((a) => `${a.actionId}@${a.version}`));
      expect(expected.length).to.be.greaterThan(100);
      expect(sorted(DEFAULT_CATALOG.actions)).to.deep.equal(expected);
      expect(sorted(ALGA_ACTIONS)).to.deep.equal(expected);
    });

    it("has exactly Alga's registered node types, and no control block", () => {
      const expected = sorted(reference.nodeTypes.map((n) => n.id));
      expect(sorted(DEFAULT_CATALOG.nodeTypes)).to.deep.equal(expected);
      expect(sorted(ALGA_NODE_TYPES)).to.deep.equal(expected);
      for (const block of reference.controlBlocks) expect(DEFAULT_CATALOG.nodeTypes.has(block), block).to.equal(false);
    });

    it("has exactly Alga's registered schema refs, not the ones defined but never registered", () => {
      const expected = sorted(reference.schemaRefs);
      expect(sorted(DEFAULT_CATALOG.schemaRefs)).to.deep.equal(expected);
      expect(sorted(ALGA_SCHEMA_REFS)).to.deep.equal(expected);
      for (const ref of reference.schemaRefsDefinedButNotRegistered)
        expect(DEFAULT_CATALOG.schemaRefs.has(ref), ref).to.equal(false);
    });

    it("lists Alga's control blocks and expression functions", () => {
      expect(sorted(CONTROL_BLOCKS)).to.deep.equal(sorted(reference.controlBlocks));
      expect(sorted(ALGA_EXPRESSION_FUNCTIONS)).to.deep.equal(sorted(reference.expressionFunctions.allowed));
    });
  });
}

if (existsSync(REFERENCE_FILE)) describeReference(JSON.parse(readFileSync(REFERENCE_FILE, "utf8")) as Reference);
else if (CORPUS_REQUIRED)
  it("the reference catalog is present (WORKFLOW_SEEDER_REQUIRE_CORPUS=1)", () => {
    throw new Error(`the reference catalog is missing: ${REFERENCE_FILE}`);
  });
