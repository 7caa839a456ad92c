import { expect } from "chai";
import { isRfc3339DateTime } from "../../../src/format/date-time.js";

describe("isRfc3339DateTime (as ajv-formats checks format date-time, the validator behind Alga's schema)", () => {
  for (const value of [
    "2026-01-26T00:00:00.000Z",
    "2026-01-26t00:00:00z",
    "2026-01-26 00:00:00Z",
    "2026-01-26\t00:00:00Z",
    "2026-01-26T00:00:00+05:30",
    "2026-01-26T00:00:00+0530",
    "2026-01-26T00:00:00+05",
    "2024-02-29T12:00:00Z",
    "2016-12-31T23:59:60Z",
    "2017-01-01T00:59:60+01:00",
    "2026-01-26T23:59:59.999999999-23:59",
  ])
    it(`accepts ${JSON.stringify(value)}`, () => {
      expect(isRfc3339DateTime(value)).to.equal(true);
    });

  for (const value of [
    "",
    "2026-01-26",
    "2026-01-26T00:00:00",
    "2026-01-26T00:00Z",
    "2026-01-26TT00:00:00Z",
    "2026-1-26T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-01-26T24:00:00Z",
    "2026-01-26T00:60:00Z",
    "2026-01-26T12:00:60Z",
    "2026-01-26T00:00:00+24:00",
    "2026-01-26T00:00:00+00:60",
    "2026-01-26T00:00:00 UTC",
    "2026-01-26T00:00:00,5Z",
    " 2026-01-26T00:00:00Z",
  ])
    it(`rejects ${JSON.stringify(value)}`, () => {
      expect(isRfc3339DateTime(value)).to.equal(false);
    });
});
