import { expect } from "chai";
import {
  ALLOWED_EXPRESSION_FUNCTIONS,
  evaluateExpression,
  MAX_EXPRESSION_RESULT_CHARS,
  normalizeExpressionSource,
  validateExpressionSource,
} from "../../../src/runtime/expression-engine.js";

const context = (payload: unknown = {}, vars: Record<string, unknown> = {}) => ({
  payload,
  vars,
  meta: {},
  error: undefined,
});

async function evaluationError(source: string, payload: unknown = {}): Promise<{ category: string; message: string }> {
  try {
    await evaluateExpression(source, context(payload));
  } catch (error) {
    return error as { category: string; message: string };
  }
  throw new Error(`expected ${source} to fail`);
}

describe("expression engine", () => {
  it("allows exactly Alga's five functions", () => {
    expect([...ALLOWED_EXPRESSION_FUNCTIONS].sort()).to.deep.equal(["append", "coalesce", "len", "nowIso", "toString"]);
  });

  describe("normalizeExpressionSource", () => {
    it("prefixes calls of allowed functions with $ and reads == as =", () => {
      expect(normalizeExpressionSource("coalesce(vars.a, 'x') == 'x'")).to.equal("$coalesce(vars.a, 'x') = 'x'");
      expect(normalizeExpressionSource("len (payload.s) > 0 and toString(1) = '1'")).to.equal(
        "$len (payload.s) > 0 and $toString(1) = '1'",
      );
    });

    it("leaves $-calls, property names and other words alone", () => {
      expect(normalizeExpressionSource("$coalesce(payload.coalesce, 1)")).to.equal("$coalesce(payload.coalesce, 1)");
      expect(normalizeExpressionSource("payload.len")).to.equal("payload.len");
      expect(normalizeExpressionSource("string(1)")).to.equal("string(1)");
    });

    it("rewrites inside string literals too, as Alga's textual rewrite does", () => {
      expect(normalizeExpressionSource("'a == b'")).to.equal("'a = b'");
    });
  });

  describe("validateExpressionSource", () => {
    for (const source of [
      "payload.ticketId",
      "coalesce(vars.caught.message, 'unknown')",
      "$append(vars.list, 1)",
      "nowIso()",
      "len(payload.items) > 1 ? 'many' : 'few'",
      "payload.newStatusId == payload.fixtureWaitingStatusId",
      '[{ "i": 0, "userId": payload.u }]',
      "$x := 1",
    ])
      it(`accepts ${source}`, () => {
        expect(validateExpressionSource(source)).to.equal(null);
      });

    it("rejects an empty source", () => {
      expect(validateExpressionSource("  ")).to.include({ kind: "empty" });
    });

    for (const [source, name] of [
      ["$string(payload.a)", "string"],
      ["$count(payload.items)", "count"],
      ["upper(payload.a)", "upper"],
      ["payload.a ~> $uppercase", "uppercase"],
      ["function($v) { $v }(1)", "function"],
      ["$f := λ($v) { $v }", "function"],
      ["λ($v) { $v }(1)", "(computed function)"],
      ["[$string][0](1)", "(computed function)"],
      ["'see (x)'", "see"],
    ] as const)
      it(`rejects ${source} as a call of ${name}`, () => {
        const problem = validateExpressionSource(source);
        expect(problem?.kind).to.equal("disallowed-function");
        expect(problem?.message).to.contain(`disallowed function: ${name}`);
      });

    it("reports JSONata syntax errors", () => {
      const problem = validateExpressionSource("payload.a +");
      expect(problem?.kind).to.equal("syntax");
      expect(problem?.message).to.match(/^Invalid expression: /);
    });
  });

  describe("evaluateExpression", () => {
    it("evaluates against payload, vars, meta and error", async () => {
      const result = await evaluateExpression("payload.a & '-' & vars.b & '-' & meta.state & '-' & error.message", {
        payload: { a: "p" },
        vars: { b: "v" },
        meta: { state: "S" },
        error: { message: "e" },
      });
      expect(result).to.equal("p-v-S-e");
    });

    it("implements nowIso with the given clock", async () => {
      const now = () => new Date("2026-02-03T04:05:06.007Z");
      expect(await evaluateExpression("nowIso()", context(), { now })).to.equal("2026-02-03T04:05:06.007Z");
    });

    it("implements coalesce: the first value that is not null or missing, else null", async () => {
      expect(await evaluateExpression("coalesce(payload.missing, null, 0, 'x')", context())).to.equal(0);
      expect(await evaluateExpression("coalesce(payload.missing, null)", context())).to.equal(null);
    });

    it("implements len: length of a string or array, else 0", async () => {
      const payload = { s: "abc", list: [1, 2], n: 5 };
      expect(
        await evaluateExpression("[len(payload.s), len(payload.list), len(payload.n)]", context(payload)),
      ).to.deep.equal([3, 2, 0]);
    });

    it("implements toString: '' for null or missing, else String(v)", async () => {
      expect(
        await evaluateExpression("toString(payload.missing) & '|' & toString(null) & '|' & toString(5)", context()),
      ).to.equal("||5");
    });

    it("implements append: wraps a non-list, spreads an array value", async () => {
      expect(await evaluateExpression("append(payload.list, 3)", context({ list: [1, 2] }))).to.deep.equal([1, 2, 3]);
      expect(await evaluateExpression("append(payload.list, [3, 4])", context({ list: [1] }))).to.deep.equal([1, 3, 4]);
      expect(await evaluateExpression("append(payload.one, 2)", context({ one: 1 }))).to.deep.equal([1, 2]);
      expect(await evaluateExpression("append(payload.missing, 'a')", context())).to.deep.equal(["a"]);
    });

    it("reads == as =", async () => {
      expect(await evaluateExpression("payload.a == 1", context({ a: 1 }))).to.equal(true);
    });

    it("returns plain JSON: no JSONata sequence markers", async () => {
      const result = await evaluateExpression("payload.items.id", context({ items: [{ id: 1 }, { id: 2 }] }));
      expect(result).to.deep.equal([1, 2]);
      expect(Object.keys(result as object)).to.deep.equal(["0", "1"]);
    });

    it("fails with ExpressionError when the result is undefined (a missing path)", async () => {
      const error = await evaluationError("payload.nope");
      expect(error.category).to.equal("ExpressionError");
      expect(error.message).to.equal("Expression result is not JSON-serializable");
    });

    it("fails with ExpressionError when the result is a function", async () => {
      expect((await evaluationError("$coalesce")).message).to.equal("Expression result is not JSON-serializable");
    });

    it("fails when the result's JSON is longer than 256 KiB, and accepts one exactly at the limit", async () => {
      const atLimit = "x".repeat(MAX_EXPRESSION_RESULT_CHARS - 2);
      expect(await evaluateExpression("payload.s", context({ s: atLimit }))).to.equal(atLimit);
      const error = await evaluationError("payload.s", { s: `${atLimit}x` });
      expect(error.category).to.equal("ExpressionError");
      expect(error.message).to.equal("Expression result exceeded max output size");
    });

    it("fails with ExpressionError on JSONata evaluation errors", async () => {
      const error = await evaluationError("payload.a + 1", { a: "text" });
      expect(error.category).to.equal("ExpressionError");
      expect(error.message).to.match(/^Expression evaluation failed: /);
    });

    it("refuses a disallowed function at evaluation too", async () => {
      const error = await evaluationError("$string(1)");
      expect(error.category).to.equal("ExpressionError");
      expect(error.message).to.contain("disallowed function: string");
    });
  });
});
