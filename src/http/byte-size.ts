const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
};

/**
 * Parses a size in bytes: a whole number, optionally followed by a unit (`B`, `KiB`/`k`, `KB`,
 * `MiB`/`m`, `MB`, `GiB`/`g`, `GB`; case-insensitive). `null` when the text is not a positive
 * size that is a safe integer.
 *
 * @example parseByteSize("10MiB") // 10485760
 */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return null;
  const unit = UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Number(m[1]) * unit;
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}
