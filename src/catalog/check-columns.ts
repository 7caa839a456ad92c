import type { PathProblem } from "../errors.js";
import type { WorkflowBundle } from "../format/bundle-schema.js";
import { toJsonPointer } from "../format/json-value.js";

/** The column checks of a bundle: values the schema accepts but the tables cannot store as given. */

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;

/** True when `value` is stored exactly by a `numeric(5,2)` column. */
export function fitsNumeric52(value: number | string): boolean {
  const text = typeof value === "number" ? String(value) : value.trim();
  if (typeof value === "number" && !Number.isFinite(value)) return false;
  const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) return false;
  const integer = (m[1] ?? "").replace(/^0+/, "");
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  return integer.length <= 3 && fraction.length <= 2;
}

/** Values that pass the schema but do not fit the columns they are stored in. */
export function collectRangeProblems(bundle: WorkflowBundle): PathProblem[] {
  const problems: PathProblem[] = [];
  const int4 = (value: number | null, path: (string | number)[]) => {
    if (value !== null && (value < INT4_MIN || value > INT4_MAX))
      problems.push({ path: toJsonPointer(path), message: `${value} does not fit a 32-bit integer column` });
  };
  bundle.workflows.forEach((w, i) => {
    const m = w.metadata;
    int4(m.concurrencyLimit, ["workflows", i, "metadata", "concurrencyLimit"]);
    int4(m.failureRateMinRuns, ["workflows", i, "metadata", "failureRateMinRuns"]);
    int4(w.draft.draftVersion, ["workflows", i, "draft", "draftVersion"]);
    if (m.failureRateThreshold !== null && !fitsNumeric52(m.failureRateThreshold))
      problems.push({
        path: toJsonPointer(["workflows", i, "metadata", "failureRateThreshold"]),
        message: `${JSON.stringify(m.failureRateThreshold)} is not a number with at most 3 integer and 2 decimal digits (numeric(5,2)); it would be rounded or rejected by the database`,
      });
    w.publishedVersions.forEach((v, j) => {
      if (v.version < 1 || v.version > INT4_MAX)
        problems.push({
          path: toJsonPointer(["workflows", i, "publishedVersions", j, "version"]),
          message: `published version ${v.version} must be between 1 and ${INT4_MAX}`,
        });
    });
  });
  return problems;
}
