import { expect } from "chai";
import { checkBundle } from "../../../src/catalog/check-bundle.js";
import { canonicalizeJson } from "../../../src/format/canonical-json.js";
import {
  formatSeedVersion,
  parseSeedFileName,
  planNextSeedVersion,
  type SeedFile,
  slugifySeedName,
} from "../../../src/seeder/seed-files.js";
import { createSeedTemplate } from "../../../src/seeder/seed-template.js";

function seedFile(file: string): SeedFile {
  const parsed = parseSeedFileName(file);
  if (!parsed) throw new Error(`not a seed name: ${file}`);
  return { ...parsed, file, path: `/seeds/${file}` };
}

describe("seed files", () => {
  describe("parseSeedFileName", () => {
    it("accepts a timestamp or digits prefix, a separator, a name and .bundle.json", () => {
      expect(parseSeedFileName("2026-01-25T10.00.00.ticket-created-hello.bundle.json")).to.deep.equal({
        name: "2026-01-25T10.00.00.ticket-created-hello",
        version: "2026-01-25T10.00.00",
      });
      expect(parseSeedFileName("2026-01-25T10.00.00.2fa-setup.bundle.json")?.version).to.equal("2026-01-25T10.00.00");
      expect(parseSeedFileName("001-hello.bundle.json")).to.deep.equal({ name: "001-hello", version: "001" });
      expect(parseSeedFileName("42_hello.world.bundle.json")?.version).to.equal("42");
    });

    for (const file of [
      "hello.bundle.json",
      "2026-01-25T10.00.00.hello.json",
      "2026-01-25T10.00.00.bundle.json",
      "2026-01-25T10.00.00..bundle.json",
      "2026-01-25T10.00.00.hello world.bundle.json",
      // a mistyped timestamp must not pass as the digits prefix "2026"
      "2026-01-25.hello.bundle.json",
      "2026-01-25T10.00.hello.bundle.json",
      "26-01-25T10.00.00.hello.bundle.json",
      "001-2.bundle.json",
    ])
      it(`rejects ${file}`, () => {
        expect(parseSeedFileName(file)).to.equal(null);
      });
  });

  describe("planNextSeedVersion", () => {
    it("is the current UTC time when it sorts after every existing seed", () => {
      const now = new Date("2026-03-04T05:06:07.890Z");
      expect(formatSeedVersion(now)).to.equal("2026-03-04T05.06.07");
      expect(planNextSeedVersion([seedFile("2026-01-25T10.00.00.a.bundle.json")], now)).to.equal("2026-03-04T05.06.07");
    });

    it("is one second after the latest seed when the clock is behind it or equal", () => {
      const existing = [
        seedFile("2026-01-25T10.00.00.a.bundle.json"),
        seedFile("2099-12-31T23.59.59.future.bundle.json"),
        seedFile("001-numbered.bundle.json"),
      ];
      expect(planNextSeedVersion(existing, new Date("2026-03-04T05:06:07Z"))).to.equal("2100-01-01T00.00.00");
      expect(
        planNextSeedVersion([seedFile("2026-03-04T05.06.07.a.bundle.json")], new Date("2026-03-04T05:06:07.5Z")),
      ).to.equal("2026-03-04T05.06.08");
    });
  });

  it("slugifySeedName keeps letters, digits and separators", () => {
    expect(slugifySeedName("  Ticket Created: Hello!  ")).to.equal("ticket-created-hello");
    expect(slugifySeedName("---")).to.equal("");
    expect(slugifySeedName("a.b_c")).to.equal("a.b_c");
  });

  it("the template of a new seed is a valid canonical bundle with the default catalog", () => {
    const bundle = createSeedTemplate("hello-world", "2026-01-01T00:00:00.000Z");
    const checked = checkBundle(JSON.parse(canonicalizeJson(bundle)));
    expect(checked.ok, JSON.stringify(checked)).to.equal(true);
    expect(checked.warnings).to.deep.equal([]);
  });
});
