import { expect } from "chai";
import type { SeededWorkflow, SeedRecord } from "../../../src/db/seed-store.js";
import { isWorkflowSeederError } from "../../../src/errors.js";
import { applyOnChangePolicy } from "../../../src/seeder/seed-run.js";
import type { SeedStatusEntry } from "../../../src/seeder/seed-status.js";
import { collectOwnership, collectSupersededKeys } from "../../../src/seeder/write-seed.js";

function record(name: string, workflows: [string, string, SeededWorkflow["action"]][]): SeedRecord {
  return {
    name,
    checksum: "c",
    checksumAlgorithm: "a",
    appliedAt: "2026-01-01T00:00:00.000Z",
    toolVersion: "0",
    baseline: false,
    workflows: workflows.map(([key, workflowId, action]) => ({ key, workflowId, action, contentHash: null })),
  };
}

function entry(name: string, state: SeedStatusEntry["state"]): SeedStatusEntry {
  return {
    name,
    file: `${name}.bundle.json`,
    state,
    appliedAt: null,
    baseline: false,
    recordedChecksum: state === "pending" ? null : `old-${name}`,
    currentChecksum: state === "pending" ? null : `new-${name}`,
  };
}

describe("seed runner (pure parts)", () => {
  it("collectOwnership: every key a seed created, updated, replaced or adopted, with its ids; not skipped ones", () => {
    const owned = collectOwnership([
      record("1", [
        ["a", "id-a", "created"],
        ["b", "id-b", "skipped"],
      ]),
      record("2", [
        ["a", "id-a2", "replaced"],
        ["c", "id-c", "adopted"],
        ["d", "id-d", "updated"],
      ]),
    ]);
    expect([...owned.keys()].sort()).to.deep.equal(["a", "c", "d"]);
    expect([...(owned.get("a") ?? [])].sort()).to.deep.equal(["id-a", "id-a2"]);
  });

  it("collectSupersededKeys: keys written by applied seeds that sort after the given one", () => {
    const records = [
      record("2026-01-01T00.00.00.a", [["a", "1", "created"]]),
      record("2026-01-02T00.00.00.b", [
        ["a", "1", "updated"],
        ["b", "2", "created"],
        ["s", "3", "skipped"],
      ]),
      record("2026-01-03T00.00.00.c", [["c", "4", "adopted"]]),
    ];
    expect([...collectSupersededKeys(records, "2026-01-01T00.00.00.a")].sort()).to.deep.equal(["a", "b", "c"]);
    expect([...collectSupersededKeys(records, "2026-01-01T12.00.00.between")].sort()).to.deep.equal(["a", "b", "c"]);
    expect([...collectSupersededKeys(records, "2026-01-02T00.00.00.b")]).to.deep.equal(["c"]);
    expect([...collectSupersededKeys(records, "2026-01-03T00.00.00.c")]).to.deep.equal([]);
  });

  describe("applyOnChangePolicy", () => {
    const entries = [entry("1", "applied"), entry("2", "modified"), entry("3", "pending"), entry("4", "modified")];

    it("fail: throws SEED_CHECKSUM_MISMATCH naming every modified seed with both checksums", () => {
      let thrown: unknown;
      try {
        applyOnChangePolicy(entries, "fail");
      } catch (error) {
        thrown = error;
      }
      expect(isWorkflowSeederError(thrown, "SEED_CHECKSUM_MISMATCH")).to.equal(true);
      if (isWorkflowSeederError(thrown))
        expect(thrown.details).to.deep.equal({
          seeds: [
            { name: "2", recordedChecksum: "old-2", currentChecksum: "new-2" },
            { name: "4", recordedChecksum: "old-4", currentChecksum: "new-4" },
          ],
        });
    });

    it("warn returns the same issue; reapply and no drift return nothing", () => {
      const warned = applyOnChangePolicy(entries, "warn");
      expect(warned.map((i) => i.code)).to.deep.equal(["SEED_CHECKSUM_MISMATCH"]);
      expect(applyOnChangePolicy(entries, "reapply")).to.deep.equal([]);
      expect(applyOnChangePolicy([entry("1", "applied"), entry("2", "missing")], "fail")).to.deep.equal([]);
    });
  });
});
