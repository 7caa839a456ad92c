/**
 * Canonical JSON computed independently of src/: keys sorted recursively by UTF-16 code unit,
 * printed like `JSON.stringify(value, null, 2)` plus one newline. Written out by hand because a
 * JavaScript object always lists integer-like keys ("2", "10") first, whatever the insertion order.
 */
export function independentCanonical(value: unknown): string {
  const print = (v: unknown, indent: string): string => {
    const inner = `${indent}  `;
    if (Array.isArray(v))
      return v.length === 0 ? "[]" : `[\n${v.map((x) => inner + print(x, inner)).join(",\n")}\n${indent}]`;
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v).sort();
      if (keys.length === 0) return "{}";
      const entries = keys.map(
        (k) => `${inner}${JSON.stringify(k)}: ${print((v as Record<string, unknown>)[k], inner)}`,
      );
      return `{\n${entries.join(",\n")}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return `${print(value, "")}\n`;
}
