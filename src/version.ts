/** This tool's version, recorded with every applied seed (kept equal to package.json by a test). */
export const TOOL_VERSION = "0.1.0";
