/** A JSON object as `JSON.parse` produces it: not null, not an array. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Sets `key` on a JSON object as an own, enumerable data property, as `JSON.parse` would: for the
 * key `"__proto__"` too, which an assignment would take as the object's prototype instead.
 *
 * @example setJsonProperty(input, "__proto__", value) // JSON.stringify(input) === '{"__proto__":...}'
 */
export function setJsonProperty(target: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The value of an own property of a JSON object; undefined when it has none (never an inherited one). */
export function getJsonProperty(source: JsonObject, key: string): unknown {
  return Object.hasOwn(source, key) ? source[key] : undefined;
}

/** Describes a value's JSON type for messages: "null", "array", "object", "string", ... */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** Escapes one segment of a JSON pointer (RFC 6901). */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Joins segments into a JSON pointer: `["workflows", 0, "key"]` → `/workflows/0/key`. */
export function toJsonPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapePointerSegment(s)}`).join("");
}
