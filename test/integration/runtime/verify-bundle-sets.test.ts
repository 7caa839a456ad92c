/**
 * Every valid bundle of each set verified whole (`verifyBundles`: import, publish every draft, run
 * every workflow with an empty payload, roll back) on PostgreSQL and PGlite. What may fail is
 * computed from the bundles themselves, so the same test holds for the fixtures and the corpus.
 */
import { expect } from "chai";
import { verifyBundles } from "../../../src/runtime/index.js";
import { describeEachBundleSet } from "../../support/bundle-sets.js";
import { describeEachEngine, fingerprint } from "../../support/databases.js";

interface BundleWorkflow {
  key: string;
  draft: { definition: unknown };
  publishedVersions: { definition: unknown }[];
}

const EMAIL_NODES = ['"type":"email.parseBody"', '"type":"email.renderCommentBlocks"'];

describeEachEngine("verifyBundles on whole bundle sets", (db) => {
  describeEachBundleSet("verify", (set) => {
    it("publishes every draft but the ones that cannot be, and runs every workflow without an internal error", async function () {
      this.timeout(300_000);
      const before = await fingerprint(db().knex);
      const files = set.validFiles.map((f) => set.path(f));
      // The set's secrets are given (their values do not matter), so a run reaching one goes on.
      const secrets = Object.fromEntries(set.secrets.map((name) => [name, `test-${name}`]));
      const report = await verifyBundles(db().knex, { files, secrets });
      expect(report.workflows).to.have.length(set.workflowCount);
      expect(await fingerprint(db().knex)).to.deep.equal(before);

      // Expected, computed from the bundles: drafts that reuse a step id, and callWorkflow parents
      // calling Alga's harness placeholder.
      const expected: Record<string, string[]> = {};
      const emailUsers = new Set<string>();
      for (const file of set.validFiles)
        for (const w of set.readBundle(file).workflows as BundleWorkflow[]) {
          const text = JSON.stringify(w.draft.definition);
          const ids = [...text.matchAll(/"id":"([^"]+)","type":"/g)].map((m) => m[1]);
          const codes: string[] = [];
          if (new Set(ids).size < ids.length) codes.push("DUPLICATE_STEP_ID");
          if (text.includes('"workflowId":"00000000-0000-0000-0000-000000000000"'))
            codes.push("CALL_WORKFLOW_TARGET_NOT_FOUND");
          if (codes.length > 0) expected[w.key] = codes;
          const all = JSON.stringify([w.draft, ...w.publishedVersions]);
          if (EMAIL_NODES.some((n) => all.includes(n))) emailUsers.add(w.key);
        }
      expect(Object.keys(expected)).to.not.be.empty;
      const failures = Object.fromEntries(
        report.workflows
          .filter((w) => !w.publish.ok)
          .map((w) => [w.workflowKey, w.publish.ok ? [] : [...new Set(w.publish.errors.map((e) => e.code))]]),
      );
      expect(failures).to.deep.equal(expected);

      for (const w of report.workflows) {
        expect(["SUCCEEDED", "FAILED", "WAITING", "SKIPPED"], w.workflowKey).to.include(w.run.status);
        if (w.run.status !== "FAILED" || !("error" in w.run)) continue;
        // Runs get an empty payload, so the failures are expressions reading missing fields, and
        // the email nodes the reference runtime does not execute.
        const allowed = emailUsers.has(w.workflowKey) ? ["ExpressionError", "ValidationError"] : ["ExpressionError"];
        expect(allowed, `${w.workflowKey}: ${w.firstError}`).to.include(w.run.error?.category);
      }
    });
  });
});
