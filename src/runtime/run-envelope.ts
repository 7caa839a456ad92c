/** The data a run carries between steps, as Alga's envelope holds it. */
export interface RunEnvelope {
  payload: unknown;
  vars: Record<string, unknown>;
  meta: Record<string, unknown>;
  error: Record<string, unknown> | undefined;
}

/**
 * A deep copy of JSON data (`undefined` stays `undefined`): what a run stores or hands out must not
 * share objects with what it goes on changing.
 */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
