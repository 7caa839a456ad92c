import { expect } from "chai";
import {
  type AssignableState,
  applyAssignment,
  isScopedAssignmentPath,
  parseAssignmentPath,
} from "../../../src/runtime/assignment-paths.js";

function state(): AssignableState {
  return { payload: { a: 1 }, vars: {}, meta: {}, error: undefined };
}

function assign(s: AssignableState, path: string, value: unknown): void {
  const parsed = parseAssignmentPath(path);
  if (!parsed.ok) throw new Error(parsed.message);
  applyAssignment(s, parsed.target, value, "2026-01-01T00:00:00.000Z");
}

describe("assignment paths", () => {
  it("parses scoped paths, JSON pointers into the payload, and unscoped names as vars", () => {
    expect(parseAssignmentPath("payload.a.b")).to.deep.equal({
      ok: true,
      target: { scope: "payload", segments: ["a", "b"] },
    });
    expect(parseAssignmentPath("vars.x")).to.deep.equal({ ok: true, target: { scope: "vars", segments: ["x"] } });
    expect(parseAssignmentPath("meta.state")).to.deep.equal({
      ok: true,
      target: { scope: "meta", segments: ["state"] },
    });
    expect(parseAssignmentPath("error.code")).to.deep.equal({
      ok: true,
      target: { scope: "error", segments: ["code"] },
    });
    expect(parseAssignmentPath("/a~1b/c~0d")).to.deep.equal({
      ok: true,
      target: { scope: "payload", segments: ["a/b", "c~d"] },
    });
    expect(parseAssignmentPath(" lookup ")).to.deep.equal({
      ok: true,
      target: { scope: "vars", segments: ["lookup"] },
    });
  });

  for (const path of ["vars.__proto__.x", "vars.a.constructor", "prototype", "/a/__proto__"])
    it(`refuses the forbidden segment in ${path}`, () => {
      const parsed = parseAssignmentPath(path);
      expect(parsed.ok).to.equal(false);
      if (!parsed.ok) expect(parsed.message).to.match(/^Assignment path contains forbidden segment: /);
    });

  it("refuses empty paths and empty segments", () => {
    expect(parseAssignmentPath("").ok).to.equal(false);
    expect(parseAssignmentPath("vars.").ok).to.equal(false);
    expect(parseAssignmentPath("vars.a..b").ok).to.equal(false);
  });

  it("tells scoped paths from unscoped names", () => {
    expect(isScopedAssignmentPath("vars.x")).to.equal(true);
    expect(isScopedAssignmentPath("/x")).to.equal(true);
    expect(isScopedAssignmentPath("x")).to.equal(false);
    expect(isScopedAssignmentPath("vars")).to.equal(false);
  });

  it("creates missing and replaces non-object intermediates; arrays take indexes", () => {
    const s = state();
    assign(s, "vars.a.b.c", 1);
    assign(s, "payload.a.b", 2);
    s.vars.list = [1, 2];
    assign(s, "vars.list.0", "x");
    expect(s.vars).to.deep.equal({ a: { b: { c: 1 } }, list: ["x", 2] });
    expect(s.payload).to.deep.equal({ a: { b: 2 } });
  });

  it("creates the error slot when writing under error. with no error", () => {
    const s = state();
    assign(s, "error.code", "E1");
    expect(s.error).to.deep.equal({ message: "", at: "2026-01-01T00:00:00.000Z", code: "E1" });
  });

  it("does not pollute Object.prototype", () => {
    const s = state();
    expect(() => assign(s, "vars.__proto__.polluted", true)).to.throw(/forbidden/);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
