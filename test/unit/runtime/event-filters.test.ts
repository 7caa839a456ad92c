import { expect } from "chai";
import { matchesEventFilter, matchesEventFilters, readEventField } from "../../../src/runtime/event-filters.js";

const payload = { ticket: { id: "t-1", priority: 3, tags: ["a"] }, status: "open", nothing: null };

describe("event.wait filters", () => {
  it("reads dot paths with an optional $. or . prefix, own properties only", () => {
    expect(readEventField(payload, "$.ticket.id")).to.equal("t-1");
    expect(readEventField(payload, ".ticket.priority")).to.equal(3);
    expect(readEventField(payload, "status")).to.equal("open");
    expect(readEventField(payload, "ticket.missing.deeper")).to.equal(undefined);
    expect(readEventField(payload, "status.constructor")).to.equal(undefined);
  });

  const cases: [string, unknown, boolean][] = [
    ["=", "open", true],
    ["=", "closed", false],
    ["!=", "closed", true],
    ["in", ["open", "new"], true],
    ["not_in", ["open"], false],
    ["contains", "pe", true],
    ["starts_with", "op", true],
    ["ends_with", "en", true],
    ["ends_with", 1, false],
  ];
  for (const [op, value, expected] of cases)
    it(`status ${op} ${JSON.stringify(value)} is ${expected}`, () => {
      expect(matchesEventFilter(payload, { path: "status", op, value })).to.equal(expected);
    });

  it("compares numbers only with > >= < <=", () => {
    expect(matchesEventFilter(payload, { path: "ticket.priority", op: ">", value: 2 })).to.equal(true);
    expect(matchesEventFilter(payload, { path: "ticket.priority", op: "<=", value: 2 })).to.equal(false);
    expect(matchesEventFilter(payload, { path: "status", op: ">", value: 2 })).to.equal(false);
  });

  it("exists / not_exists test presence (null is present)", () => {
    expect(matchesEventFilter(payload, { path: "nothing", op: "exists" })).to.equal(true);
    expect(matchesEventFilter(payload, { path: "missing", op: "not_exists" })).to.equal(true);
  });

  it("requires every filter to match", () => {
    const filters = [
      { path: "status", op: "=", value: "open" },
      { path: "ticket.id", op: "=", value: "t-2" },
    ];
    expect(matchesEventFilters(payload, filters)).to.equal(false);
    expect(matchesEventFilters(payload, filters.slice(0, 1))).to.equal(true);
    expect(matchesEventFilters(payload, undefined)).to.equal(true);
  });
});
