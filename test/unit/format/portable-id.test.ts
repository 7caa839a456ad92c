import { createHash } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import {
  computeNamespacedUuid,
  computePortableWorkflowId,
  isUuidString,
  PORTABLE_WORKFLOW_ID_NAMESPACE,
} from "../../../src/format/portable-id.js";

/** UUID v5 computed independently (RFC 4122 §4.3: SHA-1 of namespace bytes + name, version 5, variant 10). */
function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe("computePortableWorkflowId", () => {
  it("is the UUID v5 of the key in the project's namespace", () => {
    for (const key of ["fixture.ticket-created-hello", "a", "subfixture.x_y-z.1"])
      expect(computePortableWorkflowId(key)).to.equal(uuidV5(key, PORTABLE_WORKFLOW_ID_NAMESPACE));
  });

  it("is stable: pinned values never change (exported bytes depend on them)", () => {
    expect(PORTABLE_WORKFLOW_ID_NAMESPACE).to.equal("6f1c2a4e-8d3b-5f7a-9c1e-2b4d6f8a0c3e");
    expect(computePortableWorkflowId("fixture.ticket-created-hello")).to.equal(
      uuidV5("fixture.ticket-created-hello", "6f1c2a4e-8d3b-5f7a-9c1e-2b4d6f8a0c3e"),
    );
    expect(computePortableWorkflowId("fixture.ticket-created-hello")).to.equal(
      computePortableWorkflowId("fixture.ticket-created-hello"),
    );
  });

  it("gives a lower-case version-5 UUID, different for different keys (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/),
        (a, b) => {
          const id = computePortableWorkflowId(a);
          expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          expect(id).to.equal(uuidV5(a, PORTABLE_WORKFLOW_ID_NAMESPACE));
          if (a !== b) expect(id).to.not.equal(computePortableWorkflowId(b));
        },
      ),
      { numRuns: 500 },
    );
  });
  it("equals an independent UUID v5 on any well-formed string, not only keys (fast-check)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (name) => {
        expect(computePortableWorkflowId(name)).to.equal(uuidV5(name, PORTABLE_WORKFLOW_ID_NAMESPACE));
      }),
      { numRuns: 500 },
    );
  });
});

describe("isUuidString", () => {
  it("accepts any 8-4-4-4-12 hex string, whatever its version, in either case", () => {
    for (const id of [
      "00000000-0000-0000-0000-000000000000",
      "ad07f680-8b3c-6c76-b095-50923a31528f",
      "AD07F680-8B3C-6C76-B095-50923A31528F",
    ])
      expect(isUuidString(id), id).to.equal(true);
  });

  it("rejects anything else", () => {
    for (const id of ["", "x", "00000000000000000000000000000000", "{00000000-0000-0000-0000-000000000000}", 1, null])
      expect(isUuidString(id), String(id)).to.equal(false);
  });

  it("computeNamespacedUuid (fixture ids) is the same UUID v5 of any name, multi-byte ones included", () => {
    const tenant = "00000000-0000-4000-8000-000000000001";
    for (const name of [`fixture:${tenant}:fixture.alpha`, "é😀", "", "a\u2028b"])
      expect(computeNamespacedUuid(name)).to.equal(uuidV5(name, PORTABLE_WORKFLOW_ID_NAMESPACE));
  });
});
