/**
 * yargs, loaded through its CommonJS build. yargs 17's ES module entry loads ~40 separate files
 * through Node's ES module loader (each read asynchronously); its CommonJS build is one bundled
 * file plus a few small dependencies: ~25 ms against ~60 ms at start-up, a tenth of a no-op
 * `seed:workflows` (yargs 18, ES modules only, took ~100 ms: it and cliui load two copies of
 * string-width, each creating an Intl.Segmenter at import). docs/performance.md has the numbers.
 */
import { createRequire } from "node:module";
import type yargsFactory from "yargs";
import type * as helpers from "yargs/helpers";

const require = createRequire(import.meta.url);

/** The yargs factory: `yargs(args)` gives a parser for those arguments. */
export const yargs: typeof yargsFactory = require("yargs/yargs");
/** `process.argv` without the node binary and the script. */
export const hideBin: typeof helpers.hideBin = (require("yargs/helpers") as typeof helpers).hideBin;
