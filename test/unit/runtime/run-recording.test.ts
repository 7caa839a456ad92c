import { expect } from "chai";
import { createRunClock, parseTimestampMicros } from "../../../src/runtime/run-recording.js";

describe("run clock", () => {
  it("writes microsecond ISO timestamps that strictly increase within a millisecond", () => {
    const clock = createRunClock(() => new Date("2026-01-01T00:00:00.000Z"));
    expect([clock.timestamp(), clock.timestamp(), clock.timestamp()]).to.deep.equal([
      "2026-01-01T00:00:00.000000Z",
      "2026-01-01T00:00:00.000001Z",
      "2026-01-01T00:00:00.000002Z",
    ]);
  });

  it("starts after a given timestamp, so a resumed run sorts after what it recorded before", () => {
    const clock = createRunClock(() => new Date("2025-01-01T00:00:00.000Z"), "2026-05-06T07:08:09.123456+00:00");
    expect(clock.timestamp()).to.equal("2026-05-06T07:08:09.123457Z");
    expect(clock.epochMs()).to.equal(Date.parse("2025-01-01T00:00:00.000Z"));
  });

  it("parses microseconds from PostgreSQL's and JavaScript's timestamp forms", () => {
    const base = Date.parse("2026-05-06T07:08:09.123Z") * 1000;
    expect(parseTimestampMicros("2026-05-06T07:08:09.123456+00:00")).to.equal(base + 456);
    expect(parseTimestampMicros("2026-05-06T07:08:09.123Z")).to.equal(base);
    expect(parseTimestampMicros("2026-05-06T07:08:09.1234Z")).to.equal(base + 400);
  });
});
