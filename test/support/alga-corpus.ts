/**
 * What the suites take as facts about Alga's corpus (`../shared/corpus/alga`, real bundles from
 * Alga's test data, read only when present): the counterpart of the fixture set's manifest. The
 * corpus suites check these facts against the files before relying on them.
 */
export const ALGA_CORPUS_FACTS: {
  files: number;
  workflows: number;
  invalidJson: { file: string; line: number; column: number };
  missingDependencyFiles: { file: string; actions: string[]; nodeTypes: string[]; schemaRefs: string[] }[];
} = {
  /** `.json` files in the folder. */
  files: 194,
  /** Workflows in the files every check accepts. */
  workflows: 197,
  /** The one file that is not JSON: a stray `]`. */
  invalidJson: { file: "server-fixture.email-processing.v1.json", line: 490, column: 15 },
  /** The company-* bundles depend on a payload schema Alga no longer registers. */
  missingDependencyFiles: [
    {
      file: "company-created-create-crm-note.bundle.json",
      actions: [],
      nodeTypes: [],
      schemaRefs: ["payload.CompanyCreated.v1"],
    },
    {
      file: "company-created-onboarding-note.bundle.json",
      actions: [],
      nodeTypes: [],
      schemaRefs: ["payload.CompanyCreated.v1"],
    },
  ],
};
