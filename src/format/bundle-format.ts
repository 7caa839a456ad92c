/**
 * The constants of the bundle format, without the schema library: modules that only need to
 * recognize a bundle (the fast validation path, seed templates) import them from here.
 */

/** The value of a bundle's `format` field. */
export const BUNDLE_FORMAT = "alga-psa.workflow-bundle";

/** The only `formatVersion` this tool reads and writes. */
export const BUNDLE_FORMAT_VERSION = 1;

/** A workflow key: the portable identity of a workflow (never its database id). */
export const WORKFLOW_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
